from __future__ import annotations

from celery import shared_task

from retention import purge


@shared_task(name="retention.run_due_purges")
def run_due_purges() -> int:
    """Hourly: every due purge that no legal hold stops. Safe to run twice (each purge is claimed)."""
    return sum(outcome.result is purge.Result.DONE for outcome in purge.run_due_purges())
