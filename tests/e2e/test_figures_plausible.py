"""Every saving a customer reads, read off the page in a real browser and held to the engine's
plausibility checks (``energy.savings.plausibility``).

The demo is seeded through the real service (``demo_seed``: the ingest pipeline, then the
savings engine). Each figure on a card is matched, by the card's id, to its Recommendation row:
the yen shown is the row's ``saving_jpy``, the claim it stands for is within its kind's cap, a
held-back estimate shows no amount, comparisons and forecasts promise no saving, and a home's
savings together stay below ``HOUSEHOLD_BILL_CAP`` of its bill.
"""

import re
from dataclasses import dataclass, field
from datetime import date

import pytest
from django.utils import translation
from django.utils.translation import gettext
from playwright.sync_api import Page, expect

from energy.demo import DEMO_PASSWORD, demo_seed
from energy.models import Premise
from energy.savings.models import Recommendation, RecommendationKind
from energy.savings.plausibility import CAPS, HOUSEHOLD_BILL_CAP
from energy.savings.templates import estimate_capped
from tests.e2e.conftest import PHONE

# A small demo that still gives the demo customers a standby, a heating and a peak-shift saving
# in yen, and another customer an estimate held back by its cap (customer012's standby claims
# 10.5 % of the meter's use). The data end on a fixed day, so the figures do not move with the
# calendar; the test asserts all of this, so a change of the engine cannot make it pass empty.
DEMO = {"premises": 24, "days": 400, "seed": 6, "end": date(2026, 1, 20)}
DEMO_CUSTOMERS = ("demo", "demo2")
# The demo gives its other customers no password; the one with a held-back estimate gets this.
PASSWORD = "held-back-estimate"

_NUMBER = r"\d+(?:,\d{3})*(?:\.\d+)?"
# A yen amount in either language: "7,380円" or "¥7,380".
YEN = [re.compile(rf"(?P<yen>{_NUMBER})円"), re.compile(rf"¥(?P<yen>{_NUMBER})")]
# A saving a year: the headline "年間7,380円" / "¥7,380 a year", the title's "年間約7,380円".
YEN_A_YEAR = [
    re.compile(rf"年間約?(?P<yen>{_NUMBER})円"),
    re.compile(rf"¥(?P<yen>{_NUMBER}) a year"),
]
# A price per unit ("1kWhあたり35.35円", "¥35.35 per kWh", "¥20.0 less per kWh"): not an amount.
UNIT_PRICE = [
    re.compile(rf"あたり(?P<yen>{_NUMBER})円"),
    re.compile(rf"¥(?P<yen>{_NUMBER})(?: less| cheaper)? per (?:kWh|m³)"),
]
# The energy saved a year: "年間1,234 kWh" / "1,234 kWh a year", the title's "年間約1,234kWh".
ENERGY_A_YEAR = [
    re.compile(rf"年間約?(?P<amount>{_NUMBER}) ?(?:kWh|m³)"),
    re.compile(rf"(?P<amount>{_NUMBER}) (?:kWh|m³) a year"),
]


def _number(text: str) -> float:
    return float(text.replace(",", ""))


def _spans(patterns: list[re.Pattern], text: str, group: str) -> dict[tuple[int, int], float]:
    return {
        match.span(group): _number(match.group(group))
        for pattern in patterns
        for match in pattern.finditer(text)
    }


@dataclass
class YenFigures:
    """The yen on a piece of page, sorted by what they are."""

    a_year: list[float]  # savings a year
    unit_prices: list[float]
    amounts: list[float]  # any other amount: a forecast bill, a week's excess


def yen_figures(text: str) -> YenFigures:
    a_year = _spans(YEN_A_YEAR, text, "yen")
    unit_prices = _spans(UNIT_PRICE, text, "yen")
    amounts = [
        value
        for span, value in _spans(YEN, text, "yen").items()
        if span not in a_year and span not in unit_prices
    ]
    return YenFigures(list(a_year.values()), list(unit_prices.values()), amounts)


