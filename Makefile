# Shoene: `make run` serves the demo on the embedded default; `make test` runs the whole suite
# against PostgreSQL and Redis on localhost.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/shoene
TEST_REDIS_URL ?= redis://127.0.0.1:6379/14
# The portal benchmark's data set (~52 M readings) is built once in its own database and kept.
BENCH_PORTAL_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/shoene_portal_bench
BENCH_PORTAL_REDIS_URL ?= redis://127.0.0.1:6379/11
BENCH_TRACING_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/shoene_bench_tracing
# The export benchmark's data set (17.5 M readings) is built once in its own database and kept.
BENCH_EXPORT_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/shoene_export_bench
# The archive benchmark's month of readings is rebuilt on every run in its own database.
BENCH_ARCHIVE_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/shoene_archive_bench
# The figures audit's 1,000-premise demo is seeded once in its own database and kept.
BENCH_FIGURES_DB ?= shoene_figures_bench
BENCH_FIGURES_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/$(BENCH_FIGURES_DB)
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install messages browser prometheus run test lint format drill-chaos fuzz-api bench-readings-api bench-page-weight bench-load bench-ingest bench-flags bench-caltrack bench-savings-accuracy bench-billing-accuracy bench-hourly bench-recommendations bench-portal bench-overview bench-experiment-results bench-tracing bench-export bench-experiments bench-figures bench-scale bench-archive clean

# The portal's charts use only bar and scatter traces: plotly's published "basic" bundle
# (scatter, bar, pie; 1.2 MB, 0.4 MB compressed) instead of the full 4.8 MB one that ships in
# the plotly package. Fetched from the npm registry, checked against its SHA-256, kept out of
# git; the same plotly.js version as the Python package's (tests/dashboards/test_plotly_bundle.py).
# Without npm the full bundle is served (dashboards/staticfiles.py).
PLOTLY_BASIC_VERSION := 4.1.1
PLOTLY_BASIC_SHA256 := 99784e3abfb07b142a15e521a439e6d9addceadb3f79553fd24c72774f0649ba
PLOTLY_BASIC := dashboards/vendor/plotly-basic.min.js

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP) $(PLOTLY_BASIC)

$(PLOTLY_BASIC):
	@command -v npm >/dev/null || { echo "npm not found: the full plotly.js bundle will be served"; exit 0; }; \
	tmp=$$(mktemp -d) && cd $$tmp && \
	npm pack --silent plotly.js-basic-dist-min@$(PLOTLY_BASIC_VERSION) >/dev/null && \
	tar xzf plotly.js-basic-dist-min-$(PLOTLY_BASIC_VERSION).tgz && \
	echo "$(PLOTLY_BASIC_SHA256)  package/plotly-basic.min.js" | sha256sum --check --quiet - && \
	mkdir -p $(CURDIR)/dashboards/vendor && \
	cp package/plotly-basic.min.js package/LICENSE $(CURDIR)/dashboards/vendor/ && \
	rm -rf $$tmp


# The browser tests (tests/e2e) drive Debian's Chromium through Playwright, with a Japanese font
# (without one, Japanese pages screenshot as empty boxes). Installed as root, each only when its
# file is missing; `apt-get update` first only when the package lists don't know the package,
# and again when installing from the lists we have fails (they went stale).
CHROMIUM := /usr/bin/chromium
JAPANESE_FONT := /usr/share/fonts/opentype/ipafont-gothic/ipag.ttf
APT_INSTALL := DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends
apt_install = apt-cache policy $(1) | grep -q 'Candidate: [0-9]' || apt-get update; \
	$(APT_INSTALL) $(1) || { apt-get update && $(APT_INSTALL) $(1); }

$(CHROMIUM):
	$(call apt_install,chromium)

$(JAPANESE_FONT):
	$(call apt_install,fonts-ipafont-gothic)

# axe-core, the accessibility rules the browser tests run on every page (tests/e2e), fetched
# from the npm registry and checked against its SHA-256; kept out of git.
AXE_VERSION := 4.14.1
AXE_SHA256 := 29348999450cdf2849a8e70b7912fc2da85a849da39c0d0d5394f51d4a9ed95c
AXE := tests/e2e/vendor/axe.min.js

