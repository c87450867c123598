"""The load test's floor (``bench/load.py``): Django REST framework alone, serving the same contact rows.

No tenancy, no sealing, no middleware, no session, no authentication: one unmanaged model over
``bench_plain_contact`` (the bench companies' contacts copied in the clear by ``bench.load prepare``),
read by the same database role as the real stack, served by gunicorn with the same workers and
threads. What the stack adds to this is what the load test measures.
"""

from __future__ import annotations

from softhelpers import localservers

_var_dir = localservers.default_var_dir()

SECRET_KEY = "bench-bare-not-secret"  # noqa: S105  (nothing is signed: no session, no CSRF)
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
INSTALLED_APPS = ["django.contrib.contenttypes", "rest_framework", "bench"]
MIDDLEWARE: list[str] = []
ROOT_URLCONF = "bench.bare_urls"
DATABASES = {
    "default": {"ENGINE": "django.db.backends.postgresql", "NAME": localservers.DATABASE_NAME,
                "USER": "softhelpers_app", "HOST": str(localservers.pg_data_dir(_var_dir).resolve()),
                "CONN_MAX_AGE": 60, "CONN_HEALTH_CHECKS": True},
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USE_TZ = True
TIME_ZONE = "UTC"
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "UNAUTHENTICATED_USER": None,
}
