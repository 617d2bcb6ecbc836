"""The points ledger only grows: a line cannot be changed or deleted through the model, a
queryset, or (PostgreSQL) plain SQL; a correction is a new line."""

import pytest
from django.db import IntegrityError, connection, transaction

from energy.campaigns.ledger import points_award, points_balance
from energy.campaigns.models import LedgerAppendOnly, PointsEntry
from tests import factories


@pytest.fixture
def line(db):
    premise = factories.PremiseFactory()
    return points_award(
        user_id=premise.owner_id,
        premise_id=premise.pk,
        award_key=f"event:1:{premise.owner_id}:{premise.pk}",
        points=100,
        basis={"why": "test"},
    )


def test_a_line_cannot_be_changed_or_deleted_through_the_model(line):
    line.points = 1_000
    with pytest.raises(LedgerAppendOnly, match="append-only"):
        line.save()
    with pytest.raises(LedgerAppendOnly):
        line.delete()
    with pytest.raises(LedgerAppendOnly):
        PointsEntry.objects.filter(pk=line.pk).update(points=0)
    with pytest.raises(LedgerAppendOnly):
        PointsEntry.objects.all().delete()

    assert points_balance(user_id=line.user_id) == 100


def test_a_changed_award_is_a_correction_line_not_an_edit(line):
    correction = points_award(
        user_id=line.user_id,
        premise_id=line.premise_id,
        award_key=line.award_key,
        points=60,
        basis={"why": "late readings"},
    )

    assert (correction.kind, correction.points) == (PointsEntry.Kind.CORRECTION, -40)
    line.refresh_from_db()
    assert line.points == 100
    assert points_balance(user_id=line.user_id) == 60


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE energy_pointsentry SET points = 0",
        "DELETE FROM energy_pointsentry",
    ],
)
def test_the_database_refuses_changes_whatever_the_client(postgresql, line, sql):
    with (
        pytest.raises(IntegrityError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql)

    assert PointsEntry.objects.get().points == 100
