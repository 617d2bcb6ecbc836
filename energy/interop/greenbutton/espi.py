"""Read a Green Button (ESPI) Atom feed into plain usage data, and write one.

ESPI codes used here are those of the ESPI schema (espiDerived.xsd, as published in the Green
Button Alliance's OpenESPI-Common-java): ServiceKind 0 electricity / 1 gas; UnitSymbolKind
72 Wh, 42 m³, 119 ft³, 169 therm; AccumulationKind 4 deltaData; FlowDirectionKind 1 forward;
MeasurementKind 12 energy / 58 volume; QualityOfReading 8 and 9 estimated, 12 projected.

Parsing is safe against hostile files: no DTD is loaded, entities are not resolved, the network
is never used, and a document with a DOCTYPE is refused outright (no XXE, no entity expansion).
Every failure is a ``ValidationFailed`` whose message says what is wrong and where.
"""

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from lxml import etree

from config.errors import ValidationFailed

ATOM = "http://www.w3.org/2005/Atom"
ESPI = "http://naesb.org/espi"
ESPI_CUSTOMER = "http://naesb.org/espi/customer"

ELECTRICITY = "electricity"
GAS = "gas"
SERVICE_KINDS = {0: ELECTRICITY, 1: GAS}

# 1 ft³ = (0.3048 m)³ exactly (the international foot); NIST SP 811 (2008), B.8: 2.831 685 E-02 m³.
M3_PER_FT3 = Decimal("0.028316846592")
# 1 therm (US) = 1.054 804 E+08 J = 105.4804 MJ; NIST SP 811 (2008), B.8. A therm is energy, so
# it becomes m³ through the gas's calorific value (settings.GAS_CALORIFIC_VALUE_MJ_PER_M3).
MJ_PER_THERM = Decimal("105.4804")


@dataclass(frozen=True, slots=True)
class UnitOfMeasure:
    symbol: str
    commodity: str
    per_unit: Decimal | None  # our unit (kWh or m³) per one of these; None: therm (calorific)


UNITS = {
    72: UnitOfMeasure("Wh", ELECTRICITY, Decimal("0.001")),
    42: UnitOfMeasure("m³", GAS, Decimal(1)),
    119: UnitOfMeasure("ft³", GAS, M3_PER_FT3),
    169: UnitOfMeasure("therm", GAS, None),
}
POWERS_OF_TEN = range(-12, 13)
ACCUMULATION_DELTA = {0, 4}  # none (implied by the unit) or deltaData: consumption per interval
FLOW_FORWARD = {0, 1}  # none or forward (delivered to the customer)
MEASUREMENT_KINDS = {0, 12, 58}  # none, energy, volume
ESTIMATED_QUALITIES = {8, 9}  # estimated using a reference day / by linear interpolation
PROJECTED_QUALITY = 12  # a forecast, not a reading
# Entries that hold no interval usage: read past, never stored.
IGNORED_ESPI = {
    "LocalTimeParameters",
    "ElectricPowerUsageSummary",
    "ElectricPowerQualitySummary",
    "UsageSummary",
    "ApplicationInformation",
    "Authorization",
    "Subscription",
    "BatchList",
    "ServiceStatus",
}
USAGE_ESPI = {"UsagePoint", "MeterReading", "ReadingType", "IntervalBlock"}
LATEST_START = 253402214400  # 9999-12-31T00:00:00Z: later starts are not dates Python can hold
MAX_DURATION = 366 * 86400  # a year: longer periods are no meter's interval


@dataclass(frozen=True, slots=True)
class IntervalValue:
    """One IntervalReading in our units (kWh or m³); ``problem`` says why it cannot be used."""

    position: int  # 1-based order of the IntervalReading in the file
    start: int | None  # seconds since 1970-01-01 UTC
    duration: int | None  # seconds
    value: float | None
    quality: str = "measured"
    problem: str | None = None
    # The Atom <updated> time of the reading's IntervalBlock entry, else of the feed (ISO 8601):
    # when the source produced the value.
    source_time: str | None = None


