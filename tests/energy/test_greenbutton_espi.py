"""Reading and writing Green Button (ESPI) feeds, without the database.

The sample files in tests/data/greenbutton are real feeds (see their README, LICENSE and NOTICE),
but for gas_daily_no_service_category.xml, written for these tests after a gas utility's export.
Expected totals are worked out by hand in the comments.
"""

import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st
from lxml import etree

from config.errors import ValidationFailed
from energy.interop.greenbutton.espi import (
    COMMODITY_KINDS,
    UNITS,
    ExportReading,
    feed_count,
    feed_read,
    feed_write,
)

DATA = Path(__file__).parent.parent / "data" / "greenbutton"
SCHEMA = DATA / "schema" / "atom_subset.xsd"
GAS_MJ_PER_M3 = 45.0


def sample(name: str) -> str:
    return (DATA / name).read_text(encoding="utf-8")


def read(text: str):
    return feed_read(text, gas_mj_per_m3=GAS_MJ_PER_M3)


def feed(*entries: str, prefix: str = "") -> str:
    """A minimal feed; ``prefix`` puts ESPI elements under a namespace prefix."""
    body = "\n".join(entries)
    declaration = f' xmlns:{prefix}="http://naesb.org/espi"' if prefix else ""
    return f'<feed xmlns="http://www.w3.org/2005/Atom"{declaration}>{body}</feed>'


def urn(self_href: str) -> str:
    """The Atom id ``entry`` gives the entry with this self href (messages name entries by it)."""
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, self_href)}"


def entry(self_href: str, content: str, *related: str, up: str = "") -> str:
    links = "".join(f'<link rel="related" href="{href}"/>' for href in related)
    up_link = f'<link rel="up" href="{up}"/>' if up else ""
    return (
        f'<entry><id>{urn(self_href)}</id><link rel="self" href="{self_href}"/>'
        f"{up_link}{links}<title>t</title><content>{content}</content></entry>"
    )


def espi(name: str, inner: str = "", prefix: str = "") -> str:
    if prefix:
        return f"<{prefix}:{name}>{inner}</{prefix}:{name}>"
    return f'<{name} xmlns="http://naesb.org/espi">{inner}</{name}>'


def reading(start: int, value: int, duration: int = 1800, quality: int | None = None) -> str:
    q = f"<ReadingQuality><quality>{quality}</quality></ReadingQuality>" if quality else ""
    return (
        f"<IntervalReading>{q}<timePeriod><duration>{duration}</duration>"
        f"<start>{start}</start></timePeriod><value>{value}</value></IntervalReading>"
    )


def one_point(
    kind: int | None, uom: int, power: int, readings: str, *, extra_type: str = ""
) -> str:
    """One UsagePoint (without ServiceCategory when ``kind`` is None), MeterReading, ReadingType
    and IntervalBlock; messages name them as UP, MR, RT and IB below."""
    category = f"<ServiceCategory><kind>{kind}</kind></ServiceCategory>" if kind is not None else ""
    return feed(
        entry("/UsagePoint/1", espi("UsagePoint", category)),
        entry("/UsagePoint/1/MeterReading/1", espi("MeterReading"), "/ReadingType/1"),
        entry(
            "/ReadingType/1",
            espi(
                "ReadingType",
                f"{extra_type}<powerOfTenMultiplier>{power}</powerOfTenMultiplier><uom>{uom}</uom>",
            ),
        ),
        entry("/UsagePoint/1/MeterReading/1/IntervalBlock/1", espi("IntervalBlock", readings)),
    )


UP = "/UsagePoint/1"  # a UsagePoint is named by its self href, the other entries by their id
MR = urn("/UsagePoint/1/MeterReading/1")
RT = urn("/ReadingType/1")
IB = urn("/UsagePoint/1/MeterReading/1/IntervalBlock/1")


# --- The sample files ------------------------------------------------------------------------


