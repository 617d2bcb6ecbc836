"""Reading and writing Green Button (ESPI) feeds, without the database.

The sample files in tests/data/greenbutton are real feeds (see their README, LICENSE and NOTICE).
Expected totals are worked out by hand in the comments.
"""

from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st
from lxml import etree

from config.errors import ValidationFailed
from energy.interop.greenbutton.espi import ExportReading, feed_count, feed_read, feed_write

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


def entry(self_href: str, content: str, *related: str, up: str = "") -> str:
    links = "".join(f'<link rel="related" href="{href}"/>' for href in related)
    up_link = f'<link rel="up" href="{up}"/>' if up else ""
    return (
        f'<entry><id>urn:uuid:{abs(hash(self_href))}</id><link rel="self" href="{self_href}"/>'
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


def one_point(kind: int, uom: int, power: int, readings: str, *, extra_type: str = "") -> str:
    return feed(
        entry(
            "/UsagePoint/1",
            espi("UsagePoint", f"<ServiceCategory><kind>{kind}</kind></ServiceCategory>"),
        ),
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


# --- The three sample files ------------------------------------------------------------------


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


def test_feed_count_counts_interval_readings():
    assert feed_count(sample("TestGBDataHourlyNineDaysBinnedDaily.xml")) == 216
    assert feed_count(sample("gas_direct.xml")) == 5


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
    assert "projected" in projected.problem
    assert no_value.problem == "the IntervalReading has no value"
    assert "not an integer" in bad_start.problem
    assert (
        far_future.problem
        == before_1970.problem
        == ("the timePeriod start must be between 1970 and 9999")
    )
    assert no_time.problem == "the timePeriod duration must be 1 to 31622400 seconds"
    assert [r.position for r in point.readings] == [1, 2, 3, 4, 5, 6, 7]


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("<feed", "not well-formed XML"),
        ("<rss/>", "root element is rss"),
        (feed(), "no UsagePoint"),
        (one_point(0, 38, 0, ""), "uom 38"),  # watts: power, not energy
        (one_point(0, 42, 0, ""), "is not a unit of electricity"),
        (one_point(2, 42, 0, ""), "ServiceCategory kind 2 is not supported"),  # water
        (
            one_point(0, 72, 0, "", extra_type="<flowDirection>19</flowDirection>"),
            "flowDirection 19",
        ),
        (
            one_point(0, 72, 0, "", extra_type="<accumulationBehaviour>1</accumulationBehaviour>"),
            "accumulationBehaviour 1",
        ),
        (
            feed(entry("/x", '<Customer xmlns="urn:other"/>')),
            "{urn:other}Customer, which this importer does not read",
        ),
        (
            feed(
                entry(
                    "/UP/1", espi("UsagePoint", "<ServiceCategory><kind>0</kind></ServiceCategory>")
                )
            ).replace("<kind>0</kind>", "<kind>zero</kind>"),
            "kind 'zero' is not an integer",
        ),
    ],
)
def test_unreadable_or_unsupported_files_are_refused_with_a_reason(text, fragment):
    with pytest.raises(ValidationFailed) as caught:
        read(text)
    assert fragment in caught.value.message


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
