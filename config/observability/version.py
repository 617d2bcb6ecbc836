"""The deployed version (git commit) and when this process started, for the overview and logs."""

import os
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

STARTED_AT = datetime.now(UTC)
ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class DeployedVersion:
    commit: str
    started_at: datetime


@cache
def deployed_version() -> DeployedVersion:
    """``SHOENE_GIT_COMMIT`` (set when the image is built), else the work tree's commit."""
    commit = os.environ.get("SHOENE_GIT_COMMIT", "").strip()
    if not commit:
        try:
            commit = subprocess.run(
                ["git", "rev-parse", "--short=12", "HEAD"],
                cwd=ROOT,
                capture_output=True,
                text=True,
                timeout=5,
                check=True,
            ).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            commit = ""
    return DeployedVersion(commit=commit or "unknown", started_at=STARTED_AT)
