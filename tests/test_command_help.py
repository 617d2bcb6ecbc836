"""Every management command explains itself with --help, in Japanese and in English: ours with
their own description, Django's and the libraries' at least without crashing (a lazy
translation in a help text once made ``measure_savings --help`` a TypeError)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import get_commands, load_command_class
from django.utils import translation

REPO = Path(__file__).resolve().parents[1]
OUR_APPS = {"energy", "flags", "dashboards", "core", "config"}
COMMANDS = sorted(get_commands().items())
OURS = [(name, app) for name, app in COMMANDS if app.split(".")[0] in OUR_APPS]


def test_our_commands_are_found():
    assert {"ingest_file", "measure_savings", "seed_demo", "sync_flags", "import_bills"} <= {
        n for n, _ in OURS
    }


@pytest.mark.parametrize("language", ["ja", "en"])
@pytest.mark.parametrize(("name", "app"), COMMANDS)
def test_help_prints_the_commands_purpose_and_options(name, app, language):
    command = load_command_class(app, name)
    with translation.override(language):
        text = command.create_parser("manage.py", name).format_help()

    assert text.startswith(f"usage: manage.py {name}")
    assert "-h, --help" in text
    if (name, app) in OURS:
        # The command's own description, not only Django's generic options.
        assert command.help and str(command.help).split()[0] in text


@pytest.mark.parametrize("name", ["measure_savings", "import_bills"])
def test_help_on_the_command_line_exits_0_in_japanese(name):
    """As an analyst runs it: a new process, Japanese (the default language), no database."""
    environment = {**os.environ, "DATABASE_URL": "postgres://nobody@127.0.0.1:1/none"}
    result = subprocess.run(
        [sys.executable, "manage.py", name, "--help"],
        cwd=REPO,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"usage: manage.py {name}")
    assert "--help" in result.stdout and not result.stderr
