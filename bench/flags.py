"""What one flag check costs for a logged-in customer, with a warm cache.

    make bench-flags        (or: .venv/bin/python bench/flags.py [--redis-url URL])

Runs against a throwaway SQLite database (the checks read no database once warm). Measures,
for a 50 % rollout and a group-targeted flag:

* Shoene's path (``flags.services.flag_is_active``: the request's unit, the process snapshot,
  the sticky hash), and the evaluation core alone;
* the OpenFeature client the portal uses, when the provider is installed;
* waffle's own ``flag_is_active`` with its cache warm, on the local-memory cache and on Redis
  (production), for comparison.

Each figure is the median over 50 batches of the time per call in a batch of 2,000 calls,
with users cycling through 1,000 customers.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

BATCHES = 50
CALLS = 2000
USERS = 1000


def per_call_us(function, requests) -> tuple[float, float]:
    samples = []
    n = len(requests)
    for batch in range(BATCHES):
        start = time.perf_counter()
        for i in range(CALLS):
            function(requests[(batch * CALLS + i) % n])
        samples.append((time.perf_counter() - start) / CALLS * 1e6)
    samples.sort()
    return statistics.median(samples), samples[int(0.95 * len(samples)) - 1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/8")
    args = parser.parse_args()

    database = Path(tempfile.mkdtemp()) / "flags-bench.sqlite3"
    os.environ["DATABASE_URL"] = f"sqlite:///{database}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
    os.environ["DJANGO_DEBUG"] = "false"
    os.environ["LOG_LEVEL"] = "WARNING"
    import django

    django.setup()
    from django.conf import settings

    # Two more caches for waffle's comparison, declared before any cache is first used.
    settings.CACHES["bench-locmem"] = {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "bench",
    }
    settings.CACHES["bench-redis"] = {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": args.redis_url,
        "KEY_PREFIX": "bench-flags",
    }
    from django.contrib.auth.models import Group, User
    from django.core.cache import caches
    from django.core.management import call_command
    from django.test import RequestFactory
    from waffle import flag_is_active as waffle_flag_is_active

    from flags import evaluation, services
    from flags.models import Flag

    call_command("migrate", verbosity=0)
    group = Group.objects.create(name="Pilot customers")
    users = User.objects.bulk_create(User(username=f"customer{i:04d}") for i in range(USERS))
    users = list(User.objects.order_by("pk"))
    for user in users[::10]:
        user.groups.add(group)
    Flag.objects.create(name="portal_winter_tips", percent=50)
    Flag.objects.create(name="pilot_banner").groups.add(group)

    factory = RequestFactory()
    requests = []
    for user in users:
        request = factory.get("/")
        request.user = user
        requests.append(request)

    rows = []

    def measure(label: str, function) -> None:
        for request in requests:  # warm: snapshot, request units, caches
            function(request)
        median, p95 = per_call_us(function, requests)
        rows.append((label, median, p95))

    for name in ("portal_winter_tips", "pilot_banner"):
        measure(
            f"flags.services.flag_is_active ({name})",
            lambda r, name=name: services.flag_is_active(request=r, name=name),
        )
    units = {id(r): services.unit_for(r) for r in requests}
    measure(
        "flags.evaluation.flag_is_active (core, unit ready)",
        lambda r: evaluation.flag_is_active(name="portal_winter_tips", unit=units[id(r)]),
    )
    try:
        from openfeature import api
        from openfeature.evaluation_context import EvaluationContext

        from flags import openfeature_provider as shoene_openfeature  # noqa: F401

        client = api.get_client()
        contexts = {
            id(r): EvaluationContext(
                targeting_key=str(r.user.pk), attributes={"is_authenticated": True}
            )
            for r in requests
        }
        measure(
            "OpenFeature client get_boolean_value (portal path)",
            lambda r: client.get_boolean_value("portal_winter_tips", False, contexts[id(r)]),
        )
    except ImportError:
        rows.append(("OpenFeature client (not installed)", float("nan"), float("nan")))

    for cache_name, alias in (("local memory", "bench-locmem"), ("Redis", "bench-redis")):
        settings.WAFFLE_CACHE_NAME = alias
        caches[alias].clear()
        measure(
            f"waffle flag_is_active, {cache_name} cache (portal_winter_tips)",
            lambda r: waffle_flag_is_active(r, "portal_winter_tips"),
        )

    print(f"{USERS} customers, {BATCHES} batches × {CALLS} calls; median and p95 µs per call")
    print("| check | median µs | p95 µs |")
    print("|---|---:|---:|")
    for label, median, p95 in rows:
        print(f"| {label} | {median:.1f} | {p95:.1f} |")


if __name__ == "__main__":
    main()
