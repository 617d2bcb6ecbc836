"""Accept a delivery of cumulative registers: difference them into interval values and hand
those to the normal ingest pipeline (``batch_receive``), keeping the registers on the batch.

Chaining: each meter's latest register is kept (``MeterRegister``) with the settings it was
read with. A delivery whose registers all come after it starts from it, so the interval
between two deliveries is not lost. A delivery that arrives out of order (its first register is
not after the kept one) is differenced within itself only: its intervals are stored as usual
(already-stored ones count as duplicates), the kept register moves only forward, and the
interval joining it to its neighbours is not recovered — a gateway resending the slot before
a delivery with it fills that in. A change of coefficient, unit or digits does not chain.
"""

import hashlib
from dataclasses import dataclass
from datetime import UTC, timedelta

import orjson
from django.db import transaction
from django.utils import timezone

from config.errors import Conflict, ValidationFailed
from energy.ingest.services import batch_receive
from energy.interop.models import MeterRegister
from energy.interop.routeb.register import (
    Differenced,
    Register,
    RegisterError,
    RegisterSettings,
    intervals_from_registers,
)
from energy.models import BatchFormat, BatchStatus, IngestBatch, Meter, Quality

SOURCE = "register"


@dataclass(frozen=True)
class RegisterReceipt:
    batch: IngestBatch
    created: bool
    # None when an Idempotency-Key replayed an earlier delivery.
    differenced: Differenced | None = None
    kept: MeterRegister | None = None  # the meter's latest register after this delivery
    out_of_order: bool = False


def register_readings_receive(
    *,
    client,
    meter_serial: str,
    settings: RegisterSettings,
    registers: list[Register],
    raw_payload: str,
    idempotency_key: str | None = None,
) -> RegisterReceipt:
    """Difference a meter's registers into readings, queue them as a batch, keep the latest."""
    if idempotency_key:
        earlier = IngestBatch.objects.filter(client=client, idempotency_key=idempotency_key).first()
        if earlier is not None:
            if earlier.register_payload != raw_payload:
                raise Conflict(
                    "This Idempotency-Key was already used with a different body; "
                    "use a new key for new data.",
                    code="idempotency_key_reused",
                    details={"batch": str(earlier.pk)},
                )
            return RegisterReceipt(batch=earlier, created=False)

    meter = Meter.objects.filter(serial=meter_serial).first()
    if meter is None:
        raise ValidationFailed(
            f"No meter has the serial {meter_serial!r}.", code="unknown_meter", details={}
        )
    if meter.unit != "kWh":
        raise ValidationFailed(
            f"Meter {meter_serial} measures {meter.unit}; cumulative registers here are "
            "electricity registers in kWh (ECHONET Lite 0xEA).",
            code="not_electricity",
        )

    with transaction.atomic():
        # Deliveries for one meter take turns, so each chains from the one before it.
        Meter.objects.select_for_update(no_key=True).filter(pk=meter.pk).first()
        kept = MeterRegister.objects.filter(meter=meter).first()
        same_settings = kept is not None and (
            (kept.coefficient, kept.unit_code, kept.digits)
            == (settings.coefficient, settings.unit_code, settings.digits)
        )
        previous = Register(kept.ts, kept.value) if same_settings else None
        try:
            differenced = intervals_from_registers(
                registers=registers,
                settings=settings,
                interval=timedelta(minutes=meter.interval_minutes),
                previous=previous,
            )
        except RegisterError as exc:
            raise ValidationFailed(str(exc), code="invalid_registers", details=exc.details) from exc

        readings = [
            {
                "meter": meter.serial,
                "ts": interval.ts.astimezone(UTC).isoformat(),
                "value": interval.value_kwh,
                "quality": Quality.MEASURED.value,
            }
            for interval in differenced.intervals
        ]
        if readings:
            batch, created = batch_receive(
                client=client,
                body=orjson.dumps({"readings": readings}),
                content_type="application/json",
                idempotency_key=idempotency_key,
                source=SOURCE,
            )
            if created:
                IngestBatch.objects.filter(pk=batch.pk).update(register_payload=raw_payload)
        else:
            # Nothing to difference yet (a meter's first register, say): the delivery is kept
            # all the same, as a batch with no readings.
            batch, created = _empty_batch_create(client, idempotency_key, raw_payload), True

        latest = differenced.latest
        out_of_order = kept is not None and latest is not None and latest.ts <= kept.ts
        if latest is not None and (kept is None or latest.ts > kept.ts):
            kept, _ = MeterRegister.objects.update_or_create(
                meter=meter,
                defaults={
                    "ts": latest.ts,
                    "value": latest.value,
                    "coefficient": settings.coefficient,
                    "unit_code": settings.unit_code,
                    "digits": settings.digits,
                    "batch": batch,
                },
            )
    return RegisterReceipt(
        batch=batch, created=created, differenced=differenced, kept=kept, out_of_order=out_of_order
    )


def _empty_batch_create(client, idempotency_key: str | None, raw_payload: str) -> IngestBatch:
    payload = '{"readings": []}'
    now = timezone.now()
    return IngestBatch.objects.create(
        client=client,
        idempotency_key=idempotency_key or "",
        source=SOURCE,
        format=BatchFormat.JSON,
        payload=payload,
        payload_sha256=hashlib.sha256(payload.encode()).hexdigest(),
        register_payload=raw_payload,
        row_count=0,
        status=BatchStatus.DONE,
        started_at=now,
        finished_at=now,
    )
