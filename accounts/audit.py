"""The audit trail: append-only, hash-chained per company (SAF-1).

``record_event`` is the only writer. It runs inside the caller's transaction (a rolled-back
change leaves no audit row) and takes a transaction-level advisory lock on the company's
chain, so concurrent writers append one after another and the chain never forks.

hash = sha256(prev_hash + canonical JSON of the row's content). Changing, inserting or
deleting a row in the middle breaks the chain at that row; ``verify_chain`` finds it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Hashable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connection, models
from django.utils import timezone

from accounts.models import AuditEvent

GENESIS = "0" * 64
_LOCK_NAMESPACE = 0x5A0D17  # pg_advisory_xact_lock(namespace, company id)

AuditData = Mapping[str, int | str | bool | None | list[int]]


def chain_digest(prev_hash: str, content: Mapping[str, object]) -> str:
    """The hash of one row of an append-only chain (audit trail, consent ledger)."""
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256((prev_hash + canonical).encode()).hexdigest()


def lock_chain(namespace: int, key: int | None) -> None:
    """Serialise appends to one chain until the transaction ends (the chain never forks)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [namespace, (key or 0) % 2**31])


def _digest(prev_hash: str, event: AuditEvent) -> str:
    return chain_digest(prev_hash, {
        "company_id": event.company_id, "actor_id": event.actor_id, "event": event.event,
        "subject_type": event.subject_type, "subject_id": event.subject_id, "data": event.data,
        "created_at": event.created_at.isoformat(),
    })


def record_event(
    *, event: str, company_id: int | None, actor_id: int | None, subject: models.Model | None = None,
    data: AuditData | None = None, now: datetime | None = None,
) -> AuditEvent:
    """Append one event to the company's chain, in the caller's transaction.

    ``data`` must hold ids, counts and flags only: audit rows survive the purge.
    """
    lock_chain(_LOCK_NAMESPACE, company_id)
    previous = (AuditEvent.objects.filter(company_id=company_id).order_by("-id")
                .values_list("hash", flat=True).first())
    row = AuditEvent(
        company_id=company_id, actor_id=actor_id, event=event,
        subject_type=subject._meta.label if subject is not None else "",
        subject_id=subject.pk if subject is not None else None,
        data=dict(data or {}), created_at=now or timezone.now(), prev_hash=previous or GENESIS,
    )
    row.hash = _digest(row.prev_hash, row)
    row.save(force_insert=True)
    return row


@dataclass(frozen=True)
class ChainBreak:
    company_id: int | None
    event_id: int
    reason: str


def verify_chain(*, chunk: int = 5000) -> Iterator[ChainBreak | int]:
    """Walk every audit chain; yield the number of rows checked per chunk and every break found."""
    return walk_chains(AuditEvent.objects.all(), chain_of=lambda row: row.company_id, digest=_digest, chunk=chunk)


def walk_chains(rows: models.QuerySet[Any], *, chain_of: Callable[[Any], Hashable],
                digest: Callable[[str, Any], str], chunk: int = 5000) -> Iterator[ChainBreak | int]:
    """Check hash-chained rows (``prev_hash``, ``hash``, ``company_id``) in id order, chunk by chunk."""
    last_hash: dict[Hashable, str] = {}
    last_id = 0
    while True:
        batch = list(rows.filter(id__gt=last_id).order_by("id")[:chunk])
        if not batch:
            return
        for row in batch:
            key = chain_of(row)
            if row.prev_hash != last_hash.get(key, GENESIS):
                yield ChainBreak(row.company_id, row.pk, "does not follow the previous row of its chain")
            elif digest(row.prev_hash, row) != row.hash:
                yield ChainBreak(row.company_id, row.pk, "content does not match its hash")
            last_hash[key] = row.hash
        last_id = batch[-1].pk
        yield len(batch)
