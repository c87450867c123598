"""Writes of the accounts app: one function per state change, atomic, side effects via the outbox."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, timedelta

from axes.handlers.proxy import AxesProxyHandler
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib.admin.models import LogEntry
from django.contrib.auth.password_validation import validate_password
from django.contrib.sessions.models import Session
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from knox.models import AuthToken

from accounts import outbox, selectors, two_factor, verification
from accounts.audit import record_event
from accounts.emails import send_password_reset_email, send_verification_email, send_welcome_email
from accounts.exceptions import EmailAlreadyRegistered, EmailNotVerified, LastOwner
from accounts.models import AuditEvent, Company, Membership, User


@transaction.atomic
def sign_up(*, email: str, password: str, full_name: str, company_name: str) -> User:
    """Create a user and their first company, with the user as its owner; welcome them by email.

    Raise EmailAlreadyRegistered if the address has an account, and Django's ValidationError
    if the password is too weak.
    """
    user = create_account(email=email, password=password, full_name=full_name)
    create_company(name=company_name, owner=user)
    outbox.enqueue(send_welcome_email, user_id=user.pk)  # it carries the link that proves the address
    record_event(event=AuditEvent.Event.EMAIL_VERIFICATION_SENT, company_id=None, actor_id=user.pk, subject=user)
    return user


@transaction.atomic
def create_account(*, email: str, password: str, full_name: str) -> User:
    """A user with no company yet (an invitee signing up through their link, or ``sign_up``).

    Raise EmailAlreadyRegistered if the address has an account, and Django's ValidationError
    if the password is too weak.
    """
    email = User.objects.normalize_email(email).strip().lower()
    if User.objects.filter(email__iexact=email).exists():
        raise EmailAlreadyRegistered
    candidate = User(email=email, full_name=full_name.strip())
    validate_password(password, user=candidate)
    try:
        with transaction.atomic():
            user = User.objects.create_user(email=email, password=password, full_name=candidate.full_name)
    except IntegrityError as exc:  # a sign-up with this address at the same moment won (issue 15)
        raise EmailAlreadyRegistered from exc
    record_event(event=AuditEvent.Event.USER_SIGNED_UP, company_id=None, actor_id=user.pk, subject=user)
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
    """End a membership at once; a member removing themselves is recorded as leaving.

    The member's pages and API calls for the company stop with the row (every request checks
    it); their API tokens go too when no active company is left to them. Raise LastOwner for
    the company's last owner.
    """
    membership = _locked(company, membership)
    if membership.role == Membership.Role.OWNER:
        _refuse_last_owner(company, membership)
    left = actor is not None and actor.pk == membership.user_id
    record_event(event=AuditEvent.Event.MEMBER_LEFT if left else AuditEvent.Event.MEMBER_REMOVED,
                 company_id=company.pk, actor_id=actor.pk if actor else None, subject=membership,
                 data={"user_id": membership.user_id, "role": membership.role})
    user_id = membership.user_id
    membership.delete()
    end_api_tokens(user_ids=selectors.users_without_active_company([user_id]))


@transaction.atomic
def change_role(*, company: Company, membership: Membership, role: str, actor: User | None) -> Membership:
    """Make a member an owner, a member or a guest; raise LastOwner when it would leave no owner."""
    if role not in Membership.Role.values:
        raise ValueError(f"unknown role {role!r}")
    membership = _locked(company, membership)
    if membership.role == role:
        return membership
    if membership.role == Membership.Role.OWNER:
        _refuse_last_owner(company, membership)
    record_event(event=AuditEvent.Event.MEMBER_ROLE_CHANGED, company_id=company.pk,
                 actor_id=actor.pk if actor else None, subject=membership,
                 data={"user_id": membership.user_id, "from": membership.role, "to": role})
    membership.role = role
    membership.save(update_fields=["role"])
    return membership


def _locked(company: Company, membership: Membership) -> Membership:
    """The membership re-read under a lock of all the company's owners (no two demotions race)."""
    if membership.company_id != company.pk:
        raise ValueError("membership belongs to another company")
    list(Membership.objects.select_for_update().filter(company=company, role=Membership.Role.OWNER))
    return Membership.objects.select_for_update().get(pk=membership.pk)


