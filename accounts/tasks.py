from __future__ import annotations

from celery import shared_task

from accounts import outbox


@shared_task(name=outbox.DELIVER_TASK, acks_late=True)
def deliver_outbox_message(*, message_id: int) -> None:
    """Deliver one outbox message; a no-op if it was delivered already."""
    outbox.deliver(message_id)


@shared_task(name="outbox.sweep")
def sweep_outbox() -> None:
    """Deliver what the broker missed (run by beat)."""
    outbox.sweep()