def energy_a_year(text: str) -> list[float]:
    return list(_spans(ENERGY_A_YEAR, text, "amount").values())


def _is_price_in(price: float, basis: dict) -> bool:
    """Whether ``price`` is one of the basis's prices, rounded to the decimals the page shows
    (33.6467 shows as 33.65)."""
    return any(
        basis.get(name) is not None and abs(price - round(basis[name], decimals)) < 1e-9
        for name, decimals in (("price_jpy_per_unit", 2), ("price_difference_yen", 1))
    )


def card_yen_check(*, text: str, row: Recommendation, where: str) -> float | None:
    """Check every yen on one card against its row; the saving a year it shows, if any."""
    basis = row.basis or {}
    figures = yen_figures(text)
    for price in figures.unit_prices:
        assert _is_price_in(price, basis), (
            f"{where}: a price of ¥{price} is none of the row's "
            f"({basis.get('price_jpy_per_unit')}, {basis.get('price_difference_yen')}):\n{text}"
        )
    if estimate_capped(row):
        assert not figures.a_year and not figures.amounts, (
            f"{where}: the estimate was held back by its cap, yet the card shows yen "
            f"{figures.a_year + figures.amounts}:\n{text}"
        )
        assert row.saving_jpy is None, f"{where}: held back, yet saving_jpy={row.saving_jpy}"
        return None
    if row.saving_jpy is None:
        assert not figures.a_year, f"{where}: no saving in the row, yet {figures.a_year}"
        expected_amounts = {
            RecommendationKind.BILL_FORECAST: "forecast_yen",
            RecommendationKind.HIGH_USAGE: "excess_yen",
        }.get(row.kind)
        for amount in figures.amounts:
            assert expected_amounts and amount == round(basis.get(expected_amounts) or -1), (
                f"{where}: ¥{amount:,.0f} on a {row.kind} card is no figure of its row:\n{text}"
            )
        return None
    shown = round(row.saving_jpy)
    assert figures.a_year, f"{where}: a saving of ¥{shown:,} in the row, none on the card"
    assert set(figures.a_year) == {shown}, (
        f"{where}: the card shows {figures.a_year}, the row's saving_jpy is "
        f"{row.saving_jpy:.2f}:\n{text}"
    )
    assert not figures.amounts, f"{where}: unexplained yen {figures.amounts}:\n{text}"
    return shown


def cap_check(*, text: str, row: Recommendation, shown_yen: float, where: str) -> None:
    """The saving shown is the claim the engine judged, and that claim is within its cap."""
    assert row.kind in CAPS, f"{where}: a yen saving on a {row.kind} card, a kind with no cap"
    cap = CAPS[row.kind]
    plausibility = row.basis["plausibility"]
    judged = plausibility["cap"]
    assert (judged["of"], judged["share"]) == (cap.of, cap.share), where
    assert judged["exceeded"] is False, where
    assert judged["claimed_share"] <= cap.share, (
        f"{where}: claims {judged['claimed_share']:.1%} of the {cap.of}, cap {cap.share:.0%}"
    )
    # What the page shows is what was judged: its share of the bill is the one on record.
    bill = plausibility["household_bill_jpy"]
    assert shown_yen == pytest.approx(plausibility["share_of_bill"] * bill, abs=1.0), (
        f"{where}: shows ¥{shown_yen:,.0f}; the engine judged "
        f"¥{plausibility['share_of_bill'] * bill:,.0f}"
    )
    # And the figure the cap is about, as shown, is within the cap's limit.
    if cap.of == "annual_bill":
        assert shown_yen <= judged["limit"] + 0.5, (
            f"{where}: ¥{shown_yen:,.0f} a year is beyond {cap.share:.0%} of the bill "
            f"(¥{judged['limit']:,.0f})"
        )
        return
    energy = energy_a_year(text)
    assert energy, f"{where}: a {row.kind} saving shows no energy a year:\n{text}"
    for amount in energy:
        assert amount <= judged["limit"] + 0.5, (
            f"{where}: {amount:,.0f} {row.unit} a year is beyond {cap.share:.0%} of the "
            f"{cap.of.replace('_', ' ')} ({judged['limit']:,.0f})"
        )
    # The yen is that energy at the tariff's price, not a figure of its own.
    price = row.basis["price_jpy_per_unit"]
    assert abs(shown_yen - energy[0] * price) <= 0.5 * price + 1, (
        f"{where}: ¥{shown_yen:,.0f} is not {energy[0]:,.0f} {row.unit} at ¥{price:.2f}"
    )


