"""Emails of the privacy app: inquiries and policy change notices, sent from the outbox (ids in, re-read here).

All administrative mail: no unsubscribe. Nothing is sent for an erased inquiry. The requester's
emails never repeat their message or their name (a public form whose mail echoes text is a
spam relay); each carries ``INQUIRY_HEADER`` so that the erasure finds local mode's copies. The
officers' digest holds references and dates only.
"""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from accounts import outbox
from accounts.emails import send_templated_email
from accounts.models import User
from accounts.officers import GROUP_NAME
from privacy import selectors
from privacy.models import Inquiry, InquiryEvent, PolicyNotice

INQUIRY_HEADER = "X-Soft-Helpers-Inquiry"  # the reference: the local copies an erasure deletes


def _send_to_requester(inquiry: Inquiry, *, template: str, context: dict[str, object]) -> None:
    send_templated_email(
        to=inquiry.email, template=template, headers={INQUIRY_HEADER: inquiry.reference},
        context={"inquiry": inquiry, "contact": selectors.officer_contact(), **context})


def _live(inquiry_id: int) -> Inquiry | None:
    return Inquiry.objects.filter(pk=inquiry_id, erased_at__isnull=True).exclude(email="").first()


@outbox.handler("privacy.inquiry_acknowledgement")
def send_acknowledgement(*, inquiry_id: int) -> None:
    """The reference, the date we answer by, the officer's contact and the right to complain (ACC-2, CHL-1)."""
    inquiry = _live(inquiry_id)
    if inquiry is not None:
        _send_to_requester(inquiry, template="inquiry_acknowledgement",
                           context={"days": settings.PRIVACY_INQUIRY_DAYS})


@outbox.handler("privacy.inquiry_extension")
def send_extension(*, inquiry_id: int) -> None:
    """The new date and the officer's reason."""
    inquiry = _live(inquiry_id)
    if inquiry is not None and inquiry.extended_at is not None:
        _send_to_requester(inquiry, template="inquiry_extension", context={})


@outbox.handler("privacy.inquiry_answer")
def send_answer(*, event_id: int) -> None:
    """One answer of the officer's, as written (the timeline keeps it until the erasure)."""
    event = InquiryEvent.objects.filter(pk=event_id, what=InquiryEvent.What.ANSWERED).select_related("inquiry").first()
    if event is None or not event.text:
        return
    inquiry = _live(event.inquiry_id)
    if inquiry is not None:
        _send_to_requester(inquiry, template="inquiry_answer", context={"answer": event.text})


@outbox.handler("privacy.inquiry_digest")
def send_digest(*, officer_id: int) -> None:
    """To one officer: every open inquiry's reference and due date, soonest first; nothing if none is open."""
    officer = User.objects.filter(pk=officer_id, is_active=True, is_staff=True, groups__name=GROUP_NAME).first()
    now = timezone.now()
    open_ = Inquiry.objects.open()
    overdue = set(open_.overdue(now=now).values_list("pk", flat=True))
    rows = [(reference, due_on, pk in overdue)
            for pk, reference, due_on in open_.order_by("due_on", "pk").values_list("pk", "reference", "due_on")]
    if officer is None or not rows:
        return
    send_templated_email(to=officer.email, template="inquiry_digest", context={
        "rows": rows, "now": now,
        "admin_url": settings.SITE_URL.rstrip("/") + reverse("admin:privacy_inquiry_changelist")})


def send_policy_notice(notice: PolicyNotice) -> None:
    """A material change of the privacy policy (ACC-3): administrative, so no unsubscribe (CON-6)."""
    path = reverse("privacy:version", kwargs={"label": notice.version.label})
    send_templated_email(to=notice.user.email, template="policy_change",
                         context={"version": notice.version, "path": path})
