import gc
import os

import django
from django.core.wsgi import get_wsgi_application

from config.observability.tracing import tracing_setup

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
django.setup(set_prefix=False)
# Before the application loads its middleware: tracing adds its own (when asked for).
tracing_setup(service_name="shoene-web")
application = get_wsgi_application()
# What setup made (modules, settings, URL patterns, templates' code) lives as long as the
# process: left out of the collector's full passes, which otherwise walk all of it again every
# few requests (about a quarter of a 10,000-row ingest request's time; docs/benchmarks.md).
gc.freeze()
