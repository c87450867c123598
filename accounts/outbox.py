"""The database outbox: emails and jobs that must happen, even when the broker is down.

``enqueue(handler, **ids)`` writes a row in the caller's transaction, so a rolled-back change
sends nothing. After commit it tries to hand the row to a worker at once; if the broker is
unreachable that attempt is dropped (logged) and the beat ``outbox.sweep`` delivers the row
later. ``deliver`` claims a row with ``FOR UPDATE SKIP LOCKED`` and marks it delivered in the
same transaction, so concurrent or repeated deliveries of one row run its handler once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from celery import current_app
from django.db import transaction
from django.utils import timezone

from accounts.models import OutboxMessage

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 10
# The worker's task, by name: this module is what tasks call, it never imports them.
DELIVER_TASK = "outbox.deliver"
# One quick retry re-opens a pooled connection that a broker restart broke; a broker that is
# really down fails in milliseconds. (retry=False took 6 s to fail here: kombu's own defaults.)
_FAST_FAIL = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2}
Handler = Callable[..., None]
_handlers: dict[str, Handler] = {}


def handler(name: str) -> Callable[[Handler], Handler]:
    """Register ``func`` as an outbox handler; its keyword arguments must be ids (JSON)."""

    def register(func: Handler) -> Handler:
        if name in _handlers and _handlers[name] is not func:
            raise ValueError(f"outbox handler {name!r} registered twice")
        _handlers[name] = func
        func.outbox_name = name  # type: ignore[attr-defined]
        return func

    return register


def enqueue(func: Handler, **payload: int | str | None) -> OutboxMessage:
    """Record that ``func(**payload)`` must run once this transaction commits."""
    message = OutboxMessage.objects.create(handler=_name_of(func), payload=payload)
    transaction.on_commit(lambda: dispatch(message.pk))
    return message


def enqueue_many(func: Handler, payloads: list[dict[str, int | str | None]], *, batch: int = 1000) -> int:
    """``enqueue`` for many rows at once (a message to every consenting user): one INSERT per batch.

    The rows are handed to workers after commit in order; the sweep delivers any that a broker
    outage left behind.
    """
    name = _name_of(func)
    ids: list[int] = []
    for start in range(0, len(payloads), batch):
        rows = OutboxMessage.objects.bulk_create(
            [OutboxMessage(handler=name, payload=p) for p in payloads[start:start + batch]])
        ids += [row.pk for row in rows]
    transaction.on_commit(lambda: _dispatch_all(ids))
    return len(ids)


def _dispatch_all(message_ids: list[int]) -> None:
    for message_id in message_ids:
        if not dispatch(message_id):
            return  # the broker is down: the sweep delivers the rest


def _name_of(func: Handler) -> str:
    name = getattr(func, "outbox_name", None)
    if name is None or _handlers.get(name) is not func:
        raise ValueError(f"{func!r} is not a registered outbox handler")
    return name


def dispatch(message_id: int) -> bool:
    """Hand one message to a worker now; False (and the sweep's turn) when the broker is down."""
    try:
        current_app.send_task(DELIVER_TASK, kwargs={"message_id": message_id}, retry=True, retry_policy=_FAST_FAIL)
    except Exception as exc:  # kombu raises several types for an unreachable broker
        logger.warning("broker unavailable, outbox message %s left for the sweep (%s)", message_id,
                       type(exc).__name__)
        return False
    return True


def deliver(message_id: int) -> bool:
    """Run one pending message's handler exactly once. True if this call delivered it."""
    with transaction.atomic():
        message = (
            OutboxMessage.objects.select_for_update(skip_locked=True)
            .filter(pk=message_id, delivered_at__isnull=True)
            .first()
        )
        if message is None:
            return False  # delivered already, or another worker holds it right now
        message.attempts += 1
        try:
            with transaction.atomic():
                _handlers[message.handler](**message.payload)
        except Exception as exc:
            # The type only: an exception's text may quote personal data (an address, a name).
            logger.error("outbox message %s (%s) failed: %s", message.pk, message.handler, type(exc).__name__)
            message.last_error = type(exc).__name__[:200]
            message.save(update_fields=["attempts", "last_error"])
            return False
        message.delivered_at = timezone.now()
        message.save(update_fields=["attempts", "delivered_at"])
        return True


def sweep(*, limit: int = 500) -> int:
    """Deliver what is still pending (beat, every few seconds). Returns how many it delivered."""
    pending = list(
        OutboxMessage.objects.filter(delivered_at__isnull=True, attempts__lt=MAX_ATTEMPTS)
        .order_by("created_at")
        .values_list("pk", flat=True)[:limit]
    )
    return sum(deliver(message_id) for message_id in pending)

