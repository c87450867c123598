"""The consent ledger (CON-1, CON-7): append one event, keep the current state equal to it.

``record`` is the only writer of ``ConsentEvent`` and ``Consent``. It runs in the caller's
transaction and takes a transaction-level advisory lock on the subject's chain, so two
concurrent changes of one subject append one after the other: the chain never forks and the
state row always ends equal to the newest event. A change to the state it already has writes
nothing (a repeated unsubscribe is not a new decision).

hash = sha256(prev_hash + canonical JSON of the event), chained per subject (a user or a
company). The purge removes a subject's whole chain, so the other chains still verify.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from django.utils import timezone

from accounts.audit import GENESIS, ChainBreak, chain_digest, lock_chain, walk_chains
from accounts.models import Company, User
from consent import purposes
from consent.models import Consent, ConsentEvent
from privacy import policy

_USER_CHAIN, _COMPANY_CHAIN = 0x0C0A5E, 0x0C0A5C  # pg_advisory_xact_lock(namespace, subject id)
Subject = User | Company


def _subject_fields(subject: Subject) -> dict[str, Subject]:
    return {"user": subject} if isinstance(subject, User) else {"company": subject}


def _digest(prev_hash: str, event: ConsentEvent) -> str:
    return chain_digest(prev_hash, {
        "user_id": event.user_id, "company_id": event.company_id, "purpose": event.purpose,
        "granted": event.granted, "at": event.at.isoformat(),
        "expires_at": event.expires_at.isoformat() if event.expires_at else None,
        "policy_version": event.policy_version, "method": event.method, "actor_id": event.actor_id,
    })


def record(*, subject: Subject, purpose: str, granted: bool, method: str, actor: User | None,
           now: datetime | None = None, expires_at: datetime | None = None) -> Consent | None:
    """Append the change and return the new state, or None when the state was already that
    (a purpose never granted counts as withdrawn).

    A grant with a new ``expires_at`` is a change even when granted already (a renewed
    support access). Raise KeyError for a purpose of another kind of subject.
    """
    kind = purposes.Subject.USER if isinstance(subject, User) else purposes.Subject.COMPANY
    purposes.get(purpose, subject=kind)
    now = now or timezone.now()
    lock_chain(_USER_CHAIN if kind is purposes.Subject.USER else _COMPANY_CHAIN, subject.pk)
    who = _subject_fields(subject)
    state = Consent.objects.filter(**who, purpose=purpose).first()
    if state is None and not granted:
        return None  # never granted: withdrawing it decides nothing
    if state is not None and state.granted == granted and (not granted or state.expires_at == expires_at):
        return None
    previous = ConsentEvent.objects.filter(**who).order_by("-id").values_list("hash", flat=True).first()
    event = ConsentEvent(**who, purpose=purpose, granted=granted, at=now, expires_at=expires_at if granted else None,
                         policy_version=policy.current_label(now=now), method=method,
                         actor_id=actor.pk if actor else None, prev_hash=previous or GENESIS)
    event.hash = _digest(event.prev_hash, event)
    event.save(force_insert=True)
    if state is None:
        state = Consent(**who, purpose=purpose)
    state.granted, state.since, state.expires_at, state.event = granted, now, event.expires_at, event
    state.save()
    return state


def verify_chains(*, chunk: int = 5000) -> Iterator[ChainBreak | int]:
    """Walk every subject's chain; yield rows checked per chunk and every break found."""
    return walk_chains(ConsentEvent.objects.all(), chain_of=lambda row: (row.user_id, row.company_id),
                       digest=_digest, chunk=chunk)
