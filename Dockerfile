# One image, three roles chosen by the command: web (gunicorn, the default), worker, beat.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONPATH=/app
WORKDIR /app

# pyproject.toml lists no packages (the code runs from /app), so `pip install .` installs the
# runtime dependencies only (not the sandbox or dev extras; .dockerignore leaves sandbox/ and
# demo/ out); copied alone first, it keeps them in a layer that code changes reuse.
COPY pyproject.toml ./
RUN pip install .

COPY . .
# DEBUG=1 only lets settings load without the runtime secrets; nothing of it stays in the image.
RUN python -m salestio.compile_messages \
    && DEBUG=1 python manage.py collectstatic --noinput \
    && useradd --system --uid 10001 --home-dir /app salestio \
    && mkdir -p /var/lib/celery \
    && chown -R salestio /app/staticfiles /var/lib/celery
USER salestio

EXPOSE 8000
# Workers: $WEB_CONCURRENCY (gunicorn reads it). Logs go to stdout like the app's own.
CMD ["gunicorn", "salestio.wsgi", "--bind", "0.0.0.0:8000", "--access-logfile", "-"]
