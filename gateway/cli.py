"""``shoene-gateway run`` / ``shoene-gateway status`` (also ``python -m gateway``)."""

from __future__ import annotations

import argparse
import json
import logging
import signal
import sys
from pathlib import Path

from gateway.buffer import Buffer
from gateway.settings import (
    GatewaySettings,
    SettingsError,
    add_arguments,
    env_name,
    settings_from,
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="shoene-gateway",
        description="Buffer meter readings on disk and send them to Shoene, exactly once.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="read the source and send batches until stopped")
    add_arguments(run)
    run.add_argument("--log-level", default="INFO")
    status = commands.add_parser("status", help="what the buffer holds, sent and dropped")
    status.add_argument("--buffer-path", default=None)
    status.add_argument("--json", action="store_true", help="print JSON")
    args = parser.parse_args(argv)

    if args.command == "status":
        return _status(args)
    logging.basicConfig(
        level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s %(message)s"
    )
    try:
        settings = settings_from(args)
    except SettingsError as exc:
        parser.error(str(exc))
    from gateway.run import Gateway

    gateway = Gateway(settings)
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: gateway.stop.set())
    gateway.run()
    return 0


def _status(args: argparse.Namespace) -> int:
    import os

    path = Path(
        args.buffer_path or os.environ.get(env_name("buffer_path")) or GatewaySettings.buffer_path
    )
    if not path.exists():
        print(f"no buffer at {path}", file=sys.stderr)
        return 1
    buffer = Buffer(path)
    status = buffer.status().as_dict()
    buffer.close()
    if args.json:
        print(json.dumps(status))
    else:
        for key, value in status.items():
            print(f"{key}: {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
