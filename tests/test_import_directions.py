"""The allowed import directions ([tool.importlinter] in pyproject.toml) hold: config and core
import no app, flags no dashboards (and energy only through its selectors), energy no
dashboards, and no service or selector imports a tasks module."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_imports_follow_the_allowed_directions():
    lint_imports = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run(
        [str(lint_imports), "--no-cache"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
