"""Bring an archived month of readings back from its Parquet file (PostgreSQL)."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext
from tqdm import tqdm

from config.errors import ShoeneError
from energy.management.commands.readings_archive import archive_dir_argument, month_argument
from energy.partitions.archive import readings_month_restore


class Command(BaseCommand):
    help = gettext_lazy(
        "Restore a month of readings archived by readings_archive: the file is checked against "
        "the manifest, copied into a new partition, its rows compared with the manifest's "
        "checksum, and the partition attached. Needs PostgreSQL."
    )

    def create_parser(self, prog_name, subcommand, **kwargs):
        # argparse needs str: the lazy help is made text here, in the active language.
        self.help = str(self.help)
        return super().create_parser(prog_name, subcommand, **kwargs)

    def add_arguments(self, parser) -> None:
        parser.add_argument("month", type=month_argument, help=_("the month, YYYY-MM"))
        archive_dir_argument(parser)

    def handle(self, *args, month, dir: Path | None, **options) -> None:
        directory = dir or Path(settings.READINGS_ARCHIVE_DIR)
        try:
            entry = readings_month_restore(
                month=month,
                directory=directory,
                progress=lambda groups: tqdm(
                    groups,
                    desc=_("Restoring"),
                    unit=pgettext("progress unit", "row group"),
                    disable=options["verbosity"] == 0,
                ),
            )
        except ShoeneError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(
            _("%(month)s: %(rows)s readings restored from %(file)s; checksums match.")
            % {"month": entry.month, "rows": f"{entry.rows:,}", "file": directory / entry.file}
        )
