"""Read a Green Button (ESPI) Atom feed into plain usage data, and write one.

ESPI codes used here are those of the ESPI schema (espiDerived.xsd, as published in the Green
Button Alliance's OpenESPI-Common-java): ServiceKind 0 electricity / 1 gas; UnitSymbolKind
72 Wh, 42 m³, 119 ft³, 169 therm; CommodityKind 0 none, 1 electricity secondary metered,
2 electricity primary metered, 7 natural gas; AccumulationKind 4 deltaData; FlowDirectionKind
1 forward; MeasurementKind 12 energy / 58 volume; QualityOfReading 8 and 9 estimated,
12 projected.

A UsagePoint says what it meters in ServiceCategory/kind. Some utilities' feeds leave it out; then
the commodity is inferred from the UsagePoint's ReadingTypes (their uom and, when given, their
commodity), the inference is noted on the UsagePoint, and any doubt refuses the file.

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
# ReadingType commodity (CommodityKind): 0 says nothing; other codes are neither of ours.
COMMODITY_KINDS = {1: ELECTRICITY, 2: ELECTRICITY, 7: GAS}
COMMODITY_NONE = 0

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
    # What was inferred rather than read (a commodity taken from the ReadingTypes), as sentences
    # naming the elements: shown with the batch's outcome.
    notes: list[str] = field(default_factory=list)


@dataclass(slots=True)
class _Entry:
    id: str  # for messages: the Atom id, else the self href, else "at entry <n>"
    title: str
    self_href: str
    up_href: str
    related: set[str]
    resource: etree._Element
    updated: str | None = None  # its Atom <updated>, when that is a date-time with an offset
    atom_id: str = ""  # the Atom id as written (empty when there is none)


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
        links = {"self": "", "up": ""}
        related = set()
        for link in entry.iterfind(f"{{{ATOM}}}link"):
            rel, href = link.get("rel", "alternate"), _href(link.get("href"))
            if rel == "related" and href:
                related.add(href)
            elif rel in links:
                links[rel] = href
        where = entry_id or links["self"] or f"at entry {number}"
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
                    f"Entry {entry_id or links['self'] or number} holds {_name(resource)}, "
                    "which this importer does not read; "
                    "supported: UsagePoint, MeterReading, ReadingType, IntervalBlock "
                    "(summaries and LocalTimeParameters are skipped).",
                    entry=where,
                )
            title = (entry.findtext(f"{{{ATOM}}}title") or "").strip()
            yield _Entry(
                where,
                title,
                links["self"],
                links["up"],
                related,
                resource,
                _updated(entry),
                entry_id,
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


def _integer(
    parent: etree._Element, path: str, where: str, *, required: bool = True, **details
) -> int | None:
    """The integer at ``path`` under ``parent`` (e.g. "timePeriod/start"); ``where`` names the
    element ``parent`` is ("IntervalBlock urn:…, IntervalReading 3") for the messages."""
    text = parent.findtext("/".join(f"{{{ESPI}}}{part}" for part in path.split("/")))
    if text is None or not text.strip():
        if required:
            raise _fail(f"{where}: {path} is missing.", element=path, **details)
        return None
    try:
        return int(text.strip())
    except ValueError:
        raise _fail(
            f"{where}: {path} {text.strip()!r} is not an integer.", element=path, **details
        ) from None


@dataclass(frozen=True, slots=True)
class _ReadingType:
    entry_id: str
    uom: int
    unit: UnitOfMeasure
    power_of_ten: int
    interval_length: int | None
    default_quality: int | None
    commodity: int | None  # CommodityKind, when given

    def describe(self) -> str:
        return f"{self.unit.symbol} × 10^{self.power_of_ten}"

    def evidence(self) -> str:
        """What says which commodity this is, e.g. "uom 169 therm, commodity 7"."""
        given = self.commodity is not None and self.commodity != COMMODITY_NONE
        return f"uom {self.uom} {self.unit.symbol}" + (
            f", commodity {self.commodity}" if given else ""
        )


def _reading_type(entry: _Entry, gas_mj_per_m3: float) -> _ReadingType:
    element, where = entry.resource, f"ReadingType {entry.id}"
    uom = _integer(element, "uom", where, required=False, entry=entry.id)
    if uom is None:
        raise _fail(f"{where} has no uom, so its unit is unknown.", entry=entry.id, element="uom")
    unit = UNITS.get(uom)
    if unit is None:
        raise _fail(
            f"{where} has uom {uom}; supported: "
            + ", ".join(f"{code} ({u.symbol})" for code, u in UNITS.items())
            + ".",
            entry=entry.id,
            element="uom",
            uom=uom,
        )
    power = _integer(element, "powerOfTenMultiplier", where, required=False, entry=entry.id) or 0
    if power not in POWERS_OF_TEN:
        raise _fail(
            f"{where}: powerOfTenMultiplier {power} is out of range "
            f"({POWERS_OF_TEN.start} to {POWERS_OF_TEN.stop - 1}).",
            entry=entry.id,
            element="powerOfTenMultiplier",
        )
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
        code = _integer(element, name, where, required=False, entry=entry.id)
        if code is not None and code not in allowed:
            raise _fail(
                f"{where} has {name} {code}; {meaning} can be imported.",
                entry=entry.id,
                element=name,
            )
    if unit.per_unit is None and not gas_mj_per_m3 > 0:
        raise _fail(
            f"{where} is in therms (uom 169), and the gas calorific value setting "
            "(GAS_CALORIFIC_VALUE_MJ_PER_M3) must be positive to convert them.",
            entry=entry.id,
        )
    return _ReadingType(
        entry.id,
        uom,
        unit,
        power,
        _integer(element, "intervalLength", where, required=False, entry=entry.id),
        _integer(element, "defaultQuality", where, required=False, entry=entry.id),
        _integer(element, "commodity", where, required=False, entry=entry.id),
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
    """The block's IntervalReadings; each ``problem`` names the reading (its place in the
    block) and the element at fault."""
    block_where = f"IntervalBlock {block.id}"
    block_start = _integer(
        block.resource, "interval/start", block_where, required=False, entry=block.id
    )
    values = []
    readings = block.resource.iterfind(f"{{{ESPI}}}IntervalReading")
    for index, reading in enumerate(readings):
        position += 1
        where = f"{block_where}, IntervalReading {index + 1}"
        start = duration = None
        start_from = "timePeriod/start"
        duration_from = "timePeriod/duration"
        period = reading.find(f"{{{ESPI}}}timePeriod")
        problem = None
        try:
            if period is not None:
                start = _integer(reading, "timePeriod/start", where)
                duration = _integer(reading, "timePeriod/duration", where)
            elif block_start is not None and reading_type.interval_length:
                # ESPI: without a timePeriod, readings follow each other by intervalLength.
                duration = reading_type.interval_length
                start = block_start + index * duration
                start_from = f"interval/start + {index} × intervalLength"
                duration_from = f"ReadingType {reading_type.entry_id} intervalLength"
            elif block_start is None:
                problem = (
                    f"{where} has no timePeriod, and the IntervalBlock has no interval/start "
                    "to count from"
                )
            else:
                problem = (
                    f"{where} has no timePeriod, and its ReadingType {reading_type.entry_id} "
                    "has no intervalLength"
                )
            raw = _integer(reading, "value", where, required=False)
        except ValidationFailed as exc:
            values.append(
                IntervalValue(
                    position, start, duration, None, problem=exc.message, source_time=source_time
                )
            )
            continue
        if problem is None and raw is None:
            problem = f"{where} has no value"
        if problem is None and (duration is None or not 0 < duration <= MAX_DURATION):
            problem = f"{where}: {duration_from} {duration} is not 1 to {MAX_DURATION} seconds"
        if problem is None and not 0 <= start <= LATEST_START:
            problem = f"{where}: {start_from} {start} is not between 1970 and 9999"
        read_codes = [
            int(q.text)
            for q in reading.iterfind(f"{{{ESPI}}}ReadingQuality/{{{ESPI}}}quality")
            if (q.text or "").strip().isdigit()
        ]
        codes = read_codes or (
            [reading_type.default_quality] if reading_type.default_quality is not None else []
        )
        if problem is None and PROJECTED_QUALITY in codes:
            said_by = (
                "ReadingQuality/quality"
                if read_codes
                else f"its ReadingType {reading_type.entry_id} defaultQuality"
            )
            problem = (
                f"{where}: {said_by} {PROJECTED_QUALITY} says the value is projected "
                "(a forecast), not a reading"
            )
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
    if linked:
        # UsagePoints are named by their href everywhere (it is what staff map to meters).
        which = ", ".join(
            (parent.self_href or parent.id) if parent_kind == "UsagePoint" else parent.id
            for parent in linked
        )
        raise _fail(
            f"{kind} {child.id} belongs to more than one {parent_kind} in this file ({which}).",
            entry=child.id,
        )
    raise _fail(
        f"{kind} {child.id} belongs to no {parent_kind} in this file: none has a related link "
        "to its self or up href, nor a self href its own is under.",
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

    identifiers: dict[int, str] = {}
    seen: set[str] = set()
    kinds: dict[int, int | None] = {}
    for entry in by_kind["UsagePoint"]:
        if not entry.self_href and not entry.atom_id:
            raise _fail(
                f"The UsagePoint {entry.id} has neither a self link nor an id, so it cannot be "
                "mapped to a meter.",
                entry=entry.id,
            )
        identifier = entry.self_href or entry.id
        if identifier in seen:
            raise _fail(f"UsagePoint {identifier} appears twice.", usage_point=identifier)
        seen.add(identifier)
        identifiers[id(entry)] = identifier
        where = f"UsagePoint {identifier}"
        kind = _integer(
            entry.resource, "ServiceCategory/kind", where, required=False, usage_point=identifier
        )
        if kind is not None and kind not in SERVICE_KINDS:
            raise _fail(
                f"{where}: ServiceCategory/kind {kind} is not supported; 0 (electricity) and "
                "1 (gas) can be imported.",
                usage_point=identifier,
                element="ServiceCategory/kind",
                kind=kind,
            )
        kinds[id(entry)] = kind

    reading_types = {rt.self_href: rt for rt in by_kind["ReadingType"] if rt.self_href}
    mr_types: dict[int, _ReadingType] = {}
    mr_owners: dict[int, _Entry] = {}
    types_of: dict[int, list[tuple[_Entry, _ReadingType]]] = {
        id(entry): [] for entry in by_kind["UsagePoint"]
    }
    for meter_reading in by_kind["MeterReading"]:
        owner = _owner(meter_reading, by_kind["UsagePoint"], "MeterReading", "UsagePoint")
        linked = [reading_types[href] for href in meter_reading.related if href in reading_types]
        if len(linked) != 1 and len(by_kind["ReadingType"]) == 1:
            linked = by_kind["ReadingType"]
        if len(linked) != 1:
            raise _fail(
                f"MeterReading {meter_reading.id} links to {len(linked)} ReadingTypes"
                + (f" ({', '.join(sorted(rt.id for rt in linked))})" if linked else "")
                + "; exactly one is needed (a related link to its self href).",
                entry=meter_reading.id,
            )
        reading_type = _reading_type(linked[0], gas_mj_per_m3)
        types_of[id(owner)].append((meter_reading, reading_type))
        mr_types[id(meter_reading)] = reading_type
        mr_owners[id(meter_reading)] = owner

    points: dict[int, UsagePointData] = {}
    for entry in by_kind["UsagePoint"]:
        identifier, readings = identifiers[id(entry)], types_of[id(entry)]
        commodity, note = _commodity(identifier, kinds[id(entry)], readings)
        points[id(entry)] = UsagePointData(
            identifier,
            entry.atom_id,
            entry.title,
            commodity,
            units=[reading_type.describe() for _, reading_type in readings],
            notes=[note] if note else [],
        )

    position = 0
    for block in by_kind["IntervalBlock"]:
        if not by_kind["MeterReading"]:
            raise _fail(
                f"IntervalBlock {block.id} belongs to no MeterReading: the file holds none.",
                entry=block.id,
            )
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
        points[id(mr_owners[id(meter_reading)])].readings.extend(values)
    return list(points.values())


def _commodity(
    identifier: str, kind: int | None, readings: list[tuple[_Entry, _ReadingType]]
) -> tuple[str, str | None]:
    """A usage point's commodity from its ServiceCategory/kind, else from its MeterReadings'
    ReadingTypes; with a note saying so when it was inferred. Any doubt refuses the file."""
    where = f"UsagePoint {identifier}"
    if kind is not None:
        commodity = SERVICE_KINDS[kind]
        for meter_reading, reading_type in readings:
            if reading_type.unit.commodity != commodity:
                raise _fail(
                    f"MeterReading {meter_reading.id} is in {reading_type.unit.symbol} "
                    f"(ReadingType {reading_type.entry_id}, uom {reading_type.uom}), which is "
                    f"not a unit of {commodity}: {where} has ServiceCategory/kind {kind} "
                    f"({commodity}).",
                    entry=meter_reading.id,
                    usage_point=identifier,
                )
        return commodity, None

    types = list({rt.entry_id: rt for _, rt in readings}.values())  # each ReadingType once
    if not types:
        raise _fail(
            f"{where} has no ServiceCategory/kind and no MeterReading with a ReadingType, so "
            "nothing says whether it is electricity or gas.",
            usage_point=identifier,
            element="ServiceCategory/kind",
        )
    for reading_type in types:
        code = reading_type.commodity
        if code is None or code == COMMODITY_NONE:
            continue
        named = COMMODITY_KINDS.get(code)
        if named is None:
            raise _fail(
                f"{where} has no ServiceCategory/kind, and its ReadingType "
                f"{reading_type.entry_id} has commodity {code}, which is neither electricity "
                "(1, 2) nor natural gas (7).",
                usage_point=identifier,
                entry=reading_type.entry_id,
                commodity=code,
            )
        if named != reading_type.unit.commodity:
            raise _fail(
                f"{where} has no ServiceCategory/kind, and its ReadingType "
                f"{reading_type.entry_id} disagrees with itself: uom {reading_type.uom} "
                f"({reading_type.unit.symbol}) is {reading_type.unit.commodity} but commodity "
                f"{code} is {named}.",
                usage_point=identifier,
                entry=reading_type.entry_id,
                uom=reading_type.uom,
                commodity=code,
            )
    commodities = {reading_type.unit.commodity for reading_type in types}
    if len(commodities) > 1:
        raise _fail(
            f"{where} has no ServiceCategory/kind, and its ReadingTypes disagree: "
            + "; ".join(
                f"ReadingType {rt.entry_id} ({rt.evidence()}) is {rt.unit.commodity}"
                for rt in types
            )
            + ".",
            usage_point=identifier,
        )
    commodity = commodities.pop()
    sources = ", ".join(f"{rt.entry_id} ({rt.evidence()})" for rt in types)
    return commodity, (
        f"{where} has no ServiceCategory/kind; {commodity} was inferred from "
        f"{'ReadingType' if len(types) == 1 else 'ReadingTypes'} {sources}"
    )


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
