"""Privacy inquiries and complaints to the officer (ACC-2, CHL-1); this module is their only writer.

Anyone may write, with or without an account. A logged-in sender is linked through ``Inquiry.user``
only, which the erasure blanks: their timeline entry and audit event name no actor (the audit trail
is append-only and must never hold the requester's id). Each inquiry gets a
reference ``INQ-XXXX-XXXX-XXXX``: 12 characters of the RFC 4648 base32 alphabet drawn by
``secrets``, 60 random bits, unique in the database. An acknowledgement goes out at once with the
reference, the date we answer by, the officer's contact and the right to complain to the regulator;
never the message.

Dates are days of ``TIME_ZONE`` (``timezone.localdate``), as the requester is told them: the answer is
due on ``due_on``, the day of receipt plus ``PRIVACY_INQUIRY_DAYS`` (at most 30); an unanswered inquiry
is overdue from the day after (``privacy.models.overdue_q``).

Rules kept here:
* at most ``PRIVACY_INQUIRIES_PER_HOUR`` inquiries per email address and per client address in
  any hour: an exact count under a transaction-level advisory lock, in the transaction that
  inserts, so two submissions cannot race past it. The client address is kept only as a keyed
  hash (``client_index``) and only for that hour (``forget_client_addresses``, hourly and on each
  submission);
* the due date moves once, by 1 to 30 days, up to and on the due date, with a reason the requester
  is told (``can_extend``, the one rule for the service and the admin);
* answered and closed only through ``answer`` and ``close``; closing needs a resolution;
* every change is a timeline entry (``InquiryEvent``) and an audit event (ids and states only),
  and every email goes through the outbox in the same transaction;
* ``PRIVACY_INQUIRY_KEEP_DAYS`` after closing, the identifying fields and the timeline's texts are
  blanked (``erase_expired``, daily); reference, kind, dates and outcome stay.
"""

from __future__ import annotations

import secrets
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import connection, transaction
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import salted_hmac

from accounts import outbox
from accounts.audit import record_event
from accounts.mail import remove_mail_files
from accounts.models import AuditEvent, User
from accounts.officers import GROUP_NAME
from privacy import emails, reports, statistics
from privacy.exceptions import InquiryRateLimited, InquiryRefused
from privacy.models import Inquiry, InquiryEvent

REFERENCE_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"  # base32: 5 bits a character, no 0/O or 1/I to confuse
REFERENCE_CHARACTERS = 12  # 60 random bits
CLIENT_INDEX_SALT = "privacy.inquiry-client"
RATE_WINDOW = timedelta(hours=1)
MAX_EXTENSION_DAYS = 30
MAX_NAME, MAX_MESSAGE, MAX_TEXT = 150, 5000, 10000
ERASE_BATCH = 500
_SUBMIT_LOCK = 0x494E5159  # pg_advisory_xact_lock(namespace, 0): "INQY"
_DIGEST_LOCK = 0x494E5144  # "INQD"
Status, Kind, What = Inquiry.Status, Inquiry.Kind, InquiryEvent.What


def new_reference() -> str:
    chars = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(REFERENCE_CHARACTERS))
    return f"INQ-{chars[:4]}-{chars[4:8]}-{chars[8:]}"


def due_date(received_at: datetime) -> date:
    """The day the answer is due: the day of receipt plus ``PRIVACY_INQUIRY_DAYS``."""
    return timezone.localdate(received_at) + timedelta(days=settings.PRIVACY_INQUIRY_DAYS)


def client_index(address: str | None) -> str:
    """Keyed hash of the client's address: enough to count, useless to anyone holding a copy of the database."""
    return salted_hmac(CLIENT_INDEX_SALT, address, algorithm="sha256").hexdigest() if address else ""


# --- the requester's side -----------------------------------------------------------------------

@transaction.atomic
def submit(*, name: str, email: str, kind: str, message: str, user: User | None, client_address: str | None,
           now: datetime | None = None) -> Inquiry:
    """Store an inquiry and queue its acknowledgement.

    Raise ValidationError naming the field for a missing or bad value, and InquiryRateLimited
    (storing nothing) past ``PRIVACY_INQUIRIES_PER_HOUR`` from this email or client address.
    """
    now = now or timezone.now()
    name, email, message = (name or "").strip(), (email or "").strip(), (message or "").strip()
    _validate(name=name, email=email, kind=kind, message=message)
    client = client_index(client_address)
    _reserve(email=email, client=client, now=now)
    inquiry = Inquiry.objects.create(
        reference=new_reference(), kind=kind, name=name, email=email, message=message, user=user,
        client_index=client, received_at=now, due_on=due_date(now))
    # No actor: the link to the sender is Inquiry.user alone, which the erasure blanks.
    _timeline(inquiry, What.RECEIVED, actor_id=None, now=now, detail=inquiry.get_kind_display())
    _audit(AuditEvent.Event.INQUIRY_RECEIVED, inquiry, actor_id=None, now=now, kind=kind)
    outbox.enqueue(emails.send_acknowledgement, inquiry_id=inquiry.pk)
    return inquiry


