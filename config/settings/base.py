"""Shoene settings, read from the environment (12-factor).

With no environment at all this is the embedded default: a SQLite file in the
project folder, Celery tasks run in-process and a local-memory cache. Set
``DATABASE_URL`` and ``REDIS_URL`` to use PostgreSQL, Redis and real workers.
"""

from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DJANGO_DEBUG", default=True)
SECRET_KEY = env.str(
    "DJANGO_SECRET_KEY",
    # Only for the embedded default; production.py refuses to start without a real one.
    default="django-insecure-shoene-local-development-key-change-me",
)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    # First, so its admin/base_site.html (the console's stylesheet, the link to the overview)
    # is found before Django's own.
    "core",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_prometheus",
    "flags.apps.WaffleSwitchesConfig",  # django-waffle, named for staff
    "simple_history",
    # Login throttling (portal and admin): failed attempts per username and address.
    "axes",
    "energy",
    "energy.apikeys",
    "energy.tariffs",
    "energy.bills",
    "energy.savings",
    "energy.campaigns",
    "energy.interop",
    "flags",
    "dashboards",
]

MIDDLEWARE = [
    # HTTP metrics (django-prometheus) around everything; with tracing on, OpenTelemetry's
    # middleware is put before it (config/observability/tracing.py).
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    # A request id, the JSON access line, API-scope counts (config/observability).
    "config.observability.middleware.RequestObservabilityMiddleware",
    # A NUL in the path or query is a 400 here (PostgreSQL text cannot hold it).
    "config.middleware.NulCharacterGuard",
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "config.middleware.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # After auth: history records of admin changes name the logged-in user.
    "simple_history.middleware.HistoryRequestMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "waffle.middleware.WaffleMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into its lockout answer.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "flags.context_processors.portal_flags",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DATABASES["default"].setdefault("TEST", {})
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A web process and the in-process tasks share one file: wait instead of failing.
    DATABASES["default"]["OPTIONS"] = {"timeout": 20, "init_command": "PRAGMA journal_mode=WAL;"}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache, Celery --------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")

if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="shoene"),
            # A Redis that is down or hangs holds a request at most this long per cache call;
            # the request then goes on without the cache (config/degrade.py).
            "OPTIONS": {
                "socket_connect_timeout": env.float(
                    "CACHE_SOCKET_CONNECT_TIMEOUT_SECONDS", default=0.5
                ),
                "socket_timeout": env.float("CACHE_SOCKET_TIMEOUT_SECONDS", default=1.0),
            },
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL or "memory://")
CELERY_RESULT_BACKEND = None
# No broker configured: run tasks in the calling process (the embedded default).
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_TASK_DEFAULT_QUEUE", default="shoene")
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "Asia/Tokyo"
CELERY_BROKER_TRANSPORT_OPTIONS = {
    # A message not acked within this time is redelivered by Redis (must exceed the
    # longest task); see Celery's "Redis caveats: visibility timeout".
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", 3600),
    # A Redis that hangs (stopped, failing over, a half-open connection) holds a publish or a
    # control ping at most this long per attempt, not forever (kombu's default): an ingest
    # request's enqueue after commit, the overview's refresh, the /metrics worker ping. Above
    # kombu's 1 s BRPOP timeout, so a worker's idle poll never times out.
    "socket_timeout": env.float("CELERY_BROKER_SOCKET_TIMEOUT_SECONDS", default=2.0),
    "socket_connect_timeout": env.float(
        "CELERY_BROKER_SOCKET_CONNECT_TIMEOUT_SECONDS", default=1.0
    ),
}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Periodic jobs: each app adds its own named entries, every one with a comment saying why it
# runs, from its AppConfig.ready() (<app>/schedules.py, through
# config.celery_app.beat_schedule_register); beat reads this one dict.
CELERY_BEAT_SCHEDULE: dict[str, dict] = {}
# How often the ingest sweeper runs (beat entry "ingest-requeue-stale-batches").
INGEST_REQUEUE_EVERY_S = env.float("INGEST_REQUEUE_EVERY_S", default=60.0)

# --- Auth, i18n, time -----------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# django-axes first: it refuses a login for a locked-out username and address before the
# password is checked (and counts failures); then the ordinary user-and-password check.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_ENABLED = env.bool("AXES_ENABLED", default=True)
# Locked per username *and* address together: a stranger guessing a customer's password is
# stopped without locking the customer out from home.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=0.25)  # hours: 15 minutes
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "dashboards/accounts/locked_out.html"
# Behind a proxy or ingress, the client's address is this many hops back in X-Forwarded-For.
AXES_IPWARE_PROXY_COUNT = env.int("AXES_PROXY_COUNT", default=0) or None
AXES_IPWARE_META_PRECEDENCE_ORDER = ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboards:home"
LOGOUT_REDIRECT_URL = "login"
PASSWORD_RESET_TIMEOUT = 60 * 60 * 24  # a reset link works for a day

