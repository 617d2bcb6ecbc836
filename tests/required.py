"""What a test needs from the machine (a tool, a fetched file): without it the test is skipped
on a developer's machine and fails under CI (``CI=true``), where `make test` installs it."""

import os

import pytest


def needed(what: str, *, how: str) -> None:
    """Stop the test: ``what`` is missing; ``how`` says what provides it."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"{what} is missing under CI ({how})")
    pytest.skip(f"{what} is missing: {how}")