@dataclass(slots=True)
class UsagePointData:
    identifier: str  # the entry's self href, or its id when it has no self link
    entry_id: str
    title: str
    commodity: str
    units: list[str] = field(default_factory=list)  # e.g. "therm × 10^-3", one per ReadingType
    readings: list[IntervalValue] = field(default_factory=list)


@dataclass(slots=True)
class _Entry:
    id: str
    title: str
    self_href: str
    up_href: str
    related: set[str]
    resource: etree._Element
    updated: str | None = None  # its Atom <updated>, when that is a date-time with an offset


def _fail(message: str, **details) -> ValidationFailed:
    return ValidationFailed(message, code="invalid_greenbutton", details=details or None)


def _href(value: str | None) -> str:
    return (value or "").strip().rstrip("/")


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
        encoding="utf-8",  # the body was decoded as UTF-8 before it was stored
    )


def _document(text: str) -> etree._Element:
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError as exc:  # a lone surrogate: not text any file could hold
        raise ValidationFailed(
            f"The file holds a character that is not valid Unicode at offset {exc.start}.",
            code="unparseable",
            details={"offset": exc.start},
        ) from exc
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as exc:
        line = exc.lineno
        raise ValidationFailed(
            f"The file is not well-formed XML: {exc.msg} (line {line}).",
            code="unparseable",
            details={"line": line},
        ) from exc
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None or docinfo.externalDTD is not None:
        raise ValidationFailed(
            "DOCTYPE declarations are not accepted in Green Button files.", code="unparseable"
        )
    if root.tag not in (f"{{{ATOM}}}feed", f"{{{ATOM}}}entry"):
        raise _fail(
            f"The root element is {_name(root)}; a Green Button file is an Atom feed "
            f"({{{ATOM}}}feed)."
        )
    return root


def _name(element: etree._Element) -> str:
    qname = etree.QName(element)
    return f"{{{qname.namespace}}}{qname.localname}" if qname.namespace else qname.localname


def _entries(root: etree._Element) -> Iterable[_Entry]:
    entries = [root] if root.tag == f"{{{ATOM}}}entry" else root.iterfind(f"{{{ATOM}}}entry")
    for number, entry in enumerate(entries, start=1):
        entry_id = (entry.findtext(f"{{{ATOM}}}id") or "").strip()
        where = entry_id or f"entry {number}"
        links = {"self": "", "up": ""}
        related = set()
        for link in entry.iterfind(f"{{{ATOM}}}link"):
            rel, href = link.get("rel", "alternate"), _href(link.get("href"))
            if rel == "related" and href:
                related.add(href)
            elif rel in links:
                links[rel] = href
        content = entry.find(f"{{{ATOM}}}content")
        for resource in content if content is not None else ():
            if not isinstance(resource.tag, str):
                continue
            qname = etree.QName(resource)
            if qname.namespace == ESPI_CUSTOMER or (
                qname.namespace == ESPI and qname.localname in IGNORED_ESPI
            ):
                continue  # customer account data and summaries: never stored
            if qname.namespace != ESPI or qname.localname not in USAGE_ESPI:
                raise _fail(
                    f"{where} holds {_name(resource)}, which this importer does not read; "
                    "supported: UsagePoint, MeterReading, ReadingType, IntervalBlock "
                    "(summaries and LocalTimeParameters are skipped).",
                    entry=where,
                )
            title = (entry.findtext(f"{{{ATOM}}}title") or "").strip()
            yield _Entry(
                where, title, links["self"], links["up"], related, resource, _updated(entry)
            )


def _updated(element: etree._Element) -> str | None:
    """An Atom element's <updated> as ISO 8601, or None when it is absent or not a date-time
    with an offset (the time the file was received is used instead)."""
    text = (element.findtext(f"{{{ATOM}}}updated") or "").strip()
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment.isoformat() if moment.tzinfo is not None else None


def _integer(parent: etree._Element, name: str, where: str, *, required: bool = True):
    text = parent.findtext(f"{{{ESPI}}}{name}")
    if text is None or not text.strip():
        if required:
            raise _fail(f"{where}: {name} is missing.", entry=where)
        return None
    try:
        return int(text.strip())
    except ValueError:
        raise _fail(f"{where}: {name} {text.strip()!r} is not an integer.", entry=where) from None