$(AXE):
	tmp=$$(mktemp -d) && cd $$tmp && \
	npm pack --silent axe-core@$(AXE_VERSION) >/dev/null && \
	tar xzf axe-core-$(AXE_VERSION).tgz && \
	echo "$(AXE_SHA256)  package/axe.min.js" | sha256sum --check --quiet - && \
	mkdir -p $(CURDIR)/tests/e2e/vendor && \
	cp package/axe.min.js package/LICENSE $(CURDIR)/tests/e2e/vendor/ && \
	rm -rf $$tmp

browser: $(CHROMIUM) $(JAPANESE_FONT) $(AXE)

# Prometheus and promtool (Debian's prometheus package): the test that scrapes a running web
# and worker with a real Prometheus, and the checks of the configs and alert rules we ship.
PROMETHEUS := /usr/bin/prometheus

$(PROMETHEUS):
	$(call apt_install,prometheus)

prometheus: $(PROMETHEUS)

# Translations: the .po catalogues are committed, the compiled .mo files are built here with
# GNU gettext's msgfmt (Debian's gettext package, installed where missing).
MSGFMT := /usr/bin/msgfmt

$(MSGFMT):
	$(call apt_install,gettext)

messages: install $(MSGFMT)
	$(BIN)/python manage.py compilemessages --ignore=.venv -v 0

# A developer's terminal: short plain log lines (production logs JSON), and during the seed
# only warnings, so its progress bar is what shows.
run: export LOG_FORMAT ?= plain
run: install messages
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py sync_flags
	LOG_LEVEL=WARNING $(BIN)/python manage.py seed_demo --if-empty
	@echo "Serving on http://$(HOST):$(PORT)/  (portal: /  log in as demo; admin: /admin/; API: /api/v1/)"
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

test: install messages browser prometheus
	DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) $(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench-ingest: install
	DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) $(BIN)/python bench/ingest.py

# Its own PostgreSQL and Redis (on free ports) and gunicorn; 200 clients for 60 s on loopback.
# Not part of `make test`: the API contract test at nightly size (4 callers × 23 operations ×
# 120 randomised examples, over 10,000 requests); it prints the count and the statuses.
fuzz-api: install messages
	API_FUZZ_EXAMPLES=$${API_FUZZ_EXAMPLES:-120} DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) \
		$(BIN)/python -m pytest tests/api/test_schema_contract.py -q -p no:cacheprovider

# /api/v1/readings/ per page at each resolution, first and deep pages: on the `make run`
# database (db.sqlite3; seed it with `make run` first), then on the portal benchmark's
# PostgreSQL data set (1,000 premises x 2 years; built by `make bench-portal`).
bench-readings-api: install
	LOG_LEVEL=WARNING $(BIN)/python bench/readings_api.py --database-url sqlite:///$(CURDIR)/db.sqlite3
	LOG_LEVEL=WARNING $(BIN)/python bench/readings_api.py --database-url $(BENCH_PORTAL_DATABASE_URL)

# Not part of `make test`: 10 minutes of faults under steady ingest (bench/chaos.py).
drill-chaos: install messages
	$(BIN)/python bench/chaos.py $(DRILL_CHAOS_ARGS)

bench-load: install messages
	$(BIN)/python bench/load.py $(BENCH_LOAD_ARGS)

# The first chart page's weight and largest contentful paint in Chromium, desktop and a phone on
# emulated 4G, served as production serves it (bench/page_weight.py; seed db.sqlite3 with
# `make run` first).
bench-page-weight: install messages browser
	$(BIN)/python bench/page_weight.py $(BENCH_PAGE_WEIGHT_ARGS)

bench-flags: install
	$(BIN)/python bench/flags.py

bench-caltrack: install
	$(BIN)/python bench/caltrack_fit.py

bench-recommendations: install
	$(BIN)/python bench/recommendations.py

