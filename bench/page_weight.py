"""Page weight and largest contentful paint of the portal's first chart page, in Chromium.

    make bench-page-weight                     # on the `make run` database (db.sqlite3)
    .venv/bin/python bench/page_weight.py --database-url sqlite:////path/to/db.sqlite3

Serves the database as production does (gunicorn, production settings, static files collected
and compressed by whitenoise), signs in as the demo customer in Debian's Chromium (Playwright)
and opens their home page (the first page with a chart) with an empty cache, --runs times per
profile:

- desktop: 1280 × 800, no throttling;
- phone on 4G: 375 × 812, the network Lighthouse's mobile audits emulate (150 ms round trip,
  1.6 Mbit/s down, 750 kbit/s up; Chrome DevTools Protocol ``Network.emulateNetworkConditions``),
  no CPU throttling.

Per profile it prints the bytes transferred (every request of the page as it crossed the
wire: headers and compressed bodies, from the Resource Timing API), the largest contentful paint
(``PerformanceObserver``), the time until the first chart is drawn (plotly's ``.main-svg``) and
the bytes of plotly.js alone. Medians over the runs. Not part of the test run; a figure for
docs/benchmarks.md.
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CHROMIUM = "/usr/bin/chromium"
SLOW_4G = {  # Lighthouse's mobile network throttling
    "offline": False,
    "latency": 150,
    "downloadThroughput": 1.6 * 1024 * 1024 / 8,
    "uploadThroughput": 750 * 1024 / 8,
}
PROFILES = {
    "desktop": {"viewport": {"width": 1280, "height": 800}, "network": None},
    "phone, 4G": {"viewport": {"width": 375, "height": 812}, "network": SLOW_4G},
}
LCP_SCRIPT = """
() => new Promise(resolve => {
  new PerformanceObserver(list => {
    const entries = list.getEntries();
    resolve(entries[entries.length - 1].startTime);
  }).observe({type: 'largest-contentful-paint', buffered: true});
  setTimeout(() => resolve(null), 5000);
})
"""


TRANSFERS_SCRIPT = """
() => performance.getEntriesByType('navigation').concat(performance.getEntriesByType('resource'))
  .map(entry => [entry.name, entry.transferSize])
"""


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def serve(database_url: str, static_root: Path, log: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "DJANGO_SECRET_KEY": "bench-page-weight-" + "x" * 40,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "DJANGO_SECURE_COOKIES": "false",
        "DJANGO_STATIC_ROOT": str(static_root),
        "DATABASE_URL": database_url,
        "REDIS_URL": "",
        "LOG_LEVEL": "WARNING",
    }
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
        cwd=ROOT,
        env=env,
        check=True,
    )
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "config/gunicorn.py", "config.wsgi"],
        cwd=ROOT,
        env={**env, "GUNICORN_BIND": f"127.0.0.1:{port}", "GUNICORN_WORKERS": "2"},
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                return server, base
        except httpx.HTTPError:
            time.sleep(0.2)
    server.kill()
    raise SystemExit(f"gunicorn did not start:\n{log.read_text()[-2000:]}")


def visit(browser, base: str, profile: dict, password: str) -> dict:
    context = browser.new_context(viewport=profile["viewport"], locale="ja-JP")
    page = context.new_page()
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", "demo")
    page.fill("input[name=password]", password)
    with page.expect_navigation():
        page.click("main button[type=submit]")
    home = page.url
    if "/premises/" not in home:
        raise SystemExit(f"the demo login did not reach a home page: {home}")

    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.clearBrowserCache")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    if profile["network"]:
        cdp.send("Network.emulateNetworkConditions", profile["network"])
    started = time.perf_counter()
    page.goto(home, wait_until="load")
    chart = page.locator(".main-svg").first
    chart.wait_for(timeout=60_000)
    chart_ms = (time.perf_counter() - started) * 1000
    lcp = page.evaluate(LCP_SCRIPT)
    page.wait_for_load_state("networkidle")
    # Bytes as they crossed the wire (headers and compressed bodies), from Resource Timing.
    transfers = page.evaluate(TRANSFERS_SCRIPT)
    context.close()
    if os.environ.get("PAGE_WEIGHT_DEBUG"):
        for url, size in sorted(transfers, key=lambda item: -item[1]):
            print(f"    {size:>9,} {url[:100]}")
    return {
        "bytes": sum(size for _, size in transfers),
        "plotly_bytes": sum(size for url, size in transfers if "plotly" in url),
        "lcp_ms": lcp,
        "chart_ms": chart_ms,
        "requests": len(transfers),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--database-url", default=f"sqlite:///{ROOT / 'db.sqlite3'}", help="a seeded database"
    )
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
    import django
    from playwright.sync_api import sync_playwright

    django.setup()
    from energy.demo import DEMO_PASSWORD

    workdir = Path(tempfile.mkdtemp(prefix="shoene-page-weight-"))
    server, base = serve(args.database_url, workdir / "static", workdir / "gunicorn.log")
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM)
            print(
                "| profile | transferred | of it plotly.js | LCP | first chart drawn | requests |"
            )
            print("|---|---|---|---|---|---|")
            for name, profile in PROFILES.items():
                visits = [visit(browser, base, profile, DEMO_PASSWORD) for _ in range(args.runs)]

                def median(key: str, visits=visits) -> float:
                    return statistics.median(v[key] for v in visits)

                print(
                    f"| {name} | {median('bytes') / 1024:,.0f} KiB "
                    f"| {median('plotly_bytes') / 1024:,.0f} KiB | {median('lcp_ms'):,.0f} ms "
                    f"| {median('chart_ms'):,.0f} ms | {median('requests'):.0f} |"
                )
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=30)
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