LANGUAGE_CODE = "ja"
LANGUAGES = [("ja", "日本語"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
# The language a customer picks is remembered for a year (Django's default: the browser session).
LANGUAGE_COOKIE_AGE = 365 * 24 * 60 * 60
LANGUAGE_COOKIE_SAMESITE = "Lax"
USE_I18N = True
USE_TZ = True
# Display time zone. Stored datetimes are UTC; a premise's local day uses its region's zone.
TIME_ZONE = "Asia/Tokyo"

# --- Static files -----------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = env.path("DJANGO_STATIC_ROOT", default=BASE_DIR / "staticfiles")
STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
    # plotly.js from the plotly package, served locally as vendor/plotly.min.js
    "dashboards.staticfiles.PlotlyFinder",
]

# --- REST framework ------------------------------------------------------------------
REST_FRAMEWORK = {
    # API keys (hashed, scoped; energy/api/access.py) for machines, sessions for browsers.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "energy.api.access.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
        # Not a way in: limits anonymous calls per address before they are answered 401.
        "energy.api.access.AnonymousRateLimit",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_THROTTLE_CLASSES": ["energy.api.access.ApiKeyRateThrottle"],
    # Per key (a key may carry its own rate), per signed-in user, per address.
    "DEFAULT_THROTTLE_RATES": {
        "key": env.str("API_KEY_RATE", default="1200/min"),
        "user": env.str("API_USER_RATE", default="300/min"),
        "anon": env.str("API_ANON_RATE", default="60/min"),
        # Refused keys per address; past it even a right key waits (energy/api/access.py).
        "auth_failure": env.str("API_AUTH_FAILURE_RATE", default="20/min"),
    },
    "DEFAULT_PAGINATION_CLASS": "config.pagination.KeysetPagination",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "config.schema.ShoeneAutoSchema",
    "EXCEPTION_HANDLER": "config.api.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}

# /api/v1/readings/?resolution=day|month without a time range or quality filter reads the daily
# rollups (DailyUsage) instead of summing every reading (energy/api/readings.py); False sums
# the readings, as every other query does.
READINGS_AGGREGATES_FROM_ROLLUPS = env.bool("READINGS_AGGREGATES_FROM_ROLLUPS", default=True)
# A list's `next` cursor is refused after this long (config/pagination.py); a client reading
# an export page by page has a day.
API_CURSOR_MAX_AGE_S = env.int("API_CURSOR_MAX_AGE_S", default=24 * 3600)

SPECTACULAR_SETTINGS = {
    "TITLE": "Shoene API",
    "DESCRIPTION": (
        "Meter readings in and out, usage, tariffs, recommendations, savings and experiments. "
        "Authenticate with `Authorization: Bearer <API key>`; see docs/api.md."
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    # Swagger UI and ReDoc from our own static files: no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # The ways in (AnonymousRateLimit only limits calls that have none).
    "AUTHENTICATION_WHITELIST": [
        "energy.api.access.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    # A batch's status appears in more than one response (ingest, register ingest).
    "ENUM_NAME_OVERRIDES": {"BatchStatusEnum": "energy.models.BatchStatus"},
}

# --- Waffle ----------------------------------------------------------------------------
WAFFLE_FLAG_MODEL = "flags.Flag"
# Waffle's own cache is only written and flushed (flags/evaluation.py reads its own snapshot), so
# it lives in each process's memory: saving a flag never needs Redis.
WAFFLE_CACHE_NAME = "waffle"
CACHES["waffle"] = {
    "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
    "LOCATION": "waffle",
}
WAFFLE_CREATE_MISSING_FLAGS = False

# --- Ingest limits (see energy/ingest) ---------------------------------------------
# One POSTed body: larger gets 413 and nothing is stored.
INGEST_MAX_BODY_BYTES = env.int("INGEST_MAX_BODY_BYTES", default=16 * 1024 * 1024)
INGEST_MAX_ROWS = env.int("INGEST_MAX_ROWS", default=100_000)
# Request bodies up to the ingest limit are read; Django's own check uses the same figure.
DATA_UPLOAD_MAX_MEMORY_SIZE = INGEST_MAX_BODY_BYTES
# Upper bound for one interval's value when a meter declares none, per hour of interval.
INGEST_MAX_VALUE_PER_HOUR = {
    "electricity": env.float("INGEST_MAX_KWH_PER_HOUR", default=60.0),
    "gas": env.float("INGEST_MAX_M3_PER_HOUR", default=30.0),
}
# Rows kept with their reasons on a batch; the total is always counted.
INGEST_REJECTED_ROWS_KEPT = 1000
# On PostgreSQL, a CSV body is COPYed into a staging table and checked there
# (energy/ingest/staging.py); false sends every batch the reference path (parsed and checked in
# Python), which gives the same result more slowly.
INGEST_FAST_PATH = env.bool("INGEST_FAST_PATH", default=True)
# When batches wait for a worker, one worker takes up to this many (and INGEST_MAX_ROWS rows)
# in one transaction, stored with one COPY and one rollup: the fixed cost of a batch (its
# statements, its commit) is paid once for them all. 1 turns it off.
INGEST_BATCHES_PER_TRANSACTION = env.int("INGEST_BATCHES_PER_TRANSACTION", default=4)
# The sweeper (beat entry "ingest-requeue-stale-batches", every INGEST_REQUEUE_EVERY_S) queues
# again a batch still "received" this long after it arrived (its message was lost: broker down
# or restarted), or "processing" this long after it started without a worker holding it (the
# worker died). Received: longer than a busy queue's wait; processing: longer than retries'
# backoff, so a batch waiting for its retry is not queued twice (harmless, but wasted work).
INGEST_REQUEUE_RECEIVED_AFTER_S = env.int("INGEST_REQUEUE_RECEIVED_AFTER_S", default=120)
INGEST_REQUEUE_PROCESSING_AFTER_S = env.int("INGEST_REQUEUE_PROCESSING_AFTER_S", default=300)
# The longest time range one bulk export (GET /api/v1/export/readings.*) may ask for.
EXPORT_MAX_DAYS = env.int("EXPORT_MAX_DAYS", default=731)

# --- Readings storage (PostgreSQL: monthly partitions; docs/readings-storage.md) -----------
# Monthly partitions of energy_reading exist from the current month to this many months ahead
# (created by migrate and the beat entry "readings-partitions-ensure"), so new readings never
# land in the default partition.
READINGS_PARTITIONS_AHEAD_MONTHS = env.int("READINGS_PARTITIONS_AHEAD_MONTHS", default=3)
# Where readings_archive writes a month's Parquet file and the manifest, and readings_restore
# reads them (--dir overrides it).
READINGS_ARCHIVE_DIR = env.path("READINGS_ARCHIVE_DIR", default=BASE_DIR / "archive" / "readings")
# Gross calorific value of the city gas supplied, MJ/m³: Green Button files in therms (energy) are
# converted to m³ with it. 13A city gas is 45 MJ/m³ at Hokkaido Gas (the GHG reporting rules'
# standard value for city gas is 44.8 MJ/m³).
GAS_CALORIFIC_VALUE_MJ_PER_M3 = env.float("GAS_CALORIFIC_VALUE_MJ_PER_M3", default=45.0)

# --- Observability (docs/observability.md) ----------------------------------------------
# Logs: one JSON object per line (LOG_FORMAT=json), with trace and span ids, the request id,
# the user or API key id, the task and the batch; LOG_FORMAT=plain for a terminal.
LOG_FORMAT = env.str("LOG_FORMAT", default="json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"context": {"()": "config.observability.logs.LogContextFilter"}},
    "formatters": {
        "json": {"()": "config.observability.logs.JsonFormatter"},
        "plain": {"format": "%(asctime)s %(levelname)s %(message)s", "datefmt": "%H:%M:%S"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain" if LOG_FORMAT == "plain" else "json",
            "filters": ["context"],
        }
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # Not the "AXES: BEGIN" banner on every start; lockouts are still logged (WARNING).
        "axes.apps": {"level": "WARNING"},
        # The JSON access line (config.observability.middleware) replaces runserver's own.
        "django.server": {"level": "WARNING"},
        # httpx (the load bench, the gateway) logs every request at INFO.
        "httpx": {"level": "WARNING"},
    },
}
# /metrics answers staff, or a scraper sending "Authorization: Bearer <token>".
METRICS_SCRAPE_TOKEN = env.str("METRICS_SCRAPE_TOKEN", default="")
# Each Celery pool process serves its metrics on this port plus its index (0: not served).
CELERY_METRICS_PORT = env.int("CELERY_METRICS_PORT", default=0)
# Under gunicorn: each web worker serves its own metrics (with exemplars) on this port plus n
# (config/observability/gunicorn_hooks.py); 0 keeps /metrics whole through multiprocess mode.
WEB_METRICS_PORT = env.int("WEB_METRICS_PORT", default=0)
# /readyz: each dependency must answer within this time.
READYZ_TIMEOUT_SECONDS = env.float("READYZ_TIMEOUT_SECONDS", default=2.0)
# /metrics: how long a scrape waits for the Celery workers' answers to a ping (the
# shoene_celery_workers gauge).
METRICS_WORKER_PING_SECONDS = env.float("METRICS_WORKER_PING_SECONDS", default=0.5)

# --- Email ----------------------------------------------------------------------------
# The console by default; set EMAIL_BACKEND=django.core.mail.backends.smtp.EmailBackend and the
# EMAIL_HOST* variables for a real mail server.
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
EMAIL_USE_SSL = env.bool("EMAIL_USE_SSL", default=False)
# A stuck mail server fails the send (and the task retries) instead of hanging a worker.
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=30)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Shoene 省エネ <noreply@shoene.example>")
# Absolute links in emails (unsubscribe, the portal) start with this.
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")
# An email's unsubscribe link works this long (laws ask for at least 30 days after sending).
UNSUBSCRIBE_LINK_MAX_AGE_DAYS = env.int("UNSUBSCRIBE_LINK_MAX_AGE_DAYS", default=365)