@dataclass(frozen=True, slots=True)
class _ReadingType:
    unit: UnitOfMeasure
    power_of_ten: int
    interval_length: int | None
    default_quality: int | None

    def describe(self) -> str:
        return f"{self.unit.symbol} × 10^{self.power_of_ten}"


def _reading_type(entry: _Entry, gas_mj_per_m3: float) -> _ReadingType:
    element, where = entry.resource, entry.id
    uom = _integer(element, "uom", where, required=False)
    if uom is None:
        raise _fail(f"ReadingType {where} has no uom, so its unit is unknown.", entry=where)
    unit = UNITS.get(uom)
    if unit is None:
        raise _fail(
            f"ReadingType {where} has uom {uom}; supported: "
            + ", ".join(f"{code} ({u.symbol})" for code, u in UNITS.items())
            + ".",
            entry=where,
            uom=uom,
        )
    power = _integer(element, "powerOfTenMultiplier", where, required=False) or 0
    if power not in POWERS_OF_TEN:
        raise _fail(f"ReadingType {where}: powerOfTenMultiplier {power} is out of range.")
    checks = (
        (
            "accumulationBehaviour",
            ACCUMULATION_DELTA,
            "only consumption per interval (4, deltaData)",
        ),
        ("flowDirection", FLOW_FORWARD, "only energy delivered to the customer (1, forward)"),
        ("kind", MEASUREMENT_KINDS, "only energy (12) or volume (58)"),
    )
    for name, allowed, meaning in checks:
        code = _integer(element, name, where, required=False)
        if code is not None and code not in allowed:
            raise _fail(
                f"ReadingType {where} has {name} {code}; {meaning} can be imported.",
                entry=where,
            )
    if unit.per_unit is None and not gas_mj_per_m3 > 0:
        raise _fail("The gas calorific value setting must be positive to convert therms.")
    return _ReadingType(
        unit,
        power,
        _integer(element, "intervalLength", where, required=False),
        _integer(element, "defaultQuality", where, required=False),
    )


def _scale(reading_type: _ReadingType, gas_mj_per_m3: float) -> Decimal:
    per_unit = reading_type.unit.per_unit
    if per_unit is None:  # therm → MJ → m³
        per_unit = MJ_PER_THERM / Decimal(str(gas_mj_per_m3))
    return per_unit.scaleb(reading_type.power_of_ten)


def _interval_values(
    block: _Entry,
    reading_type: _ReadingType,
    scale: Decimal,
    position: int,
    source_time: str | None,
) -> list[IntervalValue]:
    where = block.id
    interval = block.resource.find(f"{{{ESPI}}}interval")
    block_start = (
        _integer(interval, "start", where, required=False) if interval is not None else None
    )
    values = []
    for index, reading in enumerate(block.resource.iterfind(f"{{{ESPI}}}IntervalReading")):
        position += 1
        start = duration = None
        period = reading.find(f"{{{ESPI}}}timePeriod")
        problem = None
        try:
            if period is not None:
                start = _integer(period, "start", where)
                duration = _integer(period, "duration", where)
            elif block_start is not None and reading_type.interval_length:
                # ESPI: without a timePeriod, readings follow each other by intervalLength.
                duration = reading_type.interval_length
                start = block_start + index * duration
            else:
                problem = "the IntervalReading has no timePeriod and no intervalLength applies"
            raw = _integer(reading, "value", where, required=False)
        except ValidationFailed as exc:
            values.append(
                IntervalValue(
                    position, start, duration, None, problem=exc.message, source_time=source_time
                )
            )
            continue
        if problem is None and raw is None:
            problem = "the IntervalReading has no value"
        if problem is None and (duration is None or not 0 < duration <= MAX_DURATION):
            problem = f"the timePeriod duration must be 1 to {MAX_DURATION} seconds"
        if problem is None and not 0 <= start <= LATEST_START:
            problem = "the timePeriod start must be between 1970 and 9999"
        codes = [
            int(q.text)
            for q in reading.iterfind(f"{{{ESPI}}}ReadingQuality/{{{ESPI}}}quality")
            if (q.text or "").strip().isdigit()
        ] or ([reading_type.default_quality] if reading_type.default_quality is not None else [])
        if problem is None and PROJECTED_QUALITY in codes:
            problem = "the value is projected (a forecast, quality 12), not a reading"
        quality = "estimated" if ESTIMATED_QUALITIES.intersection(codes) else "measured"
        value = None if problem or raw is None else float(Decimal(raw) * scale)
        values.append(
            IntervalValue(position, start, duration, value, quality, problem, source_time)
        )
    return values


