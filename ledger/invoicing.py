"""Sending an invoice to its contact (issue 14): one service for the page and the API, one outbox handler.

``send_invoice`` locks the invoice row, refuses a void invoice and a contact without an email
address, marks a draft Sent (Sent and Paid stay as they are), audits "invoice sent" and writes
the outbox row, all in the caller's transaction: a rolled-back request sends nothing. A second
send of the same invoice within ``SAME_CLICK`` is the same click (a double-click, a retried
request): it waits on the row lock, then finds the first one's audit row and queues nothing.

The handler runs once per outbox row (``accounts.outbox``). Only there is the contact's sealed
email opened, at send time, so the message goes to the address the contact has then.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.mail import EmailMultiAlternatives
from django.http import Http404
from django.template.loader import render_to_string
from django.utils import timezone

from accounts import outbox
from accounts.audit import record_event
from accounts.emails import COMPANY_HEADER, render_plain_text
from accounts.models import AuditEvent, Company, User
from accounts.tenancy import tenant_context, tenant_service
from ledger import invoice_pdf
from ledger.models import Contact, Invoice

SAME_CLICK = timedelta(seconds=30)
EMAIL_HANDLER = "ledger.invoice_email"


class InvoiceNotSendable(Exception):
    """The invoice cannot be sent as it is; the message says why, in words for the owner."""


class InvoiceIsVoid(InvoiceNotSendable):
    def __init__(self) -> None:
        super().__init__("A void invoice cannot be sent.")


class ContactHasNoEmail(InvoiceNotSendable):
    def __init__(self) -> None:
        super().__init__("This invoice's contact has no email address. Add one to the contact, then send again.")


@dataclass(frozen=True)
class Sending:
    invoice: Invoice
    queued: bool  # False: the same send a moment ago (a double-click); nothing new was queued


@tenant_service
def send_invoice(*, company: Company, actor: User | None, invoice: Invoice, now: datetime | None = None) -> Sending:
    """Email ``invoice`` with its PDF to its contact after commit; Draft becomes Sent.

    Raise InvoiceIsVoid or ContactHasNoEmail. Safe to call twice in a row (see module doc).
    """
    now = now or timezone.now()
    locked = Invoice.objects.select_for_update().get(company=company, pk=invoice.pk)
    if locked.status == Invoice.Status.VOID:
        raise InvoiceIsVoid
    if not contact_has_email(company=company, invoice=locked):
        raise ContactHasNoEmail
    just_sent = AuditEvent.objects.filter(
        company_id=company.pk, event=AuditEvent.Event.INVOICE_SENT, subject_type=Invoice._meta.label,
        subject_id=locked.pk, created_at__gt=now - SAME_CLICK, created_at__lte=now).exists()
    if just_sent:
        return Sending(locked, queued=False)
    was = locked.status
    if locked.status == Invoice.Status.DRAFT:
        locked.status = Invoice.Status.SENT
        locked.save(update_fields=["status"])
    record_event(event=AuditEvent.Event.INVOICE_SENT, company_id=company.pk, actor_id=actor.pk if actor else None,
                 subject=locked, data={"again": was != Invoice.Status.DRAFT}, now=now)
    outbox.enqueue(deliver_invoice_email, company_id=company.pk, invoice_id=locked.pk)
    invoice.status = locked.status
    return Sending(locked, queued=True)


def contact_has_email(*, company: Company, invoice: Invoice) -> bool:
    """Asked of the column, so the address itself stays sealed (an empty value is stored empty)."""
    return not Contact.objects.filter(company=company, pk=invoice.contact_id, email="").exists()


@outbox.handler(EMAIL_HANDLER)
def deliver_invoice_email(*, company_id: int, invoice_id: int) -> None:
    """Render and send the invoice email with its PDF; nothing when it went void or lost its address since."""
    with tenant_context(company_id):
        company = Company.objects.filter(pk=company_id, status=Company.Status.ACTIVE).first()
        if company is None:
            return  # closed before the mail went out: its contacts hear nothing more from us
        try:
            document = invoice_pdf.invoice_document(company=company, pk=invoice_id)
        except Http404:
            return  # deleted since
        if document.invoice.status == Invoice.Status.VOID:
            return
        to = document.invoice.contact.email  # opened here, at send time, and only here
        if not to:
            return
        send_invoice_email(document, to=to)


def send_invoice_email(document: invoice_pdf.InvoiceDocument, *, to: str) -> None:
    """emails/invoice_subject.txt, .txt (not HTML-escaped) and .html, with the PDF attached."""
    lines = [{"description": line.description, "quantity_shown": invoice_pdf.shown_quantity(line.quantity),
              "unit_price_shown": document.money(line.unit_price), "amount_shown": document.money(line.amount)}
             for line in document.lines]
    context = {"invoice": document.invoice, "company_name": document.company_name, "contact_name": document.contact_name,
               "total": document.money(document.total), "lines": lines,
               "issued": invoice_pdf.shown_date(document.invoice.issue_date),
               "due": invoice_pdf.shown_date(document.invoice.due_date)}
    subject = " ".join(render_plain_text("emails/invoice_subject.txt", context).split())
    message = EmailMultiAlternatives(subject=subject, body=render_plain_text("emails/invoice.txt", context), to=[to],
                                     headers={COMPANY_HEADER: str(document.invoice.company_id)})
    message.attach_alternative(render_to_string("emails/invoice.html", context), "text/html")
    message.attach(invoice_pdf.pdf_filename(document.invoice.number), invoice_pdf.render_pdf(document),
                   "application/pdf")
    message.send()
