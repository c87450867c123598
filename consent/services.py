"""Writes of the consent app: people's choices, support access, purpose messages, the purge's part."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, F, Q
from django.db.models.functions import TruncMonth
from django.utils import timezone

from accounts import outbox
from accounts.audit import record_event
from accounts.models import AuditEvent, Company, User
from consent import ledger, purposes, selectors, tokens
from consent.exceptions import ConsentError, SupportAccessRefused, UnknownUnsubscribeLink
from consent.models import Consent, ConsentEvent, Method, PurposeMessage, UnsubscribeToken


@transaction.atomic
def set_user_consents(*, user: User, choices: Mapping[str, bool], method: str, actor: User | None,
                      now: datetime | None = None) -> list[Consent]:
    """Record the user's decision for each purpose given; returns the states that changed.

    Raise ConsentError for a purpose that is not the user's to decide.
    """
    now = now or timezone.now()
    changed = []
    for purpose_id, granted in choices.items():
        try:
            state = ledger.record(subject=user, purpose=purpose_id, granted=granted, method=method, actor=actor,
                                  now=now)
        except KeyError as exc:
            raise ConsentError(f"{purpose_id!r} is not a consent you can give.") from exc
        if state is not None:
            changed.append(state)
    return changed


@transaction.atomic
def record_signup_consents(*, user: User, granted: Collection[str], now: datetime | None = None) -> list[Consent]:
    """Sign-up: only the ticked purposes become ``granted`` events; nothing is written for the rest."""
    return set_user_consents(user=user, choices=dict.fromkeys(granted, True), method=Method.SIGNUP_FORM, actor=user,
                             now=now)


# --- support access (PUR-3) ---------------------------------------------------------------------

@transaction.atomic
def grant_support_access(*, company: Company, actor: User, days: int, now: datetime | None = None) -> Consent:
    """Let staff view the company's data until ``now + days`` (at most PRIVACY_SUPPORT_GRANT_MAX_DAYS)."""
    if not 1 <= days <= settings.PRIVACY_SUPPORT_GRANT_MAX_DAYS:
        raise SupportAccessRefused(f"Support access lasts 1 to {settings.PRIVACY_SUPPORT_GRANT_MAX_DAYS} days.")
    now = now or timezone.now()
    state = ledger.record(subject=company, purpose=purposes.SUPPORT_ACCESS, granted=True,
                          method=Method.SETTINGS_FORM, actor=actor, now=now, expires_at=now + timedelta(days=days))
    assert state is not None  # a new expiry is always a change
    record_event(event=AuditEvent.Event.SUPPORT_ACCESS_GRANTED, company_id=company.pk, actor_id=actor.pk,
                 subject=state.event, data={"days": days}, now=now)
    return state


@transaction.atomic
def revoke_support_access(*, company: Company, actor: User | None, now: datetime | None = None,
                          method: str = Method.SETTINGS_FORM) -> bool:
    """End the company's support access now; False if there was none in force."""
    now = now or timezone.now()
    grant = Consent.objects.select_for_update().filter(company=company, purpose=purposes.SUPPORT_ACCESS).first()
    if grant is None or not grant.in_force(now):
        return False
    state = ledger.record(subject=company, purpose=purposes.SUPPORT_ACCESS, granted=False, method=method,
                          actor=actor, now=now)
    record_event(event=AuditEvent.Event.SUPPORT_ACCESS_REVOKED, company_id=company.pk,
                 actor_id=actor.pk if actor else None, subject=state.event if state else None, now=now)
    return True


def expire_support_access(*, now: datetime | None = None) -> int:
    """Write the ``expiry`` withdrawal of every grant whose time is up (beat). Safe to run twice."""
    now = now or timezone.now()
    expired = 0
    due = Consent.objects.filter(purpose=purposes.SUPPORT_ACCESS, granted=True, expires_at__lte=now)
    for company_id in due.values_list("company_id", flat=True):
        with transaction.atomic():
            grant = Consent.objects.select_for_update().get(company_id=company_id, purpose=purposes.SUPPORT_ACCESS)
            if not grant.granted or grant.expires_at is None or grant.expires_at > now:
                continue  # renewed or revoked meanwhile
            state = ledger.record(subject=Company.objects.get(pk=company_id), purpose=purposes.SUPPORT_ACCESS,
                                  granted=False, method=Method.EXPIRY, actor=None, now=now)
            record_event(event=AuditEvent.Event.SUPPORT_ACCESS_REVOKED, company_id=company_id, actor_id=None,
                         subject=state.event if state else None, data={"expired": True}, now=now)
            expired += 1
    return expired