def _validate(*, name: str, email: str, kind: str, message: str) -> None:
    errors: dict[str, str] = {}
    if not name:
        errors["name"] = "Enter your name."
    elif len(name) > MAX_NAME:
        errors["name"] = f"Use at most {MAX_NAME} characters."
    try:
        validate_email(email)
    except ValidationError:
        errors["email"] = "Enter the email address we should answer to."
    if kind not in Kind.values:
        errors["kind"] = "Choose what your inquiry is about."
    if not message:
        errors["message"] = "Tell us what you would like to know or what went wrong."
    elif len(message) > MAX_MESSAGE:
        errors["message"] = f"Use at most {MAX_MESSAGE} characters."
    if errors:
        raise ValidationError(errors)


def _reserve(*, email: str, client: str, now: datetime) -> None:
    """Count this inquiry against the hourly allowance of its email and its client address, under a lock."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, 0)", [_SUBMIT_LOCK])
    since = now - RATE_WINDOW
    forget_client_addresses(now=now)
    recent = Inquiry.objects.filter(received_at__gt=since, received_at__lte=now)
    limit = settings.PRIVACY_INQUIRIES_PER_HOUR
    if (recent.filter(email__iexact=email).count() >= limit
            or (client and recent.filter(client_index=client).count() >= limit)):
        raise InquiryRateLimited(f"We have received {limit} inquiries from you in the last hour, the most we "
                                 "accept. Please try again later.")


def forget_client_addresses(*, now: datetime | None = None) -> int:
    """Blank the client index of every inquiry received more than an hour ago; return how many (hourly)."""
    now = now or timezone.now()
    return (Inquiry.objects.filter(received_at__lte=now - RATE_WINDOW).exclude(client_index="")
            .update(client_index=""))


# --- the officer's side -------------------------------------------------------------------------

@transaction.atomic
def assign(*, inquiry: Inquiry, assignee: User, actor: User, now: datetime | None = None) -> Inquiry:
    """Give the inquiry to a staff user who may handle inquiries."""
    now = now or timezone.now()
    inquiry = _locked_open(inquiry)
    if not (assignee.is_active and assignee.is_staff and assignee.has_perm("privacy.handle_inquiry")):
        raise InquiryRefused("Inquiries can be assigned only to staff who may handle them.")
    if inquiry.assignee_id == assignee.pk:
        return inquiry
    inquiry.assignee = assignee
    inquiry.save(update_fields=["assignee"])
    _timeline(inquiry, What.ASSIGNED, actor_id=actor.pk, now=now, detail=f"to user #{assignee.pk}")
    _audit(AuditEvent.Event.INQUIRY_ASSIGNED, inquiry, actor_id=actor.pk, now=now, assignee_id=assignee.pk)
    return inquiry


@transaction.atomic
def set_status(*, inquiry: Inquiry, status: str, actor: User, now: datetime | None = None) -> Inquiry:
    """Move between new and in progress (answered and closed have their own functions)."""
    now = now or timezone.now()
    if status not in (Status.NEW, Status.IN_PROGRESS):
        raise InquiryRefused("Use Answer to answer an inquiry and Close to close it.")
    inquiry = _locked_open(inquiry)
    if inquiry.status != status:
        _change_status(inquiry, status, actor_id=actor.pk, now=now)
        inquiry.save(update_fields=["status"])
    return inquiry


def extension_refusal(inquiry: Inquiry, *, now: datetime) -> str | None:
    """Why the due date cannot be extended at ``now``, or None: once, unanswered, open, up to and on the due date."""
    if inquiry.status == Status.CLOSED:
        return "This inquiry is closed."
    if inquiry.extended_at is not None:
        return "This inquiry's due date was already extended once; it cannot be extended again."
    if inquiry.answered_at is not None:
        return "This inquiry is answered; there is nothing to extend."
    if timezone.localdate(now) > inquiry.due_on:
        return "The due date has passed: an extension must be made by the due date. Answer the inquiry now."
    return None


def can_extend(inquiry: Inquiry, *, now: datetime) -> bool:
    """The one extension rule, for the service and the admin's button alike."""
    return extension_refusal(inquiry, now=now) is None


