"""Emails of the retention app. The link and closure emails go through the outbox (ids in)."""

from __future__ import annotations

from django.urls import reverse

from accounts import outbox
from accounts.emails import send_templated_email
from accounts.tenancy import tenant_context
from retention import tokens
from retention.models import DeletionCertificate, ScheduledPurge, ShutdownRequest


@outbox.handler("retention.shutdown_link_email")
def send_shutdown_link(*, company_id: int, request_id: int) -> None:
    """The confirmation link (CON-4); derived again here, since only its hash is stored."""
    with tenant_context(company_id):
        shutdown = (ShutdownRequest.objects.select_related("company", "owner")
                    .filter(pk=request_id, company_id=company_id, status=ShutdownRequest.Status.PENDING).first())
    if shutdown is None or not shutdown.company.is_active:
        return  # replaced, cancelled or closed before the mail went out: that link must not be sent
    token = tokens.make_token(company_id=company_id, owner_id=shutdown.owner_id, nonce=shutdown.nonce)
    path = reverse("retention:shutdown-confirm", kwargs={"company_id": company_id, "token": token})
    send_templated_email(to=shutdown.owner.email, template="shutdown_link", company_id=company_id,
                         context={"company": shutdown.company, "path": path, "expires_at": shutdown.expires_at})


@outbox.handler("retention.company_closed_email")
def send_company_closed(*, purge_id: int) -> None:
    purge = ScheduledPurge.objects.select_related("company").filter(pk=purge_id).exclude(contact_email="").first()
    if purge is None:
        return
    send_templated_email(to=purge.contact_email, template="company_closed", company_id=purge.company_id,
                         context={"company": purge.company, "purge": purge})


def send_certificate(certificate: DeletionCertificate, *, to: str) -> None:
    """The former owner's copy of the deletion certificate (sent by the purge itself, not the outbox)."""
    send_templated_email(to=to, template="deletion_certificate", company_id=certificate.company_id,
                         context={"certificate": certificate, "body": certificate.body})
