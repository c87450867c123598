from __future__ import annotations

import os
from typing import Any

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "softhelpers.settings")

app = Celery("softhelpers")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@signals.worker_init.connect
@signals.beat_init.connect
def _start_local_servers(**kwargs: Any) -> None:
    """A worker or beat started on its own (not by make run) brings up the local servers it needs."""
    from softhelpers.localservers import bootstrap

    bootstrap()
