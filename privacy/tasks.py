from __future__ import annotations

from celery import shared_task

from privacy import exports, inquiries, policy, services, statistics


@shared_task(name="privacy.build_export", acks_late=True)
def build_export_task(*, company_id: int, export_id: int) -> None:
    """Build one export ZIP; a no-op for an export already finished."""
    exports.build_export(company_id=company_id, export_id=export_id)


@shared_task(name="privacy.expire_exports")
def expire_exports() -> None:
    """Delete export files past their time (beat, hourly)."""
    exports.sweep_expired_files()


@shared_task(name="privacy.inquiry_digest")
def inquiry_digest_task() -> int:
    """Email each officer the open inquiries' references and due dates (beat, daily; once a day at most)."""
    return inquiries.queue_daily_digest()


@shared_task(name="privacy.erase_closed_inquiries")
def erase_closed_inquiries_task() -> int:
    """Blank one batch of closed inquiries past their keep period; again while a full batch was done (beat, daily)."""
    erased = inquiries.erase_expired()
    if erased == inquiries.ERASE_BATCH:
        erase_closed_inquiries_task.apply_async(countdown=1)
    return erased


@shared_task(name="privacy.fill_statistics")
def fill_statistics() -> int:
    """Hourly: store the daily statistics of every finished day not yet stored, and forget the hashed
    client addresses of inquiries older than the hour they are counted for. Safe to run twice."""
    inquiries.forget_client_addresses()
    return len(statistics.fill_due())


@shared_task(name="privacy.notify_policy_changes")
def notify_policy_changes_task() -> int:
    """Daily: a material change not yet in force is told to users who signed up since it was published."""
    return policy.notify_upcoming()


@shared_task(name="privacy.recover_stalled_exports")
def recover_stalled_exports() -> int:
    """Retry or fail exports whose worker died mid-build (beat, every five minutes)."""
    return services.recover_stalled_exports()
