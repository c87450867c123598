"""WSGI entry of the floor: ``gunicorn bench.bare_wsgi`` with ``DJANGO_SETTINGS_MODULE=bench.bare_settings``."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.bare_settings")
application = get_wsgi_application()
