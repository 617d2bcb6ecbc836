from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from tqdm import tqdm

from energy.campaigns.demo import campaigns_demo_seed
from energy.demo import demo_logins_table, demo_seed
from energy.models import Premise
from flags.services import experiments_demo_seed


class Command(BaseCommand):
    help = "Create a realistic cold-region demo data set through the real ingest service."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--premises", type=int, default=48, help="premises (default 48)")
        parser.add_argument(
            "--days", type=int, default=540, help="days of readings up to yesterday (default 540)"
        )
        parser.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="do nothing if premises exist already (still print the logins)",
        )

    def handle(self, *args, premises: int, days: int, seed: int, if_empty: bool, **options):
        if premises < 1 or days < 1:
            raise CommandError("--premises and --days must be at least 1.")
        if if_empty and Premise.objects.exists():
            self.stdout.write("Demo data is already loaded.")
        else:
            result = demo_seed(
                premises=premises,
                days=days,
                seed=seed,
                progress=lambda items: tqdm(
                    items, desc="Ingesting meters", unit="meter", disable=options["verbosity"] == 0
                ),
            )
            self.stdout.write(
                self.style.SUCCESS(
                    f"Created {result.premises} premises, {result.meters} meters, "
                    f"{result.readings:,} readings, {result.interventions} interventions "
                    f"and {result.recommendations} recommendations over {days} days."
                )
            )
            if campaigns_demo_seed(today=timezone.localdate()):
                self.stdout.write(
                    "Campaigns: a running year-on-year campaign and a draft event to announce."
                )
            if experiments_demo_seed():
                self.stdout.write("A draft experiment to try in the admin: recommendation_framing.")
        self.print_logins()

    def print_logins(self) -> None:
        rows = demo_logins_table()
        if not rows:
            return
        self.stdout.write("\nDemo logins (local demo only):")
        self.stdout.write(
            f"  {'username':<9} {'password':<17} {'API key (Authorization: Bearer …)':<46} role"
        )
        for username, role, password, token in rows:
            self.stdout.write(f"  {username:<9} {password:<17} {token:<46} {role}")