@transaction.atomic
def extend(*, inquiry: Inquiry, days: int, reason: str, actor: User, now: datetime | None = None) -> Inquiry:
    """Move the due date once, by 1 to 30 days, by the due date; the requester is told the date and why."""
    now = now or timezone.now()
    reason = (reason or "").strip()
    inquiry = _locked_open(inquiry)
    refusal = extension_refusal(inquiry, now=now)
    if refusal is not None:
        raise InquiryRefused(refusal)
    if not 1 <= days <= MAX_EXTENSION_DAYS:
        raise ValidationError({"days": f"Extend by 1 to {MAX_EXTENSION_DAYS} days."})
    if not reason:
        raise ValidationError({"reason": "Give the reason; the requester is told it."})
    if len(reason) > MAX_TEXT:
        raise ValidationError({"reason": f"Use at most {MAX_TEXT} characters."})
    previous = inquiry.due_on
    inquiry.due_on = previous + timedelta(days=days)
    inquiry.extended_at, inquiry.extended_by, inquiry.extension_reason = now, actor, reason
    inquiry.save(update_fields=["due_on", "extended_at", "extended_by", "extension_reason"])
    _timeline(inquiry, What.EXTENDED, actor_id=actor.pk, now=now, text=reason,
              detail=f"{previous:%Y-%m-%d} → {inquiry.due_on:%Y-%m-%d} (+{days} days)")
    _audit(AuditEvent.Event.INQUIRY_EXTENDED, inquiry, actor_id=actor.pk, now=now, days=days)
    outbox.enqueue(emails.send_extension, inquiry_id=inquiry.pk)
    return inquiry


@transaction.atomic
def answer(*, inquiry: Inquiry, text: str, actor: User, now: datetime | None = None) -> InquiryEvent:
    """Email the requester the officer's answer; the inquiry is answered from the first one on."""
    now = now or timezone.now()
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": "Write the answer; the requester receives it by email."})
    if len(text) > MAX_TEXT:
        raise ValidationError({"text": f"Use at most {MAX_TEXT} characters."})
    inquiry = _locked_open(inquiry)
    if inquiry.status != Status.ANSWERED:
        _change_status(inquiry, Status.ANSWERED, actor_id=actor.pk, now=now)
    inquiry.answered_at = inquiry.answered_at or now
    inquiry.save(update_fields=["status", "answered_at"])
    event = _timeline(inquiry, What.ANSWERED, actor_id=actor.pk, now=now, text=text)
    _audit(AuditEvent.Event.INQUIRY_ANSWERED, inquiry, actor_id=actor.pk, now=now, event_id=event.pk)
    outbox.enqueue(emails.send_answer, event_id=event.pk)
    return event


@transaction.atomic
def close(*, inquiry: Inquiry, resolution: str, note: str = "", actor: User, now: datetime | None = None) -> Inquiry:
    """Close with an outcome (required) and an optional note; the keep period starts now."""
    now = now or timezone.now()
    note = (note or "").strip()
    if resolution not in Inquiry.Resolution.values:
        raise ValidationError({"resolution": "Choose the resolution: closing an inquiry records its outcome."})
    if len(note) > MAX_TEXT:
        raise ValidationError({"note": f"Use at most {MAX_TEXT} characters."})
    inquiry = _locked_open(inquiry)
    _change_status(inquiry, Status.CLOSED, actor_id=actor.pk, now=now)
    inquiry.closed_at, inquiry.resolution, inquiry.resolution_note = now, resolution, note
    inquiry.save(update_fields=["status", "closed_at", "resolution", "resolution_note"])
    _timeline(inquiry, What.CLOSED, actor_id=actor.pk, now=now, detail=inquiry.get_resolution_display(), text=note)
    _audit(AuditEvent.Event.INQUIRY_CLOSED, inquiry, actor_id=actor.pk, now=now, resolution=resolution)
    return inquiry


# --- the system's side ------------------------------------------------------------------------------

