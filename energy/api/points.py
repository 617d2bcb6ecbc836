"""The points ledger for the data team: every award and correction with its basis.

``GET /api/v1/points/?since=<ISO datetime>&campaign=<id>&event=<id>&after=<id>&limit=<n>``,
oldest first; page on with ``after`` (the last line's id) — lines are never edited, so an id
cursor is stable. Needs ``energy.view_pointsentry`` (the Data team group).
"""

from django.utils.dateparse import parse_datetime
from rest_framework import serializers
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from config.errors import ValidationFailed
from energy.campaigns.models import PointsEntry

MAX_LIMIT = 5000


class CanReadPoints(BasePermission):
    message = "Reading the points ledger needs the energy.view_pointsentry permission."

    def has_permission(self, request, view) -> bool:
        return bool(request.user and request.user.has_perm("energy.view_pointsentry"))


class PointsEntryOutput(serializers.ModelSerializer):
    class Meta:
        model = PointsEntry
        fields = [
            "id",
            "created_at",
            "user",
            "premise",
            "yoy_campaign",
            "event",
            "award_key",
            "kind",
            "points",
            "basis",
        ]


def _positive_int(params, name: str, default: int | None = None) -> int | None:
    raw = params.get(name)
    if raw in (None, ""):
        return default
    if not raw.isdecimal():
        raise ValidationFailed(
            f"{name} must be a positive whole number.", details={name: ["not a number"]}
        )
    return int(raw)


class PointsLedgerView(APIView):
    permission_classes = [IsAuthenticated, CanReadPoints]

    def get(self, request):
        params = request.query_params
        lines = PointsEntry.objects.order_by("pk")
        since = params.get("since")
        if since:
            moment = parse_datetime(since)
            if moment is None:
                raise ValidationFailed(
                    "since must be an ISO 8601 date and time.", details={"since": ["invalid"]}
                )
            lines = lines.filter(created_at__gte=moment)
        campaign = _positive_int(params, "campaign")
        if campaign is not None:
            lines = lines.filter(yoy_campaign_id=campaign)
        event = _positive_int(params, "event")
        if event is not None:
            lines = lines.filter(event_id=event)
        after = _positive_int(params, "after", 0)
        limit = min(_positive_int(params, "limit", 1000), MAX_LIMIT)
        if limit < 1:
            raise ValidationFailed("limit must be at least 1.", details={"limit": ["below 1"]})
        page = list(lines.filter(pk__gt=after)[:limit])
        return Response(
            {
                "results": PointsEntryOutput(page, many=True).data,
                "next_after": page[-1].pk if page and len(page) == limit else None,
            }
        )
