"""Writes of the retention app: ask, cancel and confirm a shutdown; close a company; legal holds.

The purge itself is ``retention.purge``. Every function here is atomic and audited; emails go
through the outbox (ids only), after commit.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts import outbox
from accounts import selectors as account_selectors
from accounts import services as account_services
from accounts.audit import record_event
from accounts.models import AuditEvent, Company, Membership, User
from accounts.tenancy import tenant_context
from consent import services as consent_services
from consent.models import Method
from ledger import services as ledger_services
from privacy import services as privacy_services
from retention import emails, tokens
from retention.exceptions import CompanyNotActive, NotAnOwner, ShutdownLinkRefused
from retention.models import LegalHold, ScheduledPurge, ShutdownRequest

Problem = ShutdownLinkRefused.Problem


def _is_owner(company: Company, user: User) -> bool:
    return Membership.objects.filter(company=company, user=user, role=Membership.Role.OWNER).exists()


@transaction.atomic
def request_shutdown(*, company: Company, actor: User, now: datetime | None = None) -> ShutdownRequest:
    """Email the owner a link that confirms closing ``company``; an earlier link stops working.

    The caller has re-authenticated ``actor`` (password entered again). Raise NotAnOwner or
    CompanyNotActive, or EmailNotVerified while the owner's address is unproven.
    """
    now = now or timezone.now()
    if not _is_owner(company, actor):
        raise NotAnOwner
    account_services.require_verified_email(actor)  # the link goes to this address (CON-4)
    with tenant_context(company.pk):
        locked = Company.objects.select_for_update().get(pk=company.pk)
        if not locked.is_active:
            raise CompanyNotActive
        ShutdownRequest.objects.filter(company=company, status=ShutdownRequest.Status.PENDING).update(
            status=ShutdownRequest.Status.REPLACED, finished_at=now)
        nonce = tokens.new_nonce()
        token = tokens.make_token(company_id=company.pk, owner_id=actor.pk, nonce=nonce)
        shutdown = ShutdownRequest.objects.create(
            company=company, owner=actor, nonce=nonce, token_hash=tokens.token_hash(token), created_at=now,
            expires_at=now + timedelta(hours=settings.RETENTION_SHUTDOWN_LINK_HOURS))
        record_event(event=AuditEvent.Event.SHUTDOWN_REQUESTED, company_id=company.pk, actor_id=actor.pk,
                     subject=shutdown, now=now)
        outbox.enqueue(emails.send_shutdown_link, company_id=company.pk, request_id=shutdown.pk)
    return shutdown


@transaction.atomic
def cancel_shutdown(*, company: Company, actor: User, now: datetime | None = None) -> int:
    """The owner changed their mind before confirming: the pending link stops working."""
    now = now or timezone.now()
    if not _is_owner(company, actor):
        raise NotAnOwner
    with tenant_context(company.pk):
        cancelled = ShutdownRequest.objects.filter(company=company, status=ShutdownRequest.Status.PENDING).update(
            status=ShutdownRequest.Status.CANCELLED, finished_at=now)
        if cancelled:
            record_event(event=AuditEvent.Event.SHUTDOWN_CANCELLED, company_id=company.pk, actor_id=actor.pk, now=now)
    return cancelled


def check_shutdown_link(*, company_id: int, token: str, user: User, now: datetime | None = None,
                        lock: bool = False) -> ShutdownRequest:
    """The pending request that ``token`` confirms, for ``user``; raise ShutdownLinkRefused otherwise.

    Changes nothing: the GET of the link calls it too (mail scanners open links). Someone else's
    link tells its holder only that it is not theirs.
    """
    now = now or timezone.now()
    if not tokens.looks_like_token(token):
        raise ShutdownLinkRefused(Problem.INVALID)
    with tenant_context(company_id):
        requests = ShutdownRequest.objects.select_related("company")
        if lock:
            requests = requests.select_for_update(of=("self",))
        shutdown = requests.filter(company_id=company_id, token_hash=tokens.token_hash(token)).first()
    if shutdown is None or not tokens.matches(token, stored_hash=shutdown.token_hash):
        raise ShutdownLinkRefused(Problem.INVALID)
    if shutdown.owner_id != user.pk or not _is_owner(shutdown.company, user):
        raise ShutdownLinkRefused(Problem.NOT_YOURS)
    if not shutdown.company.is_active:
        raise ShutdownLinkRefused(Problem.CLOSED)
    if shutdown.status == ShutdownRequest.Status.USED:
        raise ShutdownLinkRefused(Problem.USED)
    if shutdown.status != ShutdownRequest.Status.PENDING:
        raise ShutdownLinkRefused(Problem.REPLACED)
    if shutdown.expires_at <= now:
        raise ShutdownLinkRefused(Problem.EXPIRED)
    return shutdown


@transaction.atomic
def confirm_shutdown(*, company_id: int, token: str, actor: User, now: datetime | None = None) -> ScheduledPurge:
    """"Yes, I am Lawful Owner please Shutdown Company": use the link once and close the company."""
    now = now or timezone.now()
    with tenant_context(company_id):
        Company.objects.select_for_update().filter(pk=company_id).first()  # serialise with other closings
        shutdown = check_shutdown_link(company_id=company_id, token=token, user=actor, now=now, lock=True)
        shutdown.status, shutdown.finished_at = ShutdownRequest.Status.USED, now
        shutdown.save(update_fields=["status", "finished_at"])
        return close_company(company=shutdown.company, actor=actor, reason=ScheduledPurge.Reason.OWNER, now=now)


@transaction.atomic
def close_company(*, company: Company, actor: User | None, reason: str, note: str = "",
                  now: datetime | None = None) -> ScheduledPurge:
    """Close the company at once and schedule its purge (CON-3, CON-5, RET-3).

    Members and guests lose access (every page and API route checks the company's state), the
    API tokens of members left with no active company are deleted, bank credentials are
    destroyed, support access ends, unfinished exports are discarded. The ledger is not touched
    (CON-7). Raise CompanyNotActive if it is closed already.
    """
    now = now or timezone.now()
    with tenant_context(company.pk):
        locked = Company.objects.select_for_update().get(pk=company.pk)
        if not locked.is_active:
            raise CompanyNotActive
        locked.status, locked.closed_at = Company.Status.CLOSED, now
        locked.save(update_fields=["status", "closed_at"])
        company.status, company.closed_at = locked.status, locked.closed_at
        owner = actor if actor is not None and _is_owner(company, actor) else _first_owner(company)
        ShutdownRequest.objects.filter(company=company, status=ShutdownRequest.Status.PENDING).update(
            status=ShutdownRequest.Status.CANCELLED, finished_at=now)
        credentials = ledger_services.destroy_company_credentials(company=company, actor=actor)
        consent_services.revoke_support_access(
            company=company, actor=actor, now=now,
            method=Method.OFFICER if reason == ScheduledPurge.Reason.OFFICER else Method.SETTINGS_FORM)
        exports = privacy_services.discard_company_exports(company=company, now=now)
        member_ids = list(Membership.objects.filter(company=company).values_list("user_id", flat=True))
        tokens_ended = account_services.end_api_tokens(
            user_ids=account_selectors.users_without_active_company(member_ids))
        purge = ScheduledPurge.objects.create(
            company=company, reason=reason, note=note.strip()[:300], closed_by_id=actor.pk if actor else None,
            contact_email=owner.email if owner else "", closed_at=now,
            due_at=now + timedelta(days=settings.RETENTION_GRACE_DAYS))
        record_event(event=AuditEvent.Event.COMPANY_CLOSED, company_id=company.pk,
                     actor_id=actor.pk if actor else None, subject=purge, now=now,
                     data={"reason": reason, "purge_due": purge.due_at.isoformat(), "members": len(member_ids),
                           "credentials_destroyed": credentials, "exports_discarded": exports,
                           "api_tokens_ended": tokens_ended})
        if purge.contact_email:
            outbox.enqueue(emails.send_company_closed, purge_id=purge.pk)
    return purge


def _first_owner(company: Company) -> User | None:
    membership = (Membership.objects.filter(company=company, role=Membership.Role.OWNER)
                  .select_related("user").order_by("created_at", "pk").first())
    return membership.user if membership else None


@transaction.atomic
def place_legal_hold(*, company: Company, actor: User | None, reason: str, reference: str, review_on: date,
                     now: datetime | None = None) -> LegalHold:
    """Keep the company's data beyond its purge date (PUR-4, RET-4); a running purge stops before its next batch."""
    now = now or timezone.now()
    hold = LegalHold.objects.create(company=company, reason=reason.strip(), reference=reference.strip(),
                                    review_on=review_on, placed_by_id=actor.pk if actor else None, placed_at=now)
    record_event(event=AuditEvent.Event.LEGAL_HOLD_PLACED, company_id=company.pk,
                 actor_id=actor.pk if actor else None, subject=hold, now=now)
    return hold


@transaction.atomic
def release_legal_hold(*, hold: LegalHold, actor: User | None, now: datetime | None = None) -> LegalHold:
    """End a hold; the purge, if due and no other hold applies, runs at the next beat."""
    now = now or timezone.now()
    actor_id = actor.pk if actor else None
    if LegalHold.objects.active().filter(pk=hold.pk).update(released_at=now, released_by_id=actor_id):
        record_event(event=AuditEvent.Event.LEGAL_HOLD_RELEASED, company_id=hold.company_id, actor_id=actor_id,
                     subject=hold, now=now)
    return LegalHold.objects.get(pk=hold.pk)
