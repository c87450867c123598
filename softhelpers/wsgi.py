"""The WSGI entry point (gunicorn). In local mode it starts the embedded servers first, if needed."""

import os

from django.core.wsgi import get_wsgi_application

from softhelpers.localservers import bootstrap

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "softhelpers.settings")
bootstrap()
application = get_wsgi_application()