@transaction.atomic
def erase_expired(*, now: datetime | None = None, batch: int = ERASE_BATCH) -> int:
    """Blank up to ``batch`` closed inquiries past their keep period; return how many (daily; safe to run twice).

    Each is claimed under its row lock (``SKIP LOCKED``), so two runs never erase one twice. The
    sender's id goes with ``user``, and from a received entry written when ``submit`` still named them.
    """
    now = now or timezone.now()
    forget_client_addresses(now=now)
    horizon = now - timedelta(days=settings.PRIVACY_INQUIRY_KEEP_DAYS)
    claimed = list(Inquiry.objects.select_for_update(skip_locked=True)
                   .filter(status=Status.CLOSED, closed_at__lte=horizon, erased_at__isnull=True)
                   .order_by("closed_at").values_list("pk", "reference")[:batch])
    if not claimed:
        return 0
    ids, references = [pk for pk, _ in claimed], {reference for _, reference in claimed}
    Inquiry.objects.filter(pk__in=ids).update(name="", email="", message="", user=None, client_index="",
                                              extension_reason="", resolution_note="", erased_at=now)
    InquiryEvent.objects.filter(inquiry_id__in=ids).update(text="")
    InquiryEvent.objects.filter(inquiry_id__in=ids, what=What.RECEIVED).exclude(actor_id=None).update(actor_id=None)
    InquiryEvent.objects.bulk_create([InquiryEvent(inquiry_id=pk, at=now, what=What.ERASED) for pk in ids])
    # Local mode's copies of the emails to the requester; nothing to do with a real provider.
    remove_mail_files(lambda headers: headers.get(emails.INQUIRY_HEADER) in references)
    record_event(event=AuditEvent.Event.INQUIRIES_ERASED, company_id=None, actor_id=None,
                 data={"count": len(ids), "inquiry_ids": ids}, now=now)
    return len(ids)


@transaction.atomic
def queue_daily_digest(*, now: datetime | None = None) -> int:
    """One email per active officer listing the open inquiries' references and due dates; once a day at most.

    Nothing when no inquiry is open or no officer is active. Returns how many emails were queued.
    """
    now = now or timezone.now()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, 0)", [_DIGEST_LOCK])
    day = now.replace(hour=0, minute=0, second=0, microsecond=0)
    if AuditEvent.objects.filter(event=AuditEvent.Event.INQUIRY_DIGEST_QUEUED, company_id=None,
                                 created_at__gte=day, created_at__lt=day + timedelta(days=1)).exists():
        return 0
    open_count = Inquiry.objects.open().count()
    officers = sorted(set(User.objects.filter(is_active=True, is_staff=True, groups__name=GROUP_NAME)
                          .values_list("pk", flat=True)))
    if not open_count or not officers:
        return 0
    outbox.enqueue_many(emails.send_digest, [{"officer_id": pk} for pk in officers])
    record_event(event=AuditEvent.Event.INQUIRY_DIGEST_QUEUED, company_id=None, actor_id=None,
                 data={"officers": len(officers), "open": open_count}, now=now)
    return len(officers)


# --- helpers -------------------------------------------------------------------------------------------

def _locked_open(inquiry: Inquiry) -> Inquiry:
    locked = Inquiry.objects.select_for_update().get(pk=inquiry.pk)
    if locked.status == Status.CLOSED:
        raise InquiryRefused("This inquiry is closed.")
    return locked


def _change_status(inquiry: Inquiry, status: str, *, actor_id: int, now: datetime) -> None:
    before = inquiry.status
    inquiry.status = status
    _timeline(inquiry, What.STATUS, actor_id=actor_id, now=now,
              detail=f"{Status(before).label} → {Status(status).label}")
    _audit(AuditEvent.Event.INQUIRY_STATUS_CHANGED, inquiry, actor_id=actor_id, now=now, **{"from": before, "to": status})


def _timeline(inquiry: Inquiry, what: str, *, actor_id: int | None, now: datetime, detail: str = "",
              text: str = "") -> InquiryEvent:
    return InquiryEvent.objects.create(inquiry=inquiry, at=now, actor_id=actor_id, what=what, detail=detail, text=text)


def _audit(event: str, inquiry: Inquiry, *, actor_id: int | None, now: datetime, **data: int | str) -> None:
    record_event(event=event, company_id=None, actor_id=actor_id, subject=inquiry, data=data, now=now)


# --- statistics and the Reports page (PUR-2, PUR-5) -----------------------------------------------

@statistics.collector("inquiries", label="Privacy inquiries received", kind=statistics.FLOW)
def _received(first: date, end: date) -> statistics.Figure:
    """Inquiries received per day; each requester (by address) is one contributor."""
    start, stop = statistics.span(first, end)
    received = Inquiry.objects.filter(received_at__gte=start, received_at__lt=stop).annotate(sender=Lower("email"))
    return statistics.count_per(received, "sender")  # "A@x" and "a@x" are one person


@reports.section("inquiries", title="Inquiries to answer (per due date; overdue before today)",
                 permission="privacy.view_inquiry")
def _due(today: date, until: date) -> reports.Due:
    return reports.dated(Inquiry.objects.unanswered(), "due_on", today=today, until=until,
                         link=reverse("admin:privacy_inquiry_changelist"))
