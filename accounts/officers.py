"""The Privacy Officer: a least-privilege staff group, never a superuser by necessity (PUR-3, SAF-1).

The group is made by a migration (``softhelpers`` 0002, with the permissions of its day) and
kept at exactly ``PERMISSIONS`` after every migrate (and test flush) by ``sync_officer_group``;
``create_officer`` makes an account in it. The officer reads ids, states, dates and counts in
the admin, places and releases legal holds, keeps the published contact and answers privacy
inquiries (whose senders' own details it reads, audited), and reaches a tenant's personal
information only through the support-granted, audited staff view.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from accounts.audit import record_event
from accounts.exceptions import OfficerRefused
from accounts.models import AuditEvent, User

GROUP_NAME = "Privacy officer"
# app_label.codename: exactly the officer's work, nothing that discloses personal information.
PERMISSIONS = [
    "accounts.view_auditevent",
    "accounts.view_company",  # ids, states and dates only; the name is tenant data
    "accounts.view_membership",  # ids and roles
    "consent.view_consent",  # support access grants: company ids and dates
    "consent.view_consentevent",  # the consent ledger: ids, purposes, methods, dates
    "consent.view_purposemessage",
    "consent.add_purposemessage",  # composed in the admin, sent by its audited action
    "consent.send_purposemessage",
    "consent.view_company_data",  # the audited staff view, under the company's own support grant
    "consent.remove_invitation",  # an invitee's removal by email (GST-4): deletes, shows nothing
    "privacy.view_policyversion",
    "privacy.add_policyversion",  # drafts, through privacy.policy
    "privacy.change_policyversion",  # drafts only: a published version is final
    "privacy.delete_policyversion",  # drafts only
    "privacy.publish_policyversion",
    "privacy.view_officercontact",
    "privacy.change_officercontact",  # the published contact (ACC-1), edited through privacy.officer_contact
    "privacy.view_inquiry",  # the requesters' own name, email and words, to answer them; each opening audited
    "privacy.handle_inquiry",  # assign, extend, answer, close (privacy.inquiries)
    "retention.view_scheduledpurge",
    "retention.view_legalhold",
    "retention.add_legalhold",  # placed through retention.services; released by the admin action
    "retention.view_deletioncertificate",
    "retention.view_retainedaggregate",
    "privacy.view_reports",  # the Reports page and its CSV: aggregate figures and counts per date only
]


def sync_officer_group(*, groups: Any, permissions: Any, names: list[str] = PERMISSIONS) -> None:
    """Make the group hold exactly ``names`` (default ``PERMISSIONS``).

    The managers are passed in: a migration gives its historical models on its own connection.
    """
    group, _ = groups.get_or_create(name=GROUP_NAME)
    wanted = []
    for name in names:
        app_label, codename = name.split(".")
        wanted.append(permissions.get(content_type__app_label=app_label, codename=codename))
    group.permissions.set(wanted)


@transaction.atomic
def create_officer(*, email: str, password: str, actor: User | None) -> User:
    """A new staff account in the officer group; raise OfficerRefused or ValidationError (password).

    An address that already has an account is refused: an officer account is its own, never a
    customer's account promoted to staff.
    """
    email = User.objects.normalize_email(email).strip().lower()
    try:
        validate_email(email)
    except ValidationError as exc:
        raise OfficerRefused("Give the officer's email address.") from exc
    if User.objects.filter(email__iexact=email).exists():
        raise OfficerRefused("That email already has an account; an officer needs an account of their own.")
    group = Group.objects.filter(name=GROUP_NAME).first()
    if group is None:
        raise OfficerRefused(f"The {GROUP_NAME!r} group is missing; run manage.py migrate first.")
    # The operator who runs create_officer vouches for the address: it is verified from the start.
    officer = User(email=email, is_staff=True, is_superuser=False, email_verified_at=timezone.now())
    validate_password(password, user=officer)
    officer.set_password(password)
    officer.save()
    officer.groups.add(group)
    record_event(event=AuditEvent.Event.OFFICER_CREATED, company_id=None, actor_id=actor.pk if actor else None,
                 subject=officer)
    return officer
