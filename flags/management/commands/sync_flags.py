"""Create the flags declared in flags/registry.py that the database lacks (switched off)."""

from django.core.management.base import BaseCommand

from flags.registry import FLAGS


class Command(BaseCommand):
    help = (
        "Create missing boolean flags from flags/registry.py, off; never change a flag staff "
        "have set. Lists flags in the database that the code no longer declares."
    )

    def handle(self, *args, **options) -> None:
        from flags.models import Flag

        created = []
        for spec in FLAGS:
            if spec.value_type != "boolean":
                continue  # typed flags are values from experiments, not database flags
            _flag, was_created = Flag.objects.get_or_create(
                name=spec.name, defaults={"everyone": None, "note": spec.description}
            )
            if was_created:
                created.append(spec.name)
        declared = {spec.name for spec in FLAGS}
        orphans = sorted(set(Flag.objects.values_list("name", flat=True)) - declared)
        self.stdout.write(
            f"sync_flags: {len(created)} created"
            + (f" ({', '.join(created)})" if created else "")
            + f", {len(declared)} declared in code"
        )
        if orphans:
            self.stdout.write(
                self.style.WARNING(
                    f"Not in code (delete them in the admin when nothing reads them): "
                    f"{', '.join(orphans)}"
                )
            )
