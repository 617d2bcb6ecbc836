"""The points ledger for the data team: every award and correction with its basis.

``GET /api/v1/points/?since=<ISO datetime>&campaign=<id>&event=<id>``, oldest first, in keyset
pages (lines are never edited, so paging is stable). Keys need the ``export`` scope; a session
needs ``campaigns.view_pointsentry`` (the Data team group). Customers are pseudonymous.
"""

from rest_framework import generics, serializers

from config.filters import IdFilter, StrictFilterSet, UtcDateTimeFilter
from energy.api.access import customer_pseudonym, scope_required
from energy.apikeys.models import ApiScope
from energy.campaigns.models import PointsEntry


class PointsEntryOutput(serializers.ModelSerializer):
    customer = serializers.SerializerMethodField()
    premise = serializers.CharField(source="premise.public_id", default=None)

    class Meta:
        model = PointsEntry
        fields = [
            "id",
            "created_at",
            "customer",
            "premise",
            "yoy_campaign",
            "event",
            "award_key",
            "kind",
            "points",
            "basis",
        ]

    def get_customer(self, line: PointsEntry) -> str:
        return customer_pseudonym(line.user_id)


class PointsFilter(StrictFilterSet):
    since = UtcDateTimeFilter(field_name="created_at", lookup_expr="gte")
    campaign = IdFilter(field_name="yoy_campaign_id")
    event = IdFilter(field_name="event_id")

    class Meta:
        model = PointsEntry
        fields = ["since", "campaign", "event", "kind"]


class PointsLedgerView(generics.ListAPIView):
    permission_classes = [
        scope_required(ApiScope.EXPORT, session_perm="campaigns.view_pointsentry")
    ]
    serializer_class = PointsEntryOutput
    filterset_class = PointsFilter
    keyset = ("id",)
    queryset = PointsEntry.objects.select_related("premise")
