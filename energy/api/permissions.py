from rest_framework.permissions import BasePermission


class CanIngestReadings(BasePermission):
    """Members of the "Meter gateways" group (or anyone given the permission)."""

    message = "This token may not post readings: it needs the energy.ingest_readings permission."

    def has_permission(self, request, view) -> bool:
        return bool(request.user and request.user.has_perm("energy.ingest_readings"))