# --- unsubscribe (PUR-1, RFC 8058) ----------------------------------------------------------------

@transaction.atomic
def unsubscribe(*, token: str, method: str, now: datetime | None = None) -> purposes.Purpose:
    """Withdraw the one purpose this link is for; repeating it changes nothing.

    Raise UnknownUnsubscribeLink for a malformed or unknown token.
    """
    row = tokens.find(token)
    if row is None:
        raise UnknownUnsubscribeLink("This unsubscribe link is not valid.")
    ledger.record(subject=row.user, purpose=row.purpose, granted=False, method=method, actor=row.user, now=now)
    return purposes.get(row.purpose)


# --- messages for a purpose (PUR-1) ---------------------------------------------------------------

@transaction.atomic
def create_message(*, purpose: str, subject: str, text: str, actor: User | None,
                   now: datetime | None = None) -> PurposeMessage:
    if purpose not in {p.id for p in purposes.MESSAGE_PURPOSES}:
        raise ConsentError(f"{purpose!r} is not a purpose messages can be sent for.")
    if not subject.strip() or not text.strip():
        raise ConsentError("A message needs a subject and a text.")
    return PurposeMessage.objects.create(purpose=purpose, subject=subject.strip(), text=text,
                                         created_by_id=actor.pk if actor else None, created_at=now or timezone.now())


@transaction.atomic
def queue_message(*, message: PurposeMessage, actor: User | None, now: datetime | None = None) -> PurposeMessage:
    """One outbox row per user who has the purpose granted now; each is checked again when sent.

    A message is queued once: queueing it again returns it unchanged.
    """
    now = now or timezone.now()
    message = PurposeMessage.objects.select_for_update().get(pk=message.pk)
    if message.status != PurposeMessage.Status.DRAFT:
        return message
    recipients = selectors.consenting_user_ids(purpose=message.purpose)
    message.status, message.queued_at, message.recipients = PurposeMessage.Status.SENDING, now, len(recipients)
    if not recipients:
        message.status, message.finished_at = PurposeMessage.Status.SENT, now
    message.save()
    outbox.enqueue_many(deliver_message, [{"message_id": message.pk, "user_id": pk} for pk in recipients])
    record_event(event=AuditEvent.Event.MESSAGE_QUEUED, company_id=None, actor_id=actor.pk if actor else None,
                 subject=message, data={"purpose": message.purpose, "recipients": len(recipients)}, now=now)
    return message


@outbox.handler("consent.deliver_message")
def deliver_message(*, message_id: int, user_id: int) -> None:
    """Send one recipient's copy if they still consent at this moment; otherwise count them as skipped."""
    from consent.emails import send_purpose_message

    message = PurposeMessage.objects.get(pk=message_id)
    state = Consent.objects.filter(user_id=user_id, purpose=message.purpose, granted=True,
                                   user__is_active=True).select_related("user").first()
    if state is None or state.user is None:
        counter = {"skipped": F("skipped") + 1}
    else:
        send_purpose_message(message, user=state.user, token=tokens.token_for(user_id=user_id, purpose=message.purpose))
        counter = {"sent": F("sent") + 1}
    PurposeMessage.objects.filter(pk=message_id).update(**counter)
    PurposeMessage.objects.filter(pk=message_id, status=PurposeMessage.Status.SENDING,
                                  recipients__lte=F("sent") + F("skipped")).update(
        status=PurposeMessage.Status.SENT, finished_at=timezone.now())


# --- the purge's part (CON-5) ---------------------------------------------------------------------

def forget(*, company_id: int, user_ids: Collection[int]) -> list[tuple[str, date, int]]:
    """Delete the closed company's consent rows and those of its users the purge anonymised.

    Returns the grants counted on the way, per purpose and month, without ids: the totals the
    purge keeps (RET-5). The ledger is append-only for the app role; ``consent_forget``
    (consent/forget.sql) deletes only a closed company's rows and anonymised users' rows.
    """
    gone = ConsentEvent.objects.filter(Q(company_id=company_id) | Q(user_id__in=list(user_ids), user__is_active=False),
                                       granted=True)
    counts = [(row["purpose"], row["month"].date(), row["n"])
              for row in gone.annotate(month=TruncMonth("at")).values("purpose", "month").annotate(n=Count("pk"))]
    UnsubscribeToken.objects.filter(user_id__in=list(user_ids), user__is_active=False).delete()
    with connection.cursor() as cursor:
        cursor.execute("SELECT consent_forget(%s, %s)", [company_id, list(user_ids)])
    return counts