def _refuse_last_owner(company: Company, membership: Membership) -> None:
    others = Membership.objects.filter(company=company, role=Membership.Role.OWNER).exclude(pk=membership.pk)
    if not others.exists():
        raise LastOwner("A company needs an owner: make someone else an owner first.")


SEEN_GRAIN = timedelta(hours=1)


def note_usage(membership: Membership, *, now: datetime | None = None) -> None:
    """Site usage at a coarse grain (GST-3): ``last_seen_at`` moves at most once an hour.

    Written after the request commits, in its own statement: inside the request's transaction
    the row lock would queue every concurrent request of the member behind this one.
    """
    now = now or timezone.now()
    if membership.last_seen_at is None or now - membership.last_seen_at >= SEEN_GRAIN:
        stale = Q(last_seen_at__isnull=True) | Q(last_seen_at__lte=now - SEEN_GRAIN)
        pk = membership.pk
        transaction.on_commit(lambda: Membership.objects.filter(stale, pk=pk).update(last_seen_at=now))
        membership.last_seen_at = now


LINKS_PER_HOUR = 3  # password reset and email verification links per account


def _sent_in_the_last_hour(event: str, user: User, now: datetime) -> int:
    return AuditEvent.objects.filter(event=event, subject_type="accounts.User", subject_id=user.pk,
                                     created_at__gt=now - timedelta(hours=1)).count()


@transaction.atomic
def send_email_verification(*, user: User, now: datetime | None = None) -> bool:
    """Email the link that proves the address again; False when it is verified or enough were sent this hour."""
    now = now or timezone.now()
    User.objects.select_for_update().filter(pk=user.pk).first()  # one count at a time per account
    if user.email_verified or _sent_in_the_last_hour(AuditEvent.Event.EMAIL_VERIFICATION_SENT, user, now) >= LINKS_PER_HOUR:
        return False
    outbox.enqueue(send_verification_email, user_id=user.pk)
    record_event(event=AuditEvent.Event.EMAIL_VERIFICATION_SENT, company_id=None, actor_id=user.pk, subject=user,
                 now=now)
    return True


@transaction.atomic
def confirm_email(*, token: str, now: datetime | None = None) -> User | None:
    """The POST of the emailed link; None for a bad or expired link, or one made for an older address."""
    user = verification.user_for_token(token)
    return mark_email_verified(user=user, how="link", now=now) if user is not None else None


@transaction.atomic
def mark_email_verified(*, user: User, how: str, now: datetime | None = None) -> User:
    """The address is proven (the link, an invitation's link, or an operator making an officer); once."""
    now = now or timezone.now()
    locked = User.objects.select_for_update().get(pk=user.pk)
    if locked.email_verified_at is None:
        locked.email_verified_at = now
        locked.save(update_fields=["email_verified_at"])
        record_event(event=AuditEvent.Event.EMAIL_VERIFIED, company_id=None, actor_id=locked.pk, subject=locked,
                     data={"how": how}, now=now)
    user.email_verified_at = locked.email_verified_at
    return locked


def require_verified_email(user: User) -> None:
    """Shutdown Company and the export go to the owner's address: it must be proven first (CON-4)."""
    if not user.email_verified:
        raise EmailNotVerified


@transaction.atomic
def request_password_reset(*, email: str, now: datetime | None = None) -> None:
    """Email a reset link to the account with this address, if there is one (the page says the same either way).

    The link is made when the email is sent (``accounts.emails``), from Django's password reset
    token: it ends when used (the password changes), when the user logs in, or after
    ``PASSWORD_RESET_TIMEOUT`` seconds.
    """
    user = (User.objects.filter(email__iexact=email.strip(), is_active=True).exclude(password__startswith="!")
            .first())
    if user is None:
        return
    now = now or timezone.now()
    User.objects.select_for_update().filter(pk=user.pk).first()  # one count at a time per account
    if _sent_in_the_last_hour(AuditEvent.Event.PASSWORD_RESET_REQUESTED, user, now) >= LINKS_PER_HOUR:
        return  # nobody's mailbox is flooded from our form; the links already sent still work
    outbox.enqueue(send_password_reset_email, user_id=user.pk)
    record_event(event=AuditEvent.Event.PASSWORD_RESET_REQUESTED, company_id=None, actor_id=None, subject=user,
                 now=now)


