"""Archive whole months of readings to Parquet and drop their partitions (PostgreSQL)."""

import argparse
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext
from tqdm import tqdm

from config.errors import ShoeneError
from energy.partitions.archive import month_parse, readings_archive


def archive_dir_argument(parser) -> None:
    """``--dir``, as readings_archive and readings_restore both take it."""
    parser.add_argument(
        "--dir",
        type=Path,
        default=None,
        help=_("directory of the Parquet files and manifest.json (default READINGS_ARCHIVE_DIR)"),
    )


def month_argument(text: str):
    try:
        return month_parse(text)
    except ShoeneError as exc:
        raise argparse.ArgumentTypeError(exc.message) from None


class Command(BaseCommand):
    help = gettext_lazy(
        "Archive every monthly partition of readings entirely before --before to Parquet, one "
        "file per month with a manifest of row counts and checksums, then drop the partitions. "
        "A partition is dropped only once its file is written, synced to disk and read back "
        "with the same rows. Needs PostgreSQL."
    )

    def create_parser(self, prog_name, subcommand, **kwargs):
        # argparse needs str: the lazy help is made text here, in the active language.
        self.help = str(self.help)
        return super().create_parser(prog_name, subcommand, **kwargs)

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--before",
            type=month_argument,
            required=True,
            help=_("archive the months before this one, YYYY-MM (UTC months)"),
        )
        archive_dir_argument(parser)

    def handle(self, *args, before, dir: Path | None, **options) -> None:
        directory = dir or Path(settings.READINGS_ARCHIVE_DIR)
        try:
            archived = readings_archive(
                before=before,
                directory=directory,
                progress=lambda months: tqdm(
                    months,
                    desc=_("Archiving"),
                    unit=pgettext("progress unit", "month"),
                    disable=options["verbosity"] == 0,
                ),
            )
        except ShoeneError as exc:
            raise CommandError(exc.message) from exc
        for entry in archived:
            self.stdout.write(
                _("%(month)s: %(rows)s readings in %(file)s; partition dropped.")
                % {"month": entry.month, "rows": f"{entry.rows:,}", "file": directory / entry.file}
            )
