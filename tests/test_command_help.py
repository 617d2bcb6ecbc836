"""Every management command of ours explains itself with --help, in Japanese and in English."""

import pytest
from django.core.management import get_commands, load_command_class
from django.utils import translation

OURS = sorted(
    (name, app)
    for name, app in get_commands().items()
    if app.split(".")[0] in {"energy", "flags", "dashboards", "core", "config"}
)


def test_our_commands_are_found():
    assert {"ingest_file", "measure_savings", "seed_demo", "sync_flags"} <= {n for n, _ in OURS}


@pytest.mark.parametrize("language", ["ja", "en"])
@pytest.mark.parametrize(("name", "app"), OURS)
def test_help_prints_the_commands_purpose_and_options(name, app, language):
    command = load_command_class(app, name)
    with translation.override(language):
        text = command.create_parser("manage.py", name).format_help()

    assert text.startswith(f"usage: manage.py {name}")
    assert "-h, --help" in text
    # The command's own description, not only Django's generic options.
    assert command.help and str(command.help).split()[0] in text