bench-portal: install messages
	$(BIN)/python bench/portal.py --database-url $(BENCH_PORTAL_DATABASE_URL) \
		--redis-url $(BENCH_PORTAL_REDIS_URL) $(BENCH_PORTAL_ARGS)

# The staff overview on the portal benchmark's data set (built by bench-portal, reused here).
bench-overview: install messages
	$(BIN)/python bench/overview.py --database-url $(BENCH_PORTAL_DATABASE_URL) \
		--redis-url $(BENCH_PORTAL_REDIS_URL) $(BENCH_OVERVIEW_ARGS)

# The staff experiment results page (read, and the compute-now button) on the same data set.
bench-experiment-results: install messages
	$(BIN)/python bench/experiment_results.py --database-url $(BENCH_PORTAL_DATABASE_URL) \
		--redis-url $(BENCH_PORTAL_REDIS_URL) $(BENCH_EXPERIMENT_RESULTS_ARGS)

# A request's server time with tracing not installed, off (the default) and on.
bench-tracing: install
	$(BIN)/python bench/tracing.py --database-url $(BENCH_TRACING_DATABASE_URL) $(BENCH_TRACING_ARGS)

bench-export: install
	$(BIN)/python bench/export.py --database-url $(BENCH_EXPORT_DATABASE_URL) $(BENCH_EXPORT_ARGS)

# Cost as the store grows: ingest, a batch's rollup, one meter's month and the portal home at
# 0, 50 M and 200 M stored readings, each size in its own database (shoene_scale_0, _50m, _200m)
# built once with binary COPY and kept (about 30 GB of disk for all three); the ratios to the
# empty store are the figures (docs/benchmarks.md, "Cost as the store grows").
BENCH_SCALE_SIZES ?= 0,50M,200M
bench-scale: install messages
	$(BIN)/python bench/scale.py --sizes $(BENCH_SCALE_SIZES) $(BENCH_SCALE_ARGS)

# figures_audit on the default demo (SQLite, a temporary file) and on 1,000 premises (PostgreSQL).
bench-figures: install messages
	rm -f /tmp/shoene-figures-default.sqlite3
	DATABASE_URL=sqlite:////tmp/shoene-figures-default.sqlite3 $(BIN)/python manage.py migrate --noinput -v 0
	DATABASE_URL=sqlite:////tmp/shoene-figures-default.sqlite3 $(BIN)/python manage.py seed_demo
	DATABASE_URL=sqlite:////tmp/shoene-figures-default.sqlite3 $(BIN)/python manage.py figures_audit
	psql -h 127.0.0.1 -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$(BENCH_FIGURES_DB)'" \
		| grep -q 1 || createdb -h 127.0.0.1 -U postgres $(BENCH_FIGURES_DB)
	DATABASE_URL=$(BENCH_FIGURES_DATABASE_URL) $(BIN)/python manage.py migrate --noinput -v 0
	DATABASE_URL=$(BENCH_FIGURES_DATABASE_URL) $(BIN)/python manage.py seed_demo --premises 1000 --if-empty
	DATABASE_URL=$(BENCH_FIGURES_DATABASE_URL) $(BIN)/python manage.py figures_audit

bench-savings-accuracy: install
	$(BIN)/python bench/savings_accuracy.py

# The CalTRACK hourly method on simulated hourly use with known occupancy and slopes (no database).
bench-hourly: install
	$(BIN)/python bench/savings_hourly.py

# The CalTRACK billing method on simulated monthly bills with a known saving (no database).
bench-billing-accuracy: install
	$(BIN)/python bench/savings_billing_accuracy.py $(BENCH_BILLING_ACCURACY_ARGS)

bench-experiments: install
	$(BIN)/python bench/experiments.py

# A month of 1,000 meters' half-hourly readings (1.44 M) archived to Parquet and restored:
# times, and whether the rows' checksums are identical (bench/archive.py).
bench-archive: install
	$(BIN)/python bench/archive.py --database-url $(BENCH_ARCHIVE_DATABASE_URL) $(BENCH_ARCHIVE_ARGS)

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles .pytest_cache .ruff_cache
