"""Import a meter's billing periods from a ``start,end,value[,cost][,estimated]`` CSV file."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from config.errors import ShoeneError
from energy.bills.parse import billing_periods_parse
from energy.bills.services import billing_periods_import
from energy.models import Meter


class Command(BaseCommand):
    help = gettext_lazy(
        "Import a meter's billing periods (monthly bills) from a CSV file with the header "
        "start,end,value and optional cost (yen) and estimated columns. end is the last day a "
        "bill covers; a file whose ends are the next period's first days is read as reading "
        "days. The whole file is stored, or nothing."
    )

    def create_parser(self, prog_name, subcommand, **kwargs):
        # argparse needs text: the lazy help becomes text in the language active now.
        self.help = str(self.help)
        return super().create_parser(prog_name, subcommand, **kwargs)

    def add_arguments(self, parser) -> None:
        parser.add_argument("path", type=Path, help=_("bill CSV file"))
        parser.add_argument("--meter", required=True, help=_("the meter's serial number"))

    def handle(self, *args, **options) -> None:
        meter = Meter.objects.select_related("premise__region").filter(serial=options["meter"])
        meter = meter.first()
        if meter is None:
            raise CommandError(
                _("No meter with serial %(serial)r.") % {"serial": options["meter"]}, returncode=2
            )
        path: Path = options["path"]
        try:
            text = path.read_bytes().decode("utf-8-sig")
        except OSError as exc:
            raise CommandError(f"{path}: {exc.strerror}", returncode=2) from exc
        except UnicodeDecodeError as exc:
            raise CommandError(
                _("%(file)s is not UTF-8 text.") % {"file": path}, returncode=2
            ) from exc
        try:
            parsed = billing_periods_parse(text, source=str(path))
            result = billing_periods_import(meter=meter, periods=parsed.periods, name=str(path))
        except ShoeneError as exc:
            rows = (exc.details or {}).get("rows") if isinstance(exc.details, dict) else None
            if rows:
                lines = "\n".join(
                    f"  {_('line')} {row['line']}: {row['problem']}"
                    if row["line"] is not None
                    else f"  {row['problem']}"
                    for row in rows
                )
                message = _("%(file)s was not imported:") % {"file": path} + "\n" + lines
            else:
                message = exc.message
            raise CommandError(message, returncode=2) from exc
        if parsed.ends_are_read_days:
            self.stdout.write(
                _(
                    "Each end was the next period's first day (a reading day): "
                    "read as the day before."
                )
            )
        self.stdout.write(
            _(
                "%(meter)s: %(created)d periods added, %(updated)d replaced, "
                "%(unchanged)d already stored."
            )
            % {"meter": meter.serial, **result.as_dict()}
        )
