from __future__ import annotations

from celery import shared_task

from consent import invitations, services


@shared_task(name="consent.expire_support_access")
def expire_support_access_task() -> int:
    """Record the expiry of every support access grant whose time is up (beat; safe to run twice)."""
    return services.expire_support_access()


@shared_task(name="consent.purge_expired_invitations")
def purge_expired_invitations_task() -> int:
    """Delete the invitations past their expiry that nobody accepted (beat; safe to run twice)."""
    return invitations.purge_expired()