def _owner(child: _Entry, parents: list[_Entry], kind: str, parent_kind: str) -> _Entry:
    """The parent a child entry belongs to, by its links (or the only candidate)."""
    linked = [
        parent
        for parent in parents
        if (child.self_href and child.self_href in parent.related)
        or (child.up_href and child.up_href in parent.related)
        or (parent.self_href and child.self_href.startswith(parent.self_href + "/"))
    ]
    if len(linked) == 1:
        return linked[0]
    if not linked and len(parents) == 1:
        return parents[0]
    raise _fail(
        f"{kind} {child.id} belongs to "
        + ("no" if not linked else "more than one")
        + f" {parent_kind} in this file.",
        entry=child.id,
    )


def feed_read(text: str, *, gas_mj_per_m3: float) -> list[UsagePointData]:
    """The usage points of a Green Button feed with their interval readings in kWh or m³."""
    by_kind: dict[str, list[_Entry]] = {kind: [] for kind in USAGE_ESPI}
    root = _document(text)
    feed_updated = _updated(root) if root.tag == f"{{{ATOM}}}feed" else None
    for entry in _entries(root):
        by_kind[etree.QName(entry.resource).localname].append(entry)
    if not by_kind["UsagePoint"]:
        raise _fail("The file holds no UsagePoint, so there is no usage to import.")

    points: dict[int, UsagePointData] = {}
    seen: set[str] = set()
    for entry in by_kind["UsagePoint"]:
        identifier = entry.self_href or entry.id
        if not identifier:
            raise _fail("A UsagePoint entry has neither a self link nor an id.")
        if identifier in seen:
            raise _fail(f"UsagePoint {identifier} appears twice.", usage_point=identifier)
        seen.add(identifier)
        kind = (
            _integer(entry.resource.find(f"{{{ESPI}}}ServiceCategory"), "kind", entry.id)
            if (entry.resource.find(f"{{{ESPI}}}ServiceCategory") is not None)
            else None
        )
        if kind not in SERVICE_KINDS:
            raise _fail(
                f"UsagePoint {identifier}: ServiceCategory kind "
                + ("is missing" if kind is None else f"{kind} is not supported")
                + "; 0 (electricity) and 1 (gas) can be imported.",
                usage_point=identifier,
            )
        points[id(entry)] = UsagePointData(identifier, entry.id, entry.title, SERVICE_KINDS[kind])

    reading_types = {rt.self_href: rt for rt in by_kind["ReadingType"] if rt.self_href}
    mr_types: dict[int, _ReadingType] = {}
    mr_points: dict[int, UsagePointData] = {}
    for meter_reading in by_kind["MeterReading"]:
        point = points[
            id(_owner(meter_reading, by_kind["UsagePoint"], "MeterReading", "UsagePoint"))
        ]
        linked = [reading_types[href] for href in meter_reading.related if href in reading_types]
        if len(linked) != 1 and len(by_kind["ReadingType"]) == 1:
            linked = by_kind["ReadingType"]
        if len(linked) != 1:
            raise _fail(
                f"MeterReading {meter_reading.id} links to {len(linked)} ReadingTypes; "
                "exactly one is needed.",
                entry=meter_reading.id,
            )
        reading_type = _reading_type(linked[0], gas_mj_per_m3)
        if reading_type.unit.commodity != point.commodity:
            raise _fail(
                f"MeterReading {meter_reading.id} is in {reading_type.unit.symbol}, "
                f"which is not a unit of {point.commodity} (UsagePoint {point.identifier}).",
                entry=meter_reading.id,
            )
        point.units.append(reading_type.describe())
        mr_types[id(meter_reading)] = reading_type
        mr_points[id(meter_reading)] = point

    position = 0
    for block in by_kind["IntervalBlock"]:
        if not by_kind["MeterReading"]:
            raise _fail(f"IntervalBlock {block.id} belongs to no MeterReading in this file.")
        meter_reading = _owner(block, by_kind["MeterReading"], "IntervalBlock", "MeterReading")
        reading_type = mr_types[id(meter_reading)]
        values = _interval_values(
            block,
            reading_type,
            _scale(reading_type, gas_mj_per_m3),
            position,
            source_time=block.updated or feed_updated,
        )
        position += len(values)
        mr_points[id(meter_reading)].readings.extend(values)
    return list(points.values())