def test_nine_days_hourly_sample_reads_216_readings_totalling_199_563_kwh():
    (point,) = read(sample("TestGBDataHourlyNineDaysBinnedDaily.xml"))
    assert point.identifier == (
        "https://services.greenbuttondata.org/DataCustodian/espi/1_1/resource/"
        "RetailCustomer/2/UsagePoint/2"
    )
    assert point.commodity == "electricity"
    assert point.units == ["Wh × 10^0"]
    assert len(point.readings) == 216  # 9 daily blocks × 24 hourly readings
    assert {r.duration for r in point.readings} == {3600}
    assert all(r.problem is None and r.quality == "measured" for r in point.readings)
    # The values are 273, 819, 1092 and 1365 Wh, counted per value over the 216 readings:
    #   52 × 273 = 14 196;  67 × 819 = 54 873;  7 × 1092 = 7 644;  90 × 1365 = 122 850
    #   14 196 + 54 873 + 7 644 + 122 850 = 199 563 Wh = 199.563 kWh
    # (the file's own ElectricPowerUsageSummary says overallConsumptionLastPeriod 199563 Wh).
    assert sum(r.value for r in point.readings) == pytest.approx(199.563)
    # The first reading: 1388552400 = 2014-01-01T05:00:00Z, 273 Wh = 0.273 kWh.
    assert (point.readings[0].start, point.readings[0].value) == (1388552400, 0.273)


def test_electric_containerized_sample_reads_8_hourly_readings_totalling_4_086_kwh():
    (point,) = read(sample("electric_containerized.xml"))
    assert point.commodity == "electricity"
    # Two 12-hour blocks of four hourly readings each, in Wh (powerOfTenMultiplier 0):
    #   450 + 430 + 418 + 410 = 1 708;  595 + 591 + 611 + 581 = 2 378;  1 708 + 2 378 = 4 086 Wh
    assert [r.value for r in point.readings] == pytest.approx(
        [0.450, 0.430, 0.418, 0.410, 0.595, 0.591, 0.611, 0.581]
    )
    assert sum(r.value for r in point.readings) == pytest.approx(4.086)
    assert point.readings[4].start == 1293912000  # the second block's first reading


