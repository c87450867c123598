"""Writes of the accounts app: one function per state change, atomic, side effects via the outbox."""

from __future__ import annotations

from django.contrib.auth.password_validation import validate_password
from django.db import transaction

from accounts import outbox
from accounts.audit import record_event
from accounts.emails import send_welcome_email
from accounts.exceptions import EmailAlreadyRegistered
from accounts.models import AuditEvent, Company, Membership, User


@transaction.atomic
def sign_up(*, email: str, password: str, full_name: str, company_name: str) -> User:
    """Create a user and their first company, with the user as its owner; welcome them by email.

    Raise EmailAlreadyRegistered if the address has an account, and Django's ValidationError
    if the password is too weak.
    """
    email = User.objects.normalize_email(email).strip().lower()
    if User.objects.filter(email__iexact=email).exists():
        raise EmailAlreadyRegistered
    candidate = User(email=email, full_name=full_name.strip())
    validate_password(password, user=candidate)
    user = User.objects.create_user(email=email, password=password, full_name=candidate.full_name)
    record_event(event=AuditEvent.Event.USER_SIGNED_UP, company_id=None, actor_id=user.pk, subject=user)
    create_company(name=company_name, owner=user)
    outbox.enqueue(send_welcome_email, user_id=user.pk)
    return user


@transaction.atomic
def create_company(*, name: str, owner: User) -> Company:
    """A new active company whose only member is ``owner``."""
    company = Company.objects.create(name=name.strip())
    record_event(event=AuditEvent.Event.COMPANY_CREATED, company_id=company.pk, actor_id=owner.pk, subject=company)
    add_member(company=company, user=owner, role=Membership.Role.OWNER, actor=owner)
    return company


@transaction.atomic
def add_member(*, company: Company, user: User, role: str, actor: User | None) -> Membership:
    """Give ``user`` access to ``company`` as ``role`` (owner, member or guest)."""
    membership = Membership.objects.create(user=user, company=company, role=role)
    record_event(event=AuditEvent.Event.MEMBER_ADDED, company_id=company.pk, actor_id=actor.pk if actor else None,
                 subject=membership, data={"user_id": user.pk, "role": role})
    return membership


@transaction.atomic
def remove_member(*, company: Company, membership: Membership, actor: User | None) -> None:
    """End a membership; a member removing themselves is recorded as leaving."""
    if membership.company_id != company.pk:
        raise ValueError("membership belongs to another company")
    left = actor is not None and actor.pk == membership.user_id
    record_event(event=AuditEvent.Event.MEMBER_LEFT if left else AuditEvent.Event.MEMBER_REMOVED,
                 company_id=company.pk, actor_id=actor.pk if actor else None, subject=membership,
                 data={"user_id": membership.user_id, "role": membership.role})
    membership.delete()
