# Production image: gunicorn web, Celery worker and beat all run from it (see docker-compose.yml).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 SOFTHELPERS_ENV=production
WORKDIR /app

COPY pyproject.toml README.md ./
COPY softhelpers softhelpers
COPY accounts accounts
COPY ledger ledger
COPY privacy privacy
COPY consent consent
COPY retention retention
RUN pip install --no-cache-dir .

COPY manage.py ./
COPY templates templates
# collectstatic needs the settings to load; these placeholders never reach a running container.
RUN SECRET_KEY=collectstatic-only-placeholder-000000000000000000000000000000 \
    DATABASE_URL=postgres://build@localhost/build DATABASE_APP_PASSWORD=build \
    REDIS_URL=redis://localhost:6379/0 ALLOWED_HOSTS=build SITE_URL=https://build.invalid \
    python manage.py collectstatic --noinput \
 && useradd --system --home /app softhelpers
USER softhelpers

EXPOSE 8000
CMD ["gunicorn", "softhelpers.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3", "--threads", "4", "--access-logfile", "-", "--logger-class", "softhelpers.gunicorn_logging.ScrubbingLogger"]