@dataclass
class Seen:
    """What the walk through the pages checked, so that it cannot pass on empty pages."""

    kinds_with_yen: set[str] = field(default_factory=set)
    held_back: int = 0


def cards_check(
    page: Page, *, rows: dict[int, Recommendation], seen: Seen, where: str
) -> dict[int, float]:
    """Check every recommendation card on the page; {card's pk: the saving a year shown}."""
    shown = {}
    cards = page.locator("article.card[id^='recommendation-']")
    for card in cards.all():
        pk = int(re.fullmatch(r"recommendation-(\d+)", card.get_attribute("id")).group(1))
        assert pk in rows, f"{where}: card {pk} is no current recommendation of this premise"
        row = rows[pk]
        card_where = f"{where} #recommendation-{pk} ({row.kind})"
        text = card.inner_text()
        yen = card_yen_check(text=text, row=row, where=card_where)
        if estimate_capped(row):
            seen.held_back += 1
        if yen is not None:
            cap_check(text=text, row=row, shown_yen=yen, where=card_where)
            seen.kinds_with_yen.add(row.kind)
            shown[pk] = yen
    return shown


def household_bill_jpy(rows: dict[int, Recommendation], where: str) -> float:
    bills = {r.basis["plausibility"]["household_bill_jpy"] for r in rows.values()}
    assert len(bills) == 1 and None not in bills, f"{where}: household bills {bills}"
    return bills.pop()


def _translated(text: str, language: str) -> str:
    with translation.override(language):
        return gettext(text)


def premise_pages_check(
    page: Page, *, premise: Premise, name: str, language: str, seen: Seen, screenshot
) -> None:
    """The premise's home and recommendations pages: every figure against its row."""
    rows = {r.pk: r for r in Recommendation.objects.filter(premise=premise, is_current=True)}
    where = f"{name} home"
    response = page.goto(f"/premises/{premise.pk}/")
    assert response.status == 200, where
    assert page.locator("html").get_attribute("lang") == language
    home_shown = cards_check(page, rows=rows, seen=seen, where=where)
    # The forecast and the comparison with similar homes promise no saving; the forecast's
    # amount is the forecast's.
    section = page.get_by_role("region", name=_translated("Forecast and comparison", language))
    figures = yen_figures(section.inner_text())
    assert not figures.a_year and not figures.unit_prices, (where, figures)
    forecasts = {
        round(r.basis["forecast_yen"])
        for r in rows.values()
        if r.kind == RecommendationKind.BILL_FORECAST and "forecast_yen" in r.basis
    }
    assert set(figures.amounts) <= forecasts, (where, figures.amounts, forecasts)
    screenshot(page, f"{name}-home")

    where = f"{name} recommendations"
    response = page.goto(f"/premises/{premise.pk}/recommendations/")
    assert response.status == 200, where
    # "How we estimated this" open: its prices are figures on the card too.
    for details in page.locator("article.card details").all():
        details.locator("summary").click()
        expect(details).to_have_attribute("open", "")
    cards = page.locator("article.card[id^='recommendation-']")
    ids = {int(i.rsplit("-", 1)[1]) for i in cards.evaluate_all("cs => cs.map(c => c.id)")}
    assert ids == set(rows), f"{where}: cards {sorted(ids)}, current rows {sorted(rows)}"
    shown = cards_check(page, rows=rows, seen=seen, where=where)
    assert home_shown.items() <= shown.items(), (where, home_shown, shown)
    if shown:
        bill = household_bill_jpy(rows, where)
        assert sum(shown.values()) < HOUSEHOLD_BILL_CAP * bill, (
            f"{where}: savings of ¥{sum(shown.values()):,.0f} a year shown, "
            f"{sum(shown.values()) / bill:.0%} of the household's bill of ¥{bill:,.0f}"
        )
    screenshot(page, f"{name}-recommendations")