def feed_count(text: str) -> int:
    """How many IntervalReadings a well-formed feed holds (cheap: no links resolved)."""
    root = _document(text)
    return sum(1 for _ in root.iter(f"{{{ESPI}}}IntervalReading"))


# --- Writing -----------------------------------------------------------------------------------

# What we write: electricity in Wh × 10^-3 and gas in m³ × 10^-6 (ESPI values are integers), so
# stored kWh and m³ survive to six decimal places.
EXPORT_UNITS = {
    ELECTRICITY: {"uom": 72, "power": -3, "per_stored": 10**6, "commodity": 1, "kind": 12},
    GAS: {"uom": 42, "power": -6, "per_stored": 10**6, "commodity": 7, "kind": 58},
}
SERVICE_KIND_CODES = {commodity: code for code, commodity in SERVICE_KINDS.items()}
# ESPI has no plain "estimated": 8 (estimated using a reference day) is the nearest code.
ESTIMATED_EXPORT_QUALITY = 8


@dataclass(frozen=True, slots=True)
class ExportReading:
    epoch: int  # interval start, UTC
    value: float  # kWh or m³
    quality: str


def _epoch(moment: datetime) -> int:
    return int(moment.timestamp())


def _local_midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=zone)


def _standard_offset(zone: ZoneInfo, first: date, last: date) -> int:
    """The zone's UTC offset in seconds; refused when it observes DST in the range."""
    day = first
    offsets = set()
    while day <= last + timedelta(days=1):
        moment = _local_midnight(day, zone)
        if moment.dst():
            raise ValidationFailed(
                f"The premise's time zone ({zone.key}) observes daylight saving time in this "
                "range; writing ESPI DST rules is not supported, so no feed is written.",
                code="unsupported_time_zone",
                http_status=422,
            )
        offsets.add(int(moment.utcoffset().total_seconds()))
        day += timedelta(days=1)
    if len(offsets) != 1:
        raise ValidationFailed(
            f"The premise's time zone ({zone.key}) changes its UTC offset in this range; "
            "one LocalTimeParameters cannot describe it.",
            code="unsupported_time_zone",
            http_status=422,
        )
    return offsets.pop()