def test_gas_sample_converts_therms_to_m3_with_the_calorific_value():
    (point,) = read(sample("gas_direct.xml"))
    assert point.identifier == "/v1/BillingAccount/1234567890/UsagePoint/NET_USAGE"
    assert point.commodity == "gas"
    assert point.units == ["therm × 10^-3"]
    # Five monthly billing periods (35, 28, 30, 33 and 27 days):
    assert [r.duration // 86400 for r in point.readings] == [35, 28, 30, 33, 27]
    # Values × 10^-3 therm: 37 + 14 + 21 + 27 + 41 = 140 therm.
    # 1 therm = 105.4804 MJ; at 45 MJ/m³: 140 × 105.4804 / 45 = 14 767.256 / 45 = 328.16124… m³
    assert sum(r.value for r in point.readings) == pytest.approx(328.161244444)
    # The first period alone: 37 × 105.4804 / 45 = 3 902.7748 / 45 = 86.72833… m³
    assert point.readings[0].value == pytest.approx(86.728328889)


GAS_DAILY_POINT = (
    "https://greenbutton.gas-utility.example/DataCustodian/espi/1_1/resource/"
    "Subscription/52017/UsagePoint/1"
)


def test_gas_feed_without_service_category_is_gas_by_its_reading_type_and_says_so():
    (point,) = read(sample("gas_daily_no_service_category.xml"))
    assert point.identifier == GAS_DAILY_POINT
    assert point.commodity == "gas"
    assert point.units == ["therm × 10^-3"]
    assert point.notes == [
        f"UsagePoint {GAS_DAILY_POINT} has no ServiceCategory/kind; gas was inferred from "
        "ReadingType urn:uuid:9d4f6a13-7b2e-4c8d-a5f1-3e6b0c9d2a47 (uom 169 therm, commodity 7)"
    ]
    # Two blocks of 14 daily readings, New York days: 2024-03-10 is 23 hours (82 800 s), the
    # clocks going forward; 2024-11-03 is 25 hours (90 000 s), going back.
    assert len(point.readings) == 28
    assert all(r.problem is None for r in point.readings)
    new_york = ZoneInfo("America/New_York")
    durations = {
        datetime.fromtimestamp(r.start, new_york).date(): r.duration for r in point.readings
    }
    assert durations[date(2024, 3, 10)] == 82800
    assert durations[date(2024, 11, 3)] == 90000
    assert list(durations.values()).count(86400) == 26
    # Values × 10^-3 therm, per block:
    #   4120 + 3870 + 4410 + 3950 + 3620 + 3380 + 2910 + 3240 + 3560 + 3110 + 2870 + 2690
    #   + 2950 + 3030 = 47 710;
    #   1120 + 1340 + 1280 + 1510 + 1460 + 1690 + 1870 + 1730 + 1650 + 1920 + 2040 + 1980
    #   + 2210 + 2150 = 23 950;  47 710 + 23 950 = 71 660, i.e. 71.66 therm.
    # 71.66 × 105.4804 MJ = 7 558.725 464 MJ; at 45 MJ/m³: 167.971 676 977… m³
    assert sum(r.value for r in point.readings) == pytest.approx(167.971676978)
    # The 23-hour day alone: 2.910 therm × 105.4804 MJ = 306.947 964 MJ; / 45 = 6.821 07… m³
    spring = next(r for r in point.readings if r.duration == 82800)
    assert spring.value == pytest.approx(2.910 * 105.4804 / 45)
    # 2024-11-06 carries ReadingQuality 8 (estimated using a reference day).
    assert [
        datetime.fromtimestamp(r.start, new_york).date()
        for r in point.readings
        if r.quality == "estimated"
    ] == [date(2024, 11, 6)]


def test_feed_count_counts_interval_readings():
    assert feed_count(sample("TestGBDataHourlyNineDaysBinnedDaily.xml")) == 216
    assert feed_count(sample("gas_direct.xml")) == 5
    assert feed_count(sample("gas_daily_no_service_category.xml")) == 28


# --- Files that differ from the samples -------------------------------------------------------


def test_prefixed_espi_namespace_reads_the_same():
    p = "espi"
    text = feed(
        entry(
            "/UP/9",
            espi(
                "UsagePoint",
                "<espi:ServiceCategory><espi:kind>0</espi:kind></espi:ServiceCategory>",
                p,
            ),
        ),
        entry("/UP/9/MeterReading/1", espi("MeterReading", "", p), "/RT/1"),
        entry(
            "/RT/1",
            espi(
                "ReadingType",
                "<espi:powerOfTenMultiplier>3</espi:powerOfTenMultiplier><espi:uom>72</espi:uom>",
                p,
            ),
        ),
        entry(
            "/UP/9/MeterReading/1/IntervalBlock/1",
            espi(
                "IntervalBlock",
                "<espi:IntervalReading><espi:timePeriod><espi:duration>1800</espi:duration>"
                "<espi:start>1700000000</espi:start></espi:timePeriod><espi:value>2</espi:value>"
                "</espi:IntervalReading>",
                p,
            ),
        ),
        prefix=p,
    )
    (point,) = read(text)
    assert point.readings[0].value == pytest.approx(2.0)  # 2 × 10^3 Wh = 2 kWh


def test_several_usage_points_each_get_their_own_readings():
    text = feed(
        entry("/UP/1", espi("UsagePoint", "<ServiceCategory><kind>0</kind></ServiceCategory>")),
        entry("/UP/2", espi("UsagePoint", "<ServiceCategory><kind>1</kind></ServiceCategory>")),
        entry("/UP/1/MeterReading/1", espi("MeterReading"), "/RT/e"),
        entry("/UP/2/MeterReading/1", espi("MeterReading"), "/RT/g"),
        entry("/RT/e", espi("ReadingType", "<uom>72</uom>")),
        entry(
            "/RT/g",
            espi("ReadingType", "<powerOfTenMultiplier>-2</powerOfTenMultiplier><uom>42</uom>"),
        ),
        entry(
            "/UP/2/MeterReading/1/IntervalBlock/1",
            espi("IntervalBlock", reading(1700002800, 125, 3600)),
        ),
        entry(
            "/UP/1/MeterReading/1/IntervalBlock/1", espi("IntervalBlock", reading(1700001000, 500))
        ),
    )
    electricity, gas = read(text)
    assert (electricity.identifier, electricity.commodity) == ("/UP/1", "electricity")
    assert [r.value for r in electricity.readings] == [0.5]  # 500 Wh
    assert (gas.identifier, gas.commodity) == ("/UP/2", "gas")
    assert [r.value for r in gas.readings] == [1.25]  # 125 × 10^-2 m³


def test_cubic_feet_become_m3():
    text = one_point(1, 119, 2, reading(1700002800, 5, 3600))
    (point,) = read(text)
    # 5 × 10^2 ft³ = 500 ft³; 1 ft³ = 0.3048³ m³ = 0.028316846592 m³; 500 × that = 14.158423296 m³
    assert point.readings[0].value == pytest.approx(14.158423296)


def test_missing_optional_elements_use_espi_defaults():
    # No powerOfTenMultiplier (0), no links between entries (one of each), no timePeriod: the
    # readings follow the block start by the ReadingType's intervalLength.
    text = feed(
        '<entry><id>urn:uuid:up</id><content><UsagePoint xmlns="http://naesb.org/espi">'
        "<ServiceCategory><kind>0</kind></ServiceCategory></UsagePoint></content></entry>",
        "<entry><id>urn:uuid:mr</id><content>" + espi("MeterReading") + "</content></entry>",
        "<entry><id>urn:uuid:rt</id><content>"
        + espi("ReadingType", "<intervalLength>1800</intervalLength><uom>72</uom>")
        + "</content></entry>",
        "<entry><id>urn:uuid:ib</id><title/><content>"
        + espi(
            "IntervalBlock",
            "<interval><duration>3600</duration><start>1700000000</start></interval>"
            "<IntervalReading><value>100</value></IntervalReading>"
            "<IntervalReading><value>300</value></IntervalReading>",
        )
        + "</content></entry>",
    )
    (point,) = read(text)
    assert point.identifier == "urn:uuid:up"  # no self link: the entry id
    assert [(r.start, r.duration, r.value) for r in point.readings] == [
        (1700000000, 1800, 0.1),
        (1700001800, 1800, 0.3),
    ]


def test_reading_problems_and_quality_are_per_reading():
    readings = (
        reading(1700000000, 100, quality=9)
        + reading(1700001800, 100, quality=12)
        + "<IntervalReading><timePeriod><duration>1800</duration><start>1700003600</start>"
        "</timePeriod></IntervalReading>"
        + "<IntervalReading><timePeriod><duration>1800</duration><start>soon</start>"
        "</timePeriod><value>1</value></IntervalReading>"
        + reading(10**30, 1)
        + reading(-1800, 1)
        + reading(1700000000, 1, duration=0)
    )
    (point,) = read(one_point(0, 72, 0, readings))
    estimated, projected, no_value, bad_start, far_future, before_1970, no_time = point.readings
    assert (estimated.quality, estimated.problem) == ("estimated", None)
    # Each problem names the IntervalBlock, the reading's place in it and the element at fault.
    assert projected.problem == (
        f"IntervalBlock {IB}, IntervalReading 2: ReadingQuality/quality 12 says the value is "
        "projected (a forecast), not a reading"
    )
    assert no_value.problem == f"IntervalBlock {IB}, IntervalReading 3 has no value"
    assert bad_start.problem == (
        f"IntervalBlock {IB}, IntervalReading 4: timePeriod/start 'soon' is not an integer."
    )
    assert far_future.problem == (
        f"IntervalBlock {IB}, IntervalReading 5: timePeriod/start {10**30} is not between 1970 "
        "and 9999"
    )
    assert before_1970.problem == (
        f"IntervalBlock {IB}, IntervalReading 6: timePeriod/start -1800 is not between 1970 "
        "and 9999"
    )
    assert no_time.problem == (
        f"IntervalBlock {IB}, IntervalReading 7: timePeriod/duration 0 is not 1 to 31622400 seconds"
    )
    assert [r.position for r in point.readings] == [1, 2, 3, 4, 5, 6, 7]


def test_problems_of_readings_without_a_time_period_name_where_the_time_was_to_come_from():
    untimed = "<IntervalReading><value>1</value></IntervalReading>"
    no_block_start = one_point(
        0, 72, 0, untimed, extra_type="<intervalLength>1800</intervalLength>"
    )
    no_length = one_point(
        0,
        72,
        0,
        "<interval><duration>1800</duration><start>1700000000</start></interval>" + untimed,
    )
    projected_by_default = one_point(
        0, 72, 0, reading(1700000000, 1), extra_type="<defaultQuality>12</defaultQuality>"
    )
    assert read(no_block_start)[0].readings[0].problem == (
        f"IntervalBlock {IB}, IntervalReading 1 has no timePeriod, and the IntervalBlock has no "
        "interval/start to count from"
    )
    assert read(no_length)[0].readings[0].problem == (
        f"IntervalBlock {IB}, IntervalReading 1 has no timePeriod, and its ReadingType {RT} has "
        "no intervalLength"
    )
    assert read(projected_by_default)[0].readings[0].problem == (
        f"IntervalBlock {IB}, IntervalReading 1: its ReadingType {RT} defaultQuality 12 says the "
        "value is projected (a forecast), not a reading"
    )


def two_reading_types(first: str, second: str, *, kind: str = "") -> str:
    """A UsagePoint with two MeterReadings, of ReadingTypes /RT/a and /RT/b."""
    return feed(
        entry("/UP/1", espi("UsagePoint", kind)),
        entry("/UP/1/MeterReading/1", espi("MeterReading"), "/RT/a"),
        entry("/UP/1/MeterReading/2", espi("MeterReading"), "/RT/b"),
        entry("/RT/a", espi("ReadingType", first)),
        entry("/RT/b", espi("ReadingType", second)),
    )


# Every refusal names the element at fault: the entry (a UsagePoint by its href, the others by
# their id) and the child element, with the code found.
REFUSALS = [
    ("<feed", "not well-formed XML"),
    ("<rss/>", "root element is rss"),
    (feed(), "The file holds no UsagePoint"),
    (one_point(0, 38, 0, ""), f"ReadingType {RT} has uom 38; supported: 72 (Wh)"),  # watts
    (
        one_point(0, 42, 0, ""),
        f"MeterReading {MR} is in m³ (ReadingType {RT}, uom 42), which is not a unit of "
        f"electricity: UsagePoint {UP} has ServiceCategory/kind 0 (electricity).",
    ),
    (
        one_point(2, 42, 0, ""),  # water
        f"UsagePoint {UP}: ServiceCategory/kind 2 is not supported",
    ),
    (
        one_point(0, 72, 0, "", extra_type="<flowDirection>19</flowDirection>"),
        f"ReadingType {RT} has flowDirection 19",
    ),
    (
        one_point(0, 72, 0, "", extra_type="<accumulationBehaviour>1</accumulationBehaviour>"),
        f"ReadingType {RT} has accumulationBehaviour 1",
    ),
    (
        one_point(0, 72, 0, "", extra_type="<kind>37</kind>"),
        f"ReadingType {RT} has kind 37",
    ),
    (one_point(0, 72, 13, ""), f"ReadingType {RT}: powerOfTenMultiplier 13 is out of range"),
    (
        one_point(0, 72, 0, "").replace("<powerOfTenMultiplier>0<", "<powerOfTenMultiplier>x<"),
        f"ReadingType {RT}: powerOfTenMultiplier 'x' is not an integer.",
    ),
    (
        one_point(0, 72, 0, "").replace("<uom>72</uom>", ""),
        f"ReadingType {RT} has no uom, so its unit is unknown.",
    ),
    (
        one_point(0, 72, 0, "<interval><start>noon</start></interval>"),
        f"IntervalBlock {IB}: interval/start 'noon' is not an integer.",
    ),
    (
        feed(entry("/x", '<Customer xmlns="urn:other"/>')),
        f"Entry {urn('/x')} holds {{urn:other}}Customer, which this importer does not read",
    ),
    (
        feed(
            entry("/UP/1", espi("UsagePoint", "<ServiceCategory><kind>0</kind></ServiceCategory>"))
        ).replace("<kind>0</kind>", "<kind>zero</kind>"),
        "UsagePoint /UP/1: ServiceCategory/kind 'zero' is not an integer.",
    ),
    (
        feed(
            entry("/UP/1", espi("UsagePoint", "<ServiceCategory><kind>0</kind></ServiceCategory>")),
            entry("/UP/1", espi("UsagePoint", "<ServiceCategory><kind>0</kind></ServiceCategory>")),
        ),
        "UsagePoint /UP/1 appears twice.",
    ),
    (
        feed(
            "<entry><content>"
            + espi("UsagePoint", "<ServiceCategory><kind>0</kind></ServiceCategory>")
            + "</content></entry>"
        ),
        "The UsagePoint at entry 1 has neither a self link nor an id",
    ),
    (
        feed(
            entry("/UP/1", espi("UsagePoint", "<ServiceCategory><kind>0</kind></ServiceCategory>")),
            entry("/UP/2", espi("UsagePoint", "<ServiceCategory><kind>0</kind></ServiceCategory>")),
            entry("/MR/1", espi("MeterReading")),
        ),
        f"MeterReading {urn('/MR/1')} belongs to no UsagePoint in this file",
    ),
    (
        feed(
            entry(
                "/UP/1",
                espi("UsagePoint", "<ServiceCategory><kind>0</kind></ServiceCategory>"),
                "/MR/1",
            ),
            entry(
                "/UP/2",
                espi("UsagePoint", "<ServiceCategory><kind>0</kind></ServiceCategory>"),
                "/MR/1",
            ),
            entry("/MR/1", espi("MeterReading")),
        ),
        f"MeterReading {urn('/MR/1')} belongs to more than one UsagePoint in this file "
        "(/UP/1, /UP/2)",
    ),
    (
        two_reading_types("<uom>72</uom>", "<uom>72</uom>").replace(
            '<link rel="related" href="/RT/b"/>', ""
        ),  # the second MeterReading links to no ReadingType, and there are two
        f"MeterReading {urn('/UP/1/MeterReading/2')} links to 0 ReadingTypes; exactly one is "
        "needed",
    ),
    (
        two_reading_types("<uom>72</uom>", "<uom>72</uom>").replace(
            'href="/RT/b"/>', 'href="/RT/b"/><link rel="related" href="/RT/a"/>', 1
        ),  # the second MeterReading links to both
        f"MeterReading {urn('/UP/1/MeterReading/2')} links to 2 ReadingTypes "
        f"({', '.join(sorted([urn('/RT/a'), urn('/RT/b')]))}); exactly one is needed",
    ),
    (
        feed(
            entry("/UP/1", espi("UsagePoint", "<ServiceCategory><kind>0</kind></ServiceCategory>")),
            entry("/IB/1", espi("IntervalBlock")),
        ),
        f"IntervalBlock {urn('/IB/1')} belongs to no MeterReading: the file holds none.",
    ),
    # No ServiceCategory/kind, and the ReadingTypes do not settle what is metered:
    (
        feed(entry("/UP/1", espi("UsagePoint"))),
        "UsagePoint /UP/1 has no ServiceCategory/kind and no MeterReading with a ReadingType, "
        "so nothing says whether it is electricity or gas.",
    ),
    (
        one_point(None, 72, 0, "", extra_type="<commodity>7</commodity>"),
        f"UsagePoint {UP} has no ServiceCategory/kind, and its ReadingType {RT} disagrees with "
        "itself: uom 72 (Wh) is electricity but commodity 7 is gas.",
    ),
    (
        one_point(None, 169, 0, "", extra_type="<commodity>8</commodity>"),  # propane
        f"UsagePoint {UP} has no ServiceCategory/kind, and its ReadingType {RT} has commodity 8, "
        "which is neither electricity (1, 2) nor natural gas (7).",
    ),
    (
        two_reading_types("<uom>72</uom>", "<commodity>7</commodity><uom>169</uom>"),
        "UsagePoint /UP/1 has no ServiceCategory/kind, and its ReadingTypes disagree: "
        f"ReadingType {urn('/RT/a')} (uom 72 Wh) is electricity; "
        f"ReadingType {urn('/RT/b')} (uom 169 therm, commodity 7) is gas.",
    ),
]


@pytest.mark.parametrize(("text", "fragment"), REFUSALS)
def test_unreadable_or_unsupported_files_are_refused_with_a_reason(text, fragment):
    with pytest.raises(ValidationFailed) as caught:
        read(text)
    assert fragment in caught.value.message


def test_therms_need_a_positive_calorific_value_and_the_refusal_names_the_reading_type():
    with pytest.raises(ValidationFailed) as caught:
        feed_read(one_point(1, 169, 0, ""), gas_mj_per_m3=0)
    assert caught.value.message.startswith(f"ReadingType {RT} is in therms (uom 169)")


# --- A UsagePoint without ServiceCategory/kind ------------------------------------------------


@pytest.mark.parametrize(
    ("uom", "extra_type", "commodity", "evidence"),
    [
        (72, "", "electricity", "uom 72 Wh"),
        (72, "<commodity>1</commodity>", "electricity", "uom 72 Wh, commodity 1"),
        (72, "<commodity>2</commodity>", "electricity", "uom 72 Wh, commodity 2"),
        (42, "<commodity>7</commodity>", "gas", "uom 42 m³, commodity 7"),
        (119, "<commodity>0</commodity>", "gas", "uom 119 ft³"),  # 0: not applicable
        (169, "<commodity>7</commodity>", "gas", "uom 169 therm, commodity 7"),
    ],
)
def test_the_commodity_is_inferred_from_the_reading_type_and_noted(
    uom, extra_type, commodity, evidence
):
    (point,) = read(one_point(None, uom, 0, reading(1700000000, 5), extra_type=extra_type))
    assert point.commodity == commodity
    assert point.notes == [
        f"UsagePoint {UP} has no ServiceCategory/kind; {commodity} was inferred from "
        f"ReadingType {RT} ({evidence})"
    ]
    assert point.readings[0].problem is None


def test_an_empty_service_category_kind_counts_as_missing():
    text = one_point(0, 42, 0, reading(1700000000, 5)).replace("<kind>0</kind>", "<kind> </kind>")
    (point,) = read(text)
    assert point.commodity == "gas"
    assert point.notes[0].startswith(f"UsagePoint {UP} has no ServiceCategory/kind; gas was")


def test_reading_types_that_agree_are_all_named_in_the_note():
    (point,) = read(two_reading_types("<uom>42</uom>", "<commodity>7</commodity><uom>119</uom>"))
    assert point.commodity == "gas"
    assert point.units == ["m³ × 10^0", "ft³ × 10^0"]
    assert point.notes == [
        "UsagePoint /UP/1 has no ServiceCategory/kind; gas was inferred from ReadingTypes "
        f"{urn('/RT/a')} (uom 42 m³), {urn('/RT/b')} (uom 119 ft³, commodity 7)"
    ]


def test_with_a_service_category_kind_the_reading_types_commodity_is_not_read():
    # The kind says what is metered and the uom must be of it; a commodity code that says
    # otherwise (a mislabelled optional element) does not refuse the file, and nothing is noted.
    (point,) = read(
        one_point(1, 169, -3, reading(1700000000, 5), extra_type="<commodity>1</commodity>")
    )
    assert (point.commodity, point.notes) == ("gas", [])


@given(
    codes=st.lists(
        st.tuples(st.sampled_from(sorted(UNITS)), st.sampled_from([None, 0, 1, 2, 7, 8, 9])),
        min_size=1,
        max_size=3,
    )
)
def test_an_inferred_commodity_agrees_with_every_reading_type_or_the_file_is_refused(codes):
    """Without ServiceCategory/kind, a file is read only when every ReadingType's uom and
    commodity name the same commodity, and the note names each ReadingType; otherwise the
    refusal names the UsagePoint and what is missing."""
    entries = [entry("/UP/1", espi("UsagePoint"))]
    for n, (uom, commodity) in enumerate(codes):
        code = f"<commodity>{commodity}</commodity>" if commodity is not None else ""
        entries.append(entry(f"/UP/1/MeterReading/{n}", espi("MeterReading"), f"/RT/{n}"))
        entries.append(entry(f"/RT/{n}", espi("ReadingType", f"{code}<uom>{uom}</uom>")))
    said = [
        said
        for uom, commodity in codes
        for said in (UNITS[uom].commodity, COMMODITY_KINDS.get(commodity, commodity))
        if said not in (None, 0)
    ]
    try:
        (point,) = read(feed(*entries))
    except ValidationFailed as refused:
        assert len(set(said)) > 1
        assert refused.message.startswith(
            "UsagePoint /UP/1 has no ServiceCategory/kind, and its ReadingType"
        )
        return
    assert set(said) == {point.commodity}
    assert len(point.notes) == 1
    assert all(urn(f"/RT/{n}") in point.notes[0] for n in range(len(codes)))


# --- Daylight saving time ---------------------------------------------------------------------


def test_daily_readings_of_23_and_25_hours_keep_their_start_and_duration():
    """A New York utility's daily feed: each reading runs from local midnight to the next, so
    2026-03-08 (clocks forward) lasts 82 800 s and 2026-11-01 (clocks back) 90 000 s."""
    new_york = ZoneInfo("America/New_York")
    days = [date(2026, 3, 6) + timedelta(days=n) for n in range(5)] + [
        date(2026, 10, 30) + timedelta(days=n) for n in range(5)
    ]

    def midnight(day: date) -> int:
        return int(datetime(day.year, day.month, day.day, tzinfo=new_york).timestamp())

    expected = [(midnight(day), midnight(day + timedelta(days=1)) - midnight(day)) for day in days]
    readings = "".join(
        reading(start, 2000 + n, duration) for n, (start, duration) in enumerate(expected)
    )
    (point,) = read(
        one_point(1, 169, -3, readings, extra_type="<intervalLength>86400</intervalLength>")
    )
    assert [(r.start, r.duration) for r in point.readings] == expected
    assert [r.problem for r in point.readings] == [None] * 10
    assert [d for _, d in expected].count(82800) == 1  # 2026-03-08
    assert [d for _, d in expected].count(90000) == 1  # 2026-11-01
    assert {datetime.fromtimestamp(r.start, new_york).time() for r in point.readings} == {
        datetime.min.time()
    }
    # 2.000 therm on the first day: 2 × 105.4804 / 45 = 4.688 017 8 m³
    assert point.readings[0].value == pytest.approx(2 * 105.4804 / 45)


def test_external_entities_are_never_resolved():
    xxe = (
        '<?xml version="1.0"?><!DOCTYPE feed [<!ENTITY secret SYSTEM "file:///etc/passwd">]>'
        '<feed xmlns="http://www.w3.org/2005/Atom"><title>&secret;</title></feed>'
    )
    with pytest.raises(ValidationFailed) as caught:
        read(xxe)
    assert caught.value.message == "DOCTYPE declarations are not accepted in Green Button files."
    assert "root:" not in str(caught.value.details)


def test_entity_expansion_bombs_are_refused():
    bomb = (
        '<?xml version="1.0"?><!DOCTYPE feed [<!ENTITY a "aaaaaaaaaa">'
        '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>'
        '<feed xmlns="http://www.w3.org/2005/Atom"><title>&c;</title></feed>'
    )
    with pytest.raises(ValidationFailed, match="DOCTYPE"):
        read(bomb)


# --- Writing ---------------------------------------------------------------------------------

TOKYO = ZoneInfo("Asia/Tokyo")


def write(readings, *, commodity="electricity", interval_minutes=30, zone=TOKYO, days=None):
    first, last = days or (date(2026, 1, 14), date(2026, 1, 15))
    return feed_write(
        base_href="https://shoene.example/api/v1/meters/E-1/greenbutton",
        title="E-1",
        commodity=commodity,
        interval_minutes=interval_minutes,
        zone=zone,
        first_day=first,
        last_day=last,
        readings=readings,
        updated=datetime(2026, 2, 1, tzinfo=UTC),
    )


def test_written_feed_is_valid_against_the_espi_schema_subset():
    schema = etree.XMLSchema(etree.parse(str(SCHEMA)))
    # 2026-01-14T14:30Z = 23:30 JST on the 14th; 15:00Z = 00:00 JST on the 15th.
    xml = write(
        [
            ExportReading(
                int(datetime(2026, 1, 14, 14, 30, tzinfo=UTC).timestamp()), 0.25, "measured"
            ),
            ExportReading(
                int(datetime(2026, 1, 14, 15, 0, tzinfo=UTC).timestamp()), 0.5, "estimated"
            ),
        ]
    )
    document = etree.fromstring(xml)
    schema.assertValid(document)
    ns = {"a": "http://www.w3.org/2005/Atom", "e": "http://naesb.org/espi"}
    blocks = document.findall(".//e:IntervalBlock", ns)
    assert len(blocks) == 2  # one per local day: 23:30 on the 14th, 00:00 on the 15th
    # The 15th's block starts at local midnight, 2026-01-14T15:00Z, and lasts a day.
    assert blocks[1].findtext("e:interval/e:start", namespaces=ns) == "1768402800"
    assert blocks[1].findtext("e:interval/e:duration", namespaces=ns) == "86400"
    assert document.findtext(".//e:LocalTimeParameters/e:tzOffset", namespaces=ns) == "32400"
    assert document.findtext(".//e:ReadingType/e:uom", namespaces=ns) == "72"
    # 0.5 kWh = 500 Wh = 500 000 mWh (Wh × 10^-3), estimated as ESPI quality 8.
    values = [v.text for v in document.iterfind(".//e:IntervalReading/e:value", ns)]
    assert values == ["250000", "500000"]
    assert [q.text for q in document.iterfind(".//e:ReadingQuality/e:quality", ns)] == ["8"]


def test_a_zone_with_daylight_saving_time_is_refused():
    with pytest.raises(ValidationFailed) as caught:
        write([], zone=ZoneInfo("America/New_York"), days=(date(2026, 7, 1), date(2026, 7, 2)))
    assert caught.value.code == "unsupported_time_zone"
    assert caught.value.http_status == 422


@given(
    values=st.lists(
        st.integers(min_value=0, max_value=5_000_000).map(lambda n: n / 1_000_000),
        min_size=1,
        max_size=60,
    ),
    commodity=st.sampled_from(["electricity", "gas"]),
)
def test_what_we_write_reads_back_to_the_same_values(values, commodity):
    start = int(datetime(2026, 1, 14, 12, tzinfo=UTC).timestamp())
    readings = [ExportReading(start + i * 3600, v, "measured") for i, v in enumerate(values)]
    xml = write(
        readings,
        commodity=commodity,
        interval_minutes=60,
        days=(date(2026, 1, 14), date(2026, 1, 17)),
    )
    (point,) = read(xml.decode())
    assert point.commodity == commodity
    assert [(r.start, r.duration) for r in point.readings] == [(x.epoch, 3600) for x in readings]
    assert [r.value for r in point.readings] == pytest.approx(values, abs=1e-9)


def test_a_lone_surrogate_is_a_domain_error_not_a_crash():
    # Found by the ingest parsers' property test: text that cannot be encoded at all.
    with pytest.raises(ValidationFailed, match="not valid Unicode at offset 6"):
        feed_count("<feed>\ud800</feed>")
