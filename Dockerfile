# One image for web, worker and beat (docker-compose.yml).

# plotly's basic bundle (bar, scatter, pie), checked as the Makefile checks it (PLOTLY_BASIC_*).
FROM node:20-slim AS plotly
ARG PLOTLY_BASIC_VERSION=4.1.1
ARG PLOTLY_BASIC_SHA256=99784e3abfb07b142a15e521a439e6d9addceadb3f79553fd24c72774f0649ba
WORKDIR /plotly
RUN npm pack --silent plotly.js-basic-dist-min@${PLOTLY_BASIC_VERSION} \
    && tar xzf plotly.js-basic-dist-min-${PLOTLY_BASIC_VERSION}.tgz \
    && echo "${PLOTLY_BASIC_SHA256}  package/plotly-basic.min.js" | sha256sum --check -

FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    DJANGO_SETTINGS_MODULE=config.settings.production

WORKDIR /app
RUN useradd --create-home --uid 1000 shoene \
    && apt-get update && apt-get install -y --no-install-recommends gettext \
    && rm -rf /var/lib/apt/lists/*

COPY pyproject.toml README.md ./
COPY config ./config
COPY core ./core
COPY gateway ./gateway
COPY energy ./energy
COPY flags ./flags
COPY dashboards ./dashboards
COPY --from=plotly /plotly/package/plotly-basic.min.js /plotly/package/LICENSE ./dashboards/vendor/
COPY manage.py ./
RUN pip install . \
    && DJANGO_SECRET_KEY=collectstatic-only DJANGO_ALLOWED_HOSTS=localhost \
       sh -c 'python manage.py collectstatic --noinput && python manage.py compilemessages -v 0'

USER shoene
EXPOSE 8000
# Workers, threads and timeouts from the environment (config/gunicorn.py).
CMD ["gunicorn", "-c", "config/gunicorn.py", "config.wsgi"]