def feed_write(
    *,
    base_href: str,
    title: str,
    commodity: str,
    interval_minutes: int,
    zone: ZoneInfo,
    first_day: date,
    last_day: date,
    readings: list[ExportReading],
    updated: datetime,
) -> bytes:
    """An ESPI Atom feed: UsagePoint, LocalTimeParameters, MeterReading, ReadingType and one
    IntervalBlock per local day (``first_day``..``last_day``) that has readings."""
    unit = EXPORT_UNITS[commodity]
    tz_offset = _standard_offset(zone, first_day, last_day)
    stamp = updated.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    point_href = f"{base_href}/UsagePoint/1"
    reading_href = f"{point_href}/MeterReading/1"
    type_href = f"{base_href}/ReadingType/1"
    time_href = f"{base_href}/LocalTimeParameters/1"

    feed = etree.Element(f"{{{ATOM}}}feed", nsmap={None: ATOM, "espi": ESPI})
    _text(feed, "id", _urn(base_href))
    _text(feed, "title", title)
    _text(feed, "updated", stamp)
    etree.SubElement(feed, f"{{{ATOM}}}link", rel="self", href=base_href)

    def entry(href: str, up: str, related: list[str], entry_title: str) -> etree._Element:
        element = etree.SubElement(feed, f"{{{ATOM}}}entry")
        _text(element, "id", _urn(href))
        etree.SubElement(element, f"{{{ATOM}}}link", rel="self", href=href)
        etree.SubElement(element, f"{{{ATOM}}}link", rel="up", href=up)
        for link in related:
            etree.SubElement(element, f"{{{ATOM}}}link", rel="related", href=link)
        _text(element, "title", entry_title)
        content = etree.SubElement(element, f"{{{ATOM}}}content")
        _text(element, "published", stamp)
        _text(element, "updated", stamp)
        return content

    point = _espi(
        entry(
            point_href, f"{base_href}/UsagePoint", [f"{point_href}/MeterReading", time_href], title
        ),
        "UsagePoint",
    )
    _espi_text(_espi(point, "ServiceCategory"), "kind", SERVICE_KIND_CODES[commodity])

    local_time = _espi(
        entry(time_href, f"{base_href}/LocalTimeParameters", [], zone.key), "LocalTimeParameters"
    )
    # No DST in the range (checked above): both rules empty and no DST offset.
    for name, value in (
        ("dstEndRule", "00000000"),
        ("dstOffset", 0),
        ("dstStartRule", "00000000"),
        ("tzOffset", tz_offset),
    ):
        _espi_text(local_time, name, value)

    _espi(
        entry(
            reading_href,
            f"{point_href}/MeterReading",
            [type_href, f"{reading_href}/IntervalBlock"],
            "Interval consumption",
        ),
        "MeterReading",
    )
    reading_type = _espi(
        entry(type_href, f"{base_href}/ReadingType", [], "Type of meter reading data"),
        "ReadingType",
    )
    for name, value in (
        ("accumulationBehaviour", 4),
        ("commodity", unit["commodity"]),
        ("dataQualifier", 12),
        ("flowDirection", 1),
        ("intervalLength", interval_minutes * 60),
        ("kind", unit["kind"]),
        ("powerOfTenMultiplier", unit["power"]),
        ("uom", unit["uom"]),
    ):
        _espi_text(reading_type, name, value)

    by_day: dict[date, list[ExportReading]] = {}
    for reading in sorted(readings, key=lambda r: r.epoch):
        day = datetime.fromtimestamp(reading.epoch, zone).date()
        by_day.setdefault(day, []).append(reading)
    duration = interval_minutes * 60
    for day, day_readings in sorted(by_day.items()):
        midnight = _local_midnight(day, zone)
        block = _espi(
            entry(
                f"{reading_href}/IntervalBlock/{day:%Y%m%d}",
                f"{reading_href}/IntervalBlock",
                [],
                day.isoformat(),
            ),
            "IntervalBlock",
        )
        period = _espi(block, "interval")
        _espi_text(
            period,
            "duration",
            _epoch(_local_midnight(day + timedelta(days=1), zone)) - _epoch(midnight),
        )
        _espi_text(period, "start", _epoch(midnight))
        for reading in day_readings:
            interval_reading = _espi(block, "IntervalReading")
            if reading.quality == "estimated":
                _espi_text(
                    _espi(interval_reading, "ReadingQuality"), "quality", ESTIMATED_EXPORT_QUALITY
                )
            time_period = _espi(interval_reading, "timePeriod")
            _espi_text(time_period, "duration", duration)
            _espi_text(time_period, "start", reading.epoch)
            _espi_text(interval_reading, "value", round(reading.value * unit["per_stored"]))
    return etree.tostring(feed, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _urn(href: str) -> str:
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, href)}"


def _text(parent: etree._Element, name: str, value) -> etree._Element:
    element = etree.SubElement(parent, f"{{{ATOM}}}{name}")
    element.text = str(value)
    return element


def _espi(parent: etree._Element, name: str) -> etree._Element:
    return etree.SubElement(parent, f"{{{ESPI}}}{name}")


def _espi_text(parent: etree._Element, name: str, value) -> None:
    _espi(parent, name).text = str(value)
