# kinerja-bot: one image, configured by environment (docs/deploy.md). Not built in CI here.
#   docker build -t kinerja-bot .
#   docker run --rm --env-file kinerja.env kinerja-bot kinerja db upgrade
#   docker run -d --env-file kinerja.env -e WORKERS=2 -p 8080:8080 kinerja-bot
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PTB_TIMEDELTA=true \
    HTTP_HOST=0.0.0.0 \
    HTTP_PORT=8080 \
    LOG_FORMAT=json

RUN useradd --system --create-home --home-dir /var/lib/kinerja kinerja
WORKDIR /opt/kinerja

COPY pyproject.toml README.md ./
COPY bot ./bot
COPY handlers ./handlers
COPY kinerja ./kinerja
COPY scheduler ./scheduler
COPY storage ./storage
COPY locales ./locales
# Editable: the locale catalogs are read from the source tree (locales/ beside the packages).
RUN pip install --no-cache-dir -e '.[postgres]'

USER kinerja
WORKDIR /var/lib/kinerja
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=3s --start-period=30s \
    CMD python -c "import urllib.request,sys; urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=2)" || exit 1
# The supervisor (WORKERS > 1) passes SIGTERM on to its workers: `docker stop -t 45`.
STOPSIGNAL SIGTERM
CMD ["kinerja", "run"]
