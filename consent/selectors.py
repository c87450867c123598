"""Reads of the consent app: a user's consents and history, a company's support access and invitations."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import Company, User
from consent import purposes
from consent.models import Consent, ConsentEvent, Invitation


@dataclass(frozen=True)
class PurposeState:
    purpose: purposes.Purpose
    granted: bool
    since: datetime | None  # None: never decided (not granted)


def message_consents_of(user: User) -> list[PurposeState]:
    """Every message purpose with the user's current decision, in the purposes' order."""
    states = {c.purpose: c for c in Consent.objects.filter(user=user)}
    return [PurposeState(p, bool(states.get(p.id) and states[p.id].granted),
                         states[p.id].since if p.id in states else None) for p in purposes.MESSAGE_PURPOSES]


def history_of(user: User) -> QuerySet[ConsentEvent]:
    """The user's own ledger, newest first."""
    return ConsentEvent.objects.filter(user=user).order_by("-id")


def has_consent(*, user_id: int, purpose: str) -> bool:
    return Consent.objects.filter(user_id=user_id, purpose=purpose, granted=True).exists()


def consenting_user_ids(*, purpose: str) -> list[int]:
    """Active users who have ``purpose`` granted right now."""
    return list(Consent.objects.filter(purpose=purpose, granted=True, user__is_active=True)
                .order_by("user_id").values_list("user_id", flat=True))


def support_access(*, company: Company, now: datetime | None = None) -> Consent | None:
    """The company's support access grant if it is in force now (an expired one is not, sweep or no sweep)."""
    grant = Consent.objects.filter(company=company, purpose=purposes.SUPPORT_ACCESS).first()
    return grant if grant is not None and grant.in_force(now or timezone.now()) else None


def pending_invitations(company: Company) -> QuerySet[Invitation]:
    """The company's invitations still waiting for an answer, newest first (expired ones until the sweep)."""
    return (Invitation.objects.filter(company=company, status=Invitation.Status.PENDING)
            .select_related("invited_by").order_by("-created_at", "-id"))


def invitation_in(company: Company, *, invitation_id: int) -> Invitation | None:
    return Invitation.objects.filter(company=company, pk=invitation_id).first()
