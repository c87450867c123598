"""Invitations (GST-1..4): one email with a one-time link, kept only until accepted or expired.

The link's token is ``<company id>-<64 hex>``: the company id says which tenant to enter before
the lookup (it is no secret: company ids are in every app URL), the hex part is
``salted_hmac(SALT, "<company>:<invitation>:<nonce>")`` under the site's secret key with the
link's random 128-bit nonce. The database keeps the nonce and ``sha256(token)``, never the
token; the outbox payload holds ids only and the email handler derives the token when it sends.

Invariants kept here, the only writer of invitations:
* one pending invitation per (company, email), by the locator's unique blind index;
* a resend adds a link and moves the expiry; the older links then answer "replaced";
* accepting is a conditional update under the invitation's row lock: once, by the invited email;
* accepted or revoked, the invitation's name and email are blanked; never accepted, it is
  deleted at expiry with its links, locator, outbox rows and local mail files (``erase``).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac

from accounts import outbox
from accounts import services as account_services
from accounts.audit import record_event
from accounts.mail import remove_mail_files
from accounts.models import AuditEvent, Company, Membership, OutboxMessage, User
from accounts.tenancy import tenant_context, tenant_service
from consent import emails
from consent import services as consent_services
from consent.exceptions import InvitationQuotaExceeded, InvitationRefused, InvitationUnavailable
from consent.models import Invitation, InvitationLink, InvitationLocator

SALT = "consent.invitation-link"
EMAIL_INDEX_SALT = "consent.invitation-email"
EMAIL_HANDLER = "consent.invitation_email"  # consent.emails.send_invitation_email
_TOKEN = re.compile(r"([1-9][0-9]{0,17})-([0-9a-f]{64})")
_QUOTA_LOCK = 0x494E5654  # pg_advisory_xact_lock(namespace, company id): "INVT"
QUOTA_WINDOW = timedelta(hours=24)


class LinkState(StrEnum):
    CURRENT = "current"
    REPLACED = "replaced"
    EXPIRED = "expired"
    USED = "used"
    REVOKED = "revoked"
    UNKNOWN = "unknown"


MESSAGES = {
    LinkState.REPLACED: "This invitation link was replaced by a newer one. Use the link in the most recent email.",
    LinkState.EXPIRED: "This invitation has expired. Ask the person who invited you to send a new one.",
    LinkState.USED: "This invitation has already been used.",
    LinkState.REVOKED: "This invitation was withdrawn by the company.",
    LinkState.UNKNOWN: "This invitation link is not valid. It may have been removed, or mistyped.",
}


@dataclass(frozen=True)
class Opened:
    """What a link leads to: its invitation (when there is one) and whether it can still be used."""

    state: LinkState
    invitation: Invitation | None = None


# --- tokens and the blind index -------------------------------------------------------------------

def email_index(email: str) -> str:
    """Keyed hash of the address (no one can test guesses against a copy of the database)."""
    return salted_hmac(EMAIL_INDEX_SALT, email.strip().lower(), algorithm="sha256").hexdigest()


def link_token(link: InvitationLink) -> str:
    secret = salted_hmac(SALT, f"{link.company_id}:{link.invitation_id}:{link.nonce}", algorithm="sha256")
    return f"{link.company_id}-{secret.hexdigest()}"


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def company_of(token: str) -> int | None:
    """The company a well-formed token names (enter it, then ``open_link``); None for anything else."""
    match = _TOKEN.fullmatch(token)
    return int(match[1]) if match else None


def open_link(token: str, *, now: datetime | None = None, lock: bool = False, closed_too: bool = False) -> Opened:
    """The link's invitation and state, read in the company's tenant context (``company_of``).

    A closed company's links lead nowhere, except for the invitee's removal (``closed_too``):
    that must work at once, not when the purge comes.
    """
    now = now or timezone.now()
    company_id = company_of(token)
    if company_id is None or not (closed_too or Company.objects.filter(
            pk=company_id, status=Company.Status.ACTIVE).exists()):
        return Opened(LinkState.UNKNOWN)
    link = InvitationLink.objects.filter(company_id=company_id, token_hash=_hash(token)).first()
    if link is None:
        return Opened(LinkState.UNKNOWN)
    invitations = Invitation.objects.filter(company_id=company_id, pk=link.invitation_id).select_related(
        "company", "invited_by")
    # .first(): a removal or the sweep may have deleted it since the link was read
    invitation = (invitations.select_for_update(of=("self",)) if lock else invitations).first()
    if invitation is None:
        return Opened(LinkState.UNKNOWN)
    newest = InvitationLink.objects.filter(company_id=company_id, invitation_id=invitation.pk).order_by("-id").first()
    if invitation.status == Invitation.Status.ACCEPTED:
        state = LinkState.USED
    elif invitation.status == Invitation.Status.REVOKED:
        state = LinkState.REVOKED
    elif newest is not None and newest.pk != link.pk:
        state = LinkState.REPLACED
    elif invitation.expires_at <= now:
        state = LinkState.EXPIRED
    else:
        state = LinkState.CURRENT
    return Opened(state, invitation)


# --- the owner's side --------------------------------------------------------------------------------

@tenant_service
def invite(*, company: Company, name: str, email: str, role: str, actor: User,
           now: datetime | None = None) -> Invitation:
    """Create a pending invitation and email its link after commit (GST-1, GST-2).

    Raise ValidationError naming the field for a missing or bad name, email or role;
    InvitationRefused if the email already has a pending invitation here or is a member's;
    InvitationQuotaExceeded past INVITATIONS_PER_COMPANY_PER_DAY.
    """
    now = now or timezone.now()
    name, email = (name or "").strip(), (email or "").strip()
    _validate(name=name, email=email, role=role)
    if Membership.objects.filter(company=company, user__email__iexact=email).exists():
        raise InvitationRefused("This person is already a member of this company.")
    _reserve_email(company, now)
    invitation = Invitation(company=company, name=name, email=email, role=role, invited_by=actor, created_at=now,
                            sent_at=now, expires_at=now + _link_period())
    invitation.save()
    try:
        with transaction.atomic():
            InvitationLocator.objects.create(company=company, invitation_id=invitation.pk,
                                             email_index=email_index(email), expires_at=invitation.expires_at)
    except IntegrityError as exc:
        raise InvitationRefused("This email already has a pending invitation to this company. "
                                "Use Resend to send it again.") from exc
    link = _new_link(invitation, now)
    record_event(event=AuditEvent.Event.INVITATION_SENT, company_id=company.pk, actor_id=actor.pk,
                 subject=invitation, data={"role": role}, now=now)
    _email(link)
    return invitation


@tenant_service
def resend(*, company: Company, invitation: Invitation, actor: User, now: datetime | None = None) -> Invitation:
    """A new link, valid for the full period again; the old links answer "replaced" (GST-2)."""
    now = now or timezone.now()
    invitation = _locked(company, invitation)
    if invitation.status != Invitation.Status.PENDING:
        raise InvitationRefused("Only a pending invitation can be sent again.")
    if invitation.expires_at <= now:
        raise InvitationRefused("This invitation has expired. Invite the person again.")
    _reserve_email(company, now)
    invitation.sent_at, invitation.expires_at = now, now + _link_period()
    invitation.save(update_fields=["sent_at", "expires_at"])
    InvitationLocator.objects.filter(company=company, invitation_id=invitation.pk).update(
        expires_at=invitation.expires_at)
    link = _new_link(invitation, now)
    record_event(event=AuditEvent.Event.INVITATION_RESENT, company_id=company.pk, actor_id=actor.pk,
                 subject=invitation, now=now)
    _email(link)
    return invitation


@tenant_service
def revoke(*, company: Company, invitation: Invitation, actor: User, now: datetime | None = None) -> Invitation:
    """Withdraw a pending invitation: its links answer "withdrawn"; the name and email go at once."""
    invitation = _locked(company, invitation)
    if invitation.status != Invitation.Status.PENDING:
        raise InvitationRefused("Only a pending invitation can be revoked.")
    invitation.status = Invitation.Status.REVOKED
    _forget_invitee(invitation)
    record_event(event=AuditEvent.Event.INVITATION_REVOKED, company_id=company.pk, actor_id=actor.pk,
                 subject=invitation, now=now)
    return invitation


# --- the invitee's side ------------------------------------------------------------------------------

def accept(*, token: str, user: User, now: datetime | None = None) -> Membership:
    """Make ``user`` a member as invited, once, if the link is current and the email is theirs.

    Raise InvitationUnavailable (with the link's state) for any link that cannot be used, and
    InvitationRefused when the user is not the invited email; nothing changes in either case.
    """
    now = now or timezone.now()
    company_id = company_of(token)
    if company_id is None:
        raise InvitationUnavailable(LinkState.UNKNOWN)
    with tenant_context(company_id):
        opened = open_link(token, now=now, lock=True)
        invitation = opened.invitation
        if opened.state is not LinkState.CURRENT or invitation is None:
            raise InvitationUnavailable(opened.state)
        if not is_for(invitation, user):
            raise InvitationRefused("This invitation is for another email address. Log in with the invited "
                                    "address to accept it.")
        company = invitation.company
        membership = Membership.objects.filter(company=company, user=user).first()
        if membership is None:
            membership = account_services.add_member(company=company, user=user, role=invitation.role, actor=user)
        invitation.status, invitation.accepted_at = Invitation.Status.ACCEPTED, now
        _forget_invitee(invitation)
        InvitationLocator.objects.filter(company=company, invitation_id=invitation.pk).delete()
        record_event(event=AuditEvent.Event.INVITATION_ACCEPTED, company_id=company.pk, actor_id=user.pk,
                     subject=invitation, data={"role": invitation.role}, now=now)
        return membership


@transaction.atomic
def accept_with_new_account(*, token: str, full_name: str, password: str, consents: list[str],
                            now: datetime | None = None) -> User:
    """Sign up through the link: an account for the invited email, its consent choices, the acceptance.

    All or nothing. Raise what ``accept`` and ``create_account`` raise (EmailAlreadyRegistered,
    ValidationError for a weak password).
    """
    company_id = company_of(token)
    if company_id is None:
        raise InvitationUnavailable(LinkState.UNKNOWN)
    with tenant_context(company_id):
        opened = open_link(token, now=now)
        if opened.state is not LinkState.CURRENT or opened.invitation is None:
            raise InvitationUnavailable(opened.state)
        email = opened.invitation.email
    user = account_services.create_account(email=email, password=password, full_name=full_name)
    consent_services.record_signup_consents(user=user, granted=consents, now=now)
    accept(token=token, user=user, now=now)
    account_services.mark_email_verified(user=user, how="invitation", now=now)  # the link reached that address
    return user


def is_for(invitation: Invitation, user: User) -> bool:
    """The invitation names this user's email (case aside): only they may accept it."""
    return invitation.email.lower() == user.email.lower()


def removable(opened: Opened) -> bool:
    """Whether Remove my information has something to remove (an accepted invitation holds nothing)."""
    return opened.invitation is not None and opened.state is not LinkState.USED


def remove_on_request(*, token: str, now: datetime | None = None) -> None:
    """Remove my information (GST-4): any link of the invitation, with no login, erases it at once.

    Raise InvitationUnavailable for a link that leads to nothing (already removed, or never was) or
    to an accepted invitation.
    """
    company_id = company_of(token)
    if company_id is None:
        raise InvitationUnavailable(LinkState.UNKNOWN)
    with tenant_context(company_id):
        opened = open_link(token, lock=True, closed_too=True)
        if opened.invitation is None or not removable(opened):
            # Accepted: nothing of the invitee is left on it; their name and email are their account's now.
            raise InvitationUnavailable(opened.state)
        erase(opened.invitation)
        record_event(event=AuditEvent.Event.INVITATION_REMOVED, company_id=company_id, actor_id=None,
                     subject=opened.invitation, data={"by": "invitee"}, now=now)


# --- the officer's and the system's side ------------------------------------------------------------

@transaction.atomic
def remove_by_email(*, email: str, actor: User, now: datetime | None = None) -> int:
    """The officer's removal of an invitee (GST-4), in every company that has a pending invitation for them."""
    found = list(InvitationLocator.objects.filter(email_index=email_index(email))
                 .values_list("company_id", "invitation_id"))
    removed = 0
    for company_id, invitation_id in found:
        with tenant_context(company_id):
            for invitation in _lock_for_erasure(company_id, [invitation_id]):
                erase(invitation)
                record_event(event=AuditEvent.Event.INVITATION_REMOVED, company_id=company_id, actor_id=actor.pk,
                             subject=invitation, data={"by": "officer"}, now=now)
                removed += 1
    return removed


@transaction.atomic
def purge_expired(*, as_of: datetime | None = None, batch: int = 1000) -> int:
    """Delete up to ``batch`` invitations past their expiry that were not accepted (GST-3); keep their count.

    Safe to run twice and beside itself: each invitation is claimed under its row lock
    (``SKIP LOCKED``) and its expiry checked again there (a resend may have just moved it).
    """
    as_of = as_of or timezone.now()
    due = list(InvitationLocator.objects.filter(expires_at__lte=as_of).order_by("expires_at")
               .values_list("company_id", "invitation_id")[:batch])
    by_company: dict[int, list[int]] = {}
    for company_id, invitation_id in due:
        by_company.setdefault(company_id, []).append(invitation_id)
    deleted = 0
    for company_id, invitation_ids in by_company.items():
        with tenant_context(company_id):
            claimed = [i for i in _lock_for_erasure(company_id, invitation_ids, skip_locked=True)
                       if i.status != Invitation.Status.ACCEPTED and i.expires_at <= as_of]
            _erase_rows(company_id, [i.pk for i in claimed])
            _remove_mail({mail_tag(company_id, i.pk) for i in claimed})
            deleted += len(claimed)
    if deleted:
        record_event(event=AuditEvent.Event.INVITATIONS_EXPIRED, company_id=None, actor_id=None,
                     data={"count": deleted}, now=as_of)
    return deleted


def _lock_for_erasure(company_id: int, invitation_ids: list[int], *, skip_locked: bool = False) -> list[Invitation]:
    """The invitations locked first, then their links and locator: the order every writer here keeps."""
    return list(Invitation.objects.select_for_update(skip_locked=skip_locked)
                .filter(company_id=company_id, pk__in=invitation_ids).order_by("pk"))


def erase(invitation: Invitation) -> None:
    """Everything stored about one invitee for this invitation, in the current tenant's transaction."""
    _erase_rows(invitation.company_id, [invitation.pk])
    _remove_mail({mail_tag(invitation.company_id, invitation.pk)})


def _erase_rows(company_id: int, invitation_ids: list[int]) -> None:
    link_ids = list(InvitationLink.objects.filter(company_id=company_id, invitation_id__in=invitation_ids)
                    .values_list("pk", flat=True))
    OutboxMessage.objects.filter(handler=EMAIL_HANDLER, payload__company_id=company_id,
                                 payload__link_id__in=link_ids).delete()
    InvitationLink.objects.filter(company_id=company_id, invitation_id__in=invitation_ids).delete()
    InvitationLocator.objects.filter(company_id=company_id, invitation_id__in=invitation_ids).delete()
    Invitation.objects.filter(company_id=company_id, pk__in=invitation_ids).delete()


def _remove_mail(tags: set[str]) -> None:
    """Local mode's copies of those invitations' emails (``var/mail``); nothing to do elsewhere.

    Before the commit, on purpose: a rollback then costs a local copy of an email, while a crash
    after the commit could otherwise leave one behind for good.
    """
    if tags:
        remove_mail_files(lambda headers: headers.get(emails.INVITATION_HEADER) in tags)


def mail_tag(company_id: int, invitation_id: int) -> str:
    return f"{company_id}-{invitation_id}"


@outbox.handler(EMAIL_HANDLER)
def deliver_invitation_email(*, company_id: int, link_id: int) -> None:
    """Send one invitation email, if its link is still the current one (not replaced, revoked, removed)."""
    now = timezone.now()
    with tenant_context(company_id):
        link = InvitationLink.objects.filter(company_id=company_id, pk=link_id).first()
        if link is None:
            return
        token = link_token(link)
        opened = open_link(token, now=now)
        if opened.state is LinkState.CURRENT and opened.invitation is not None:
            emails.send_invitation(opened.invitation, token=token, tag=mail_tag(company_id, opened.invitation.pk))


# --- helpers -------------------------------------------------------------------------------------------

def _validate(*, name: str, email: str, role: str) -> None:
    errors: dict[str, str] = {}
    if not name:
        errors["name"] = "Enter the person's name."
    elif len(name) > 150:
        errors["name"] = "Use at most 150 characters."
    if not email:
        errors["email"] = "Enter the person's email address."
    else:
        try:
            validate_email(email)
        except ValidationError:
            errors["email"] = "Enter a valid email address."
    if role not in Invitation.Role.values:
        errors["role"] = "Choose guest (read-only) or member."
    if errors:
        raise ValidationError(errors)


def _link_period() -> timedelta:
    return timedelta(days=settings.INVITATION_LINK_DAYS)


def _reserve_email(company: Company, now: datetime) -> None:
    """Count this email against the company's daily allowance, under a lock (no two sends race past it)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [_QUOTA_LOCK, company.pk])
    # From the audit trail, which removals cannot shorten (the links go with a removed invitation).
    sent = AuditEvent.objects.filter(company_id=company.pk, created_at__gt=now - QUOTA_WINDOW, event__in=[
        AuditEvent.Event.INVITATION_SENT, AuditEvent.Event.INVITATION_RESENT]).count()
    if sent >= settings.INVITATIONS_PER_COMPANY_PER_DAY:
        raise InvitationQuotaExceeded(
            f"This company has sent {settings.INVITATIONS_PER_COMPANY_PER_DAY} invitations in the last 24 hours, "
            "the most allowed. Try again later.")


def _new_link(invitation: Invitation, now: datetime) -> InvitationLink:
    link = InvitationLink(company_id=invitation.company_id, invitation=invitation, nonce=secrets.token_hex(16),
                          created_at=now)
    link.token_hash = _hash(link_token(link))
    link.save()
    return link


def _email(link: InvitationLink) -> None:
    outbox.enqueue(deliver_invitation_email, company_id=link.company_id, link_id=link.pk)


def _locked(company: Company, invitation: Invitation) -> Invitation:
    if invitation.company_id != company.pk:
        raise ValueError("invitation belongs to another company")
    return Invitation.objects.select_for_update().get(company=company, pk=invitation.pk)


def _forget_invitee(invitation: Invitation) -> None:
    invitation.name, invitation.email = "", ""
    invitation.save(update_fields=["status", "name", "email", "accepted_at"])
    InvitationLocator.objects.filter(company_id=invitation.company_id, invitation_id=invitation.pk).update(
        email_index="")
    _remove_mail({mail_tag(invitation.company_id, invitation.pk)})  # the email quoted the name and address
