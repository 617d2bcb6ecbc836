"""Make the scheduled flag changes that are due now (what Celery beat does every minute)."""

from django.core.management.base import BaseCommand

from flags.scheduling import scheduled_changes_apply


class Command(BaseCommand):
    help = "Make every pending scheduled flag change whose time has come, and say how many."

    def handle(self, *args, **options) -> None:
        applied = scheduled_changes_apply()
        self.stdout.write(f"{applied} scheduled flag change(s) applied.")