@transaction.atomic
def password_changed(*, user: User, how: str, client_address: str | None = None, now: datetime | None = None) -> int:
    """After a change or a reset: every API token of the user ends (sessions end by themselves).

    Django's sessions carry a hash of the password, so every other session of the user stops at
    its next request; the change page keeps the current one. The failed logins counted against
    the account from the address that set the new password are forgiven: the lockout page sends
    a locked-out owner here, and they can log in at once. Returns the tokens ended.
    """
    if client_address:
        AxesProxyHandler.reset_attempts(ip_address=client_address, username=user.email)
    ended = end_api_tokens(user_ids=[user.pk])
    record_event(event=AuditEvent.Event.PASSWORD_CHANGED, company_id=None, actor_id=user.pk, subject=user,
                 data={"how": how, "api_tokens_ended": ended}, now=now)
    return ended


def end_api_tokens(*, user_ids: Collection[int]) -> int:
    """Delete every API token of these users; returns how many."""
    deleted, _ = AuthToken.objects.filter(user_id__in=user_ids).delete()
    return deleted


def end_sessions(*, user_ids: Collection[int], batch: int = 2000) -> int:
    """Delete every login session of these users.

    Sessions are stored by an opaque key, with the user id inside the signed data, so this reads
    them all in batches; it runs in the purge, not in a request.
    """
    wanted = {str(pk) for pk in user_ids}
    if not wanted:
        return 0
    doomed: list[str] = []
    for session in Session.objects.order_by("session_key").iterator(chunk_size=batch):
        if str(session.get_decoded().get("_auth_user_id")) in wanted:
            doomed.append(session.session_key)
    for start in range(0, len(doomed), batch):
        Session.objects.filter(session_key__in=doomed[start:start + batch]).delete()
    return len(doomed)


# The registry's ``anonymise`` fields of User, all set below (a test compares the two).
ANONYMISED_USER_FIELDS = ("email", "full_name", "password", "last_login", "date_joined", "email_verified_at")
ANONYMISED_DOMAIN = "@deleted.invalid"


@transaction.atomic
def anonymise_users(*, user_ids: Collection[int], now: datetime) -> list[str]:
    """Erase people who are no longer enrolled: each row stays (audit rows name its id), nothing personal.

    Their sessions, API tokens, two-factor devices, login records and admin log entries are deleted. Staff accounts
    and users already anonymised are left alone. Returns the former email addresses (for the
    caller to remove local mail files addressed to them).
    """
    users = list(User.objects.select_for_update().filter(pk__in=user_ids, is_staff=False, is_superuser=False)
                 .exclude(email__endswith=ANONYMISED_DOMAIN).order_by("pk"))
    former_emails = [user.email for user in users]
    for user in users:
        user.email = f"user-{user.pk}{ANONYMISED_DOMAIN}"
        user.full_name = ""
        user.set_unusable_password()
        user.last_login = None
        user.email_verified_at = None
        user.date_joined = now.replace(hour=0, minute=0, second=0, microsecond=0)
        user.is_active = False
        user.save()
        record_event(event=AuditEvent.Event.USER_ANONYMISED, company_id=None, actor_id=None, subject=user)
    ids = [user.pk for user in users]
    end_sessions(user_ids=ids)
    end_api_tokens(user_ids=ids)
    two_factor.forget(user_ids=ids)
    for model in (AccessAttempt, AccessLog, AccessFailureLog):
        model.objects.filter(username__in=former_emails).delete()
    LogEntry.objects.filter(user_id__in=ids).delete()
    return former_emails
