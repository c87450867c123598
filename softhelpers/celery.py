from __future__ import annotations

import os
from typing import Any

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "softhelpers.settings")

app = Celery("softhelpers")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_configure.connect
def _start_local_servers(**kwargs: Any) -> None:
    """Before Celery first reads the settings (a worker or beat started on its own): the local servers and keys."""
    from softhelpers.localservers import bootstrap

    bootstrap()