@pytest.fixture
def demo(live_server) -> dict[str, list[Premise]]:
    """The demo seeded through the real service: each customer's premises, by username."""
    demo_seed(**DEMO)
    return {
        username: list(Premise.objects.filter(owner__username=username).order_by("pk"))
        for username in DEMO_CUSTOMERS
    }


def held_back_owner() -> tuple[str, Premise]:
    """A customer with a held-back estimate, given a password to sign in with."""
    capped = [
        r
        for r in Recommendation.objects.filter(is_current=True).select_related("premise__owner")
        if estimate_capped(r)
    ]
    assert capped, f"the demo {DEMO} has no estimate held back by its cap any more"
    owner = capped[0].premise.owner
    owner.set_password(PASSWORD)
    owner.save(update_fields=["password"])
    return owner.username, capped[0].premise


def test_every_saving_shown_is_within_its_cap(page_for, login, screenshot, demo):
    seen = Seen()
    # demo reads the portal in Japanese (the default), demo2 in English (chosen on the page).
    for username, language in (("demo", "ja"), ("demo2", "en")):
        page = page_for()
        login(page, username=username, password=DEMO_PASSWORD, path="/accounts/login/")
        if language != "ja":
            page.select_option("#language-select", language)
            page.locator("#language-submit").click()
            page.wait_for_selector(f"html[lang={language}]")
        assert demo[username], f"{username} has no premises"
        for number, premise in enumerate(demo[username], start=1):
            premise_pages_check(
                page,
                premise=premise,
                name=f"{username}-{number}",
                language=language,
                seen=seen,
                screenshot=screenshot,
            )
    assert seen.kinds_with_yen == set(CAPS), (
        f"the demo {DEMO} shows yen savings of {sorted(seen.kinds_with_yen)} only: pick a "
        f"seed that gives the demo customers every capped kind"
    )

    # A held-back estimate, where the demo has one: its card shows no yen at all.
    username, premise = held_back_owner()
    page = page_for()
    login(page, username=username, password=PASSWORD, path="/accounts/login/")
    held_back_before = seen.held_back
    premise_pages_check(
        page, premise=premise, name=username, language="ja", seen=seen, screenshot=screenshot
    )
    assert seen.held_back > held_back_before, f"{username}'s held-back card was not shown"


def test_recommendations_fit_a_phone(phone_page, page_for, login, screenshot, demo):
    phones = {
        "demo": phone_page,
        "demo2": page_for(width=PHONE["width"], height=PHONE["height"], mobile=True),
    }
    for username, page in phones.items():
        login(page, username=username, password=DEMO_PASSWORD, path="/accounts/login/")
        for number, premise in enumerate(demo[username], start=1):
            response = page.goto(f"/premises/{premise.pk}/recommendations/")
            assert response.status == 200
            cards = page.locator("article.card[id^='recommendation-']")
            expect(cards.first).to_be_visible()
            # Nothing wider than the screen: the page never scrolls sideways.
            width, viewport = page.evaluate(
                "[document.documentElement.scrollWidth, window.innerWidth]"
            )
            assert width <= viewport, (username, premise.pk, width, viewport)
            for card in cards.all():
                box = card.bounding_box()
                assert box["x"] >= 0 and box["x"] + box["width"] <= viewport, (
                    username,
                    card.get_attribute("id"),
                    box,
                )
            screenshot(page, f"phone-{username}-{number}-recommendations")
