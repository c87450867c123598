"""Writes of the accounts app: one function per state change, atomic, side effects via the outbox."""

from __future__ import annotations

from django.contrib.auth.password_validation import validate_password
from django.db import transaction

from accounts import outbox
from accounts.emails import send_welcome_email
from accounts.exceptions import EmailAlreadyRegistered
from accounts.models import Company, Membership, User


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
    create_company(name=company_name, owner=user)
    outbox.enqueue(send_welcome_email, user_id=user.pk)
    return user


@transaction.atomic
def create_company(*, name: str, owner: User) -> Company:
    """A new active company whose only member is ``owner``."""
    company = Company.objects.create(name=name.strip())
    Membership.objects.create(user=owner, company=company, role=Membership.Role.OWNER)
    return company
