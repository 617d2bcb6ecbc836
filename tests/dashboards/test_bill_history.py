"""The portal's bill history: a meter's billing periods as a chart and a table."""

from datetime import timedelta

from django.urls import reverse

from energy.bills.parse import billing_periods_parse
from energy.bills.services import billing_periods_import

BILLS = """start,end,value,cost,estimated
2024-01-06,2024-02-04,150,38000,no
2024-02-05,2024-03-05,116,29500,yes
"""


def test_the_customer_reads_each_bill_with_its_use_per_day_and_cost(english_client, home):
    billing_periods_import(meter=home.gas, periods=billing_periods_parse(BILLS).periods)

    page = english_client.get(reverse("dashboards:bill_history", args=[home.gas.pk]))

    html = page.content.decode()
    assert page.status_code == 200
    assert 'id="bills-chart"' in html
    # Newest first; 116 m³ over 30 days is 3.87 m³ a day; the estimated bill says so.
    rows = html.split("<tbody>")[1]
    assert rows.index("02/05/2024 to 03/05/2024 (estimated)") < rows.index("01/06/2024")
    assert '<td data-label="Per day">3.87 m³</td>' in rows
    assert '<td data-label="Cost">¥29,500</td>' in rows
    assert "Bars in yellow are bills based on an estimated reading." in html


def test_the_bill_history_is_in_japanese_by_default(customer_client, home):
    billing_periods_import(meter=home.gas, periods=billing_periods_parse(BILLS).periods)

    html = customer_client.get(reverse("dashboards:bill_history", args=[home.gas.pk])).content
    html = html.decode()

    assert "ご請求の履歴" in html
    assert "推定" in html


def test_a_meter_without_bills_says_so(english_client, home):
    page = english_client.get(reverse("dashboards:bill_history", args=[home.electricity.pk]))

    assert "No bills are on file for this meter." in page.content.decode()


def test_another_customers_bill_history_is_not_found(customer_client, neighbour):
    page = customer_client.get(reverse("dashboards:bill_history", args=[neighbour.gas.pk]))

    assert page.status_code == 404


def test_a_year_before_the_smart_meter_points_to_the_bill_history(english_client, home):
    billing_periods_import(meter=home.gas, periods=billing_periods_parse(BILLS).periods)
    year = str(home.days[0].year - 1)

    empty = english_client.get(reverse("dashboards:usage", args=[home.gas.pk, "year", year]))
    recent = english_client.get(
        reverse(
            "dashboards:usage",
            args=[home.gas.pk, "month", f"{home.today - timedelta(days=40):%Y-%m}"],
        )
    )
    electricity = english_client.get(
        reverse("dashboards:usage", args=[home.electricity.pk, "year", year])
    )

    assert "No smart-meter readings for this period." in empty.content.decode()
    assert 'id="bills-link"' in recent.content.decode()
    assert "No smart-meter readings" not in recent.content.decode()
    assert 'id="bills-link"' not in electricity.content.decode()
