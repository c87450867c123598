from __future__ import annotations

from celery import shared_task

from consent import services


@shared_task(name="consent.expire_support_access")
def expire_support_access_task() -> int:
    """Record the expiry of every support access grant whose time is up (beat; safe to run twice)."""
    return services.expire_support_access()
