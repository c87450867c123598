from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.utils import timezone
from django.utils.crypto import salted_hmac


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **fields: object) -> User:
        if not email:
            raise ValueError("An email address is required")
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **fields: object) -> User:
        fields.update(is_staff=True, is_superuser=True)
        return self.create_user(email, password, **fields)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who logs in with their email address; belongs to companies through Membership."""

    email = models.EmailField(unique=True)
    full_name = models.CharField(max_length=150, blank=True)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)
    date_joined = models.DateTimeField(default=timezone.now)
    # When the user proved the address (accounts.verification); Shutdown Company and the export wait for it.
    email_verified_at = models.DateTimeField(null=True, blank=True)
    # Moves when two-factor sign-in is turned on or off: every other session of the user ends, as
    # after a password change (it is part of the session's auth hash), and known devices are forgotten.
    session_epoch = models.PositiveIntegerField(default=0, editable=False)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = []

    def __str__(self) -> str:
        return f"User #{self.pk}"  # no personal value: str() reaches logs and admin breadcrumbs

    @property
    def email_verified(self) -> bool:
        return self.email_verified_at is not None

    def _get_session_auth_hash(self, secret: str | None = None) -> str:
        """Django's hash of the password, with ``session_epoch`` in it once that has moved."""
        if not self.session_epoch:  # sessions made before the epoch existed stay valid
            return super()._get_session_auth_hash(secret=secret)  # type: ignore[misc]
        key_salt = "django.contrib.auth.models.AbstractBaseUser.get_session_auth_hash"
        return salted_hmac(key_salt, f"{self.password}|{self.session_epoch}", secret=secret,
                           algorithm="sha256").hexdigest()


class Company(models.Model):
    """A tenant. Its rows in every tenant table carry its id as ``company_id``."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        CLOSED = "closed", "Closed"
        PURGED = "purged", "Purged"

    name = models.CharField(max_length=200)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    created_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)
    purged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "companies"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status="active") | models.Q(closed_at__isnull=False),
                name="company_closed_has_date",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="purged") | models.Q(purged_at__isnull=False, name=""),
                name="company_purged_is_tombstone",
            ),
        ]

    def __str__(self) -> str:
        return f"Company #{self.pk}"

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE


class Membership(models.Model):
    """Who may open a company, and as what.

    A directory table, not tenant data: the Company Selection page reads one user's
    memberships across companies, so it is scoped in the application by user and company
    rather than by row-level security (see ``tenancy.GLOBAL_TABLES_WITH_COMPANY``).
    """

    class Role(models.TextChoices):
        OWNER = "owner", "Owner"
        MEMBER = "member", "Member"
        GUEST = "guest", "Guest"

    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="memberships")
    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="memberships")
    role = models.CharField(max_length=10, choices=Role.choices)
    created_at = models.DateTimeField(default=timezone.now)
    last_seen_at = models.DateTimeField(null=True, blank=True)  # coarse site usage (GST-3): at most hourly

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "company"], name="membership_unique_user_company")]
        indexes = [models.Index(fields=["company", "role"], name="membership_company_role")]

    def __str__(self) -> str:
        return f"Membership #{self.pk} ({self.role})"


class OutboxMessage(models.Model):
    """A job that must happen, written in the same transaction as the change that causes it.

    ``payload`` holds ids only, never personal values. A row is delivered once: the worker
    claims it with ``SELECT … FOR UPDATE SKIP LOCKED`` and marks it in the same transaction.
    """

    handler = models.CharField(max_length=100)
    payload = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now)
    delivered_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=200, blank=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["created_at"], name="outbox_pending", condition=models.Q(delivered_at__isnull=True)
            )
        ]

    def __str__(self) -> str:
        return f"Outbox #{self.pk} {self.handler}"


class AuditEvent(models.Model):
    """One privacy-relevant action. Append-only: the app role has no UPDATE or DELETE on it.

    Rows hold ids, event types and counts, never personal values, so they outlive the purge.
    ``hash`` chains each row to the previous one of the same company (``company_id`` NULL is
    the site-wide chain): ``manage.py verify_audit`` recomputes the chain and reports the first
    row that was altered, inserted or removed out of order.
    """

    class Event(models.TextChoices):
        USER_SIGNED_UP = "user.signed_up", "User signed up"
        COMPANY_CREATED = "company.created", "Company created"
        MEMBER_ADDED = "membership.added", "Member added"
        MEMBER_REMOVED = "membership.removed", "Member removed"
        MEMBER_LEFT = "membership.left", "Member left"
        MEMBER_ROLE_CHANGED = "membership.role_changed", "Member's role changed"
        INVITATION_SENT = "invitation.sent", "Invitation sent"
        INVITATION_RESENT = "invitation.resent", "Invitation sent again (new link)"
        INVITATION_REVOKED = "invitation.revoked", "Invitation revoked"
        INVITATION_ACCEPTED = "invitation.accepted", "Invitation accepted"
        INVITATION_REMOVED = "invitation.removed", "Invitee's information removed on request"
        INVITATIONS_EXPIRED = "invitation.expired", "Expired invitations deleted"
        CREDENTIALS_STORED = "credentials.stored", "Bank credentials stored"
        CREDENTIALS_DESTROYED = "credentials.destroyed", "Bank credentials destroyed"
        BANK_STATEMENT_IMPORTED = "bank.statement_imported", "Bank statement imported"
        EXPORT_REQUESTED = "export.requested", "Data export requested"
        EXPORT_READY = "export.ready", "Data export ready"
        EXPORT_DOWNLOADED = "export.downloaded", "Data export downloaded"
        EXPORT_EXPIRED = "export.expired", "Data export expired"
        EXPORT_FAILED = "export.failed", "Data export failed"
        KEY_ROTATION_STARTED = "key.rotation_started", "Data key rotation started"
        KEY_ROTATED = "key.rotated", "Data key rotated"
        MASTER_KEY_REWRAPPED = "key.master_rewrapped", "Data keys re-wrapped under a new master key"
        SUPPORT_ACCESS_GRANTED = "support.granted", "Support access granted"
        SUPPORT_ACCESS_REVOKED = "support.revoked", "Support access revoked"
        STAFF_VIEWED_PI = "staff.viewed_personal_data", "Staff viewed personal data"
        SHUTDOWN_REQUESTED = "shutdown.requested", "Shutdown requested (link emailed)"
        SHUTDOWN_CANCELLED = "shutdown.cancelled", "Shutdown cancelled"
        COMPANY_CLOSED = "company.closed", "Company closed"
        PURGE_STARTED = "purge.started", "Purge started (data keys destroyed)"
        PURGE_HELD = "purge.held", "Purge stopped by a legal hold"
        PURGE_COMPLETED = "purge.completed", "Purge completed"
        USER_ANONYMISED = "user.anonymised", "User anonymised"
        LEGAL_HOLD_PLACED = "legal_hold.placed", "Legal hold placed"
        LEGAL_HOLD_RELEASED = "legal_hold.released", "Legal hold released"
        OFFICER_CREATED = "officer.created", "Privacy officer account created"
        PASSWORD_RESET_REQUESTED = "password.reset_requested", "Password reset link emailed"
        PASSWORD_CHANGED = "password.changed", "Password changed (other sessions and API tokens ended)"
        EMAIL_VERIFICATION_SENT = "email.verification_sent", "Email verification link sent"
        EMAIL_VERIFIED = "email.verified", "Email address verified"
        ADMIN_CHANGED = "admin.changed", "Changed through the admin"
        MESSAGE_QUEUED = "message.queued", "Message queued to consenting users"
        POLICY_DRAFTED = "policy.drafted", "Privacy policy version drafted"
        POLICY_DRAFT_CHANGED = "policy.draft_changed", "Privacy policy draft edited"
        POLICY_PUBLISHED = "policy.published", "Privacy policy version published"
        POLICY_NOTICES_QUEUED = "policy.notices_queued", "Policy change notices queued"
        OFFICER_CONTACT_CHANGED = "officer_contact.changed", "Privacy officer's published contact changed"
        INQUIRY_RECEIVED = "inquiry.received", "Privacy inquiry received"
        INQUIRY_VIEWED = "inquiry.viewed", "Privacy inquiry opened in the admin"
        INQUIRY_ASSIGNED = "inquiry.assigned", "Privacy inquiry assigned"
        INQUIRY_STATUS_CHANGED = "inquiry.status_changed", "Privacy inquiry's status changed"
        INQUIRY_EXTENDED = "inquiry.extended", "Privacy inquiry's due date extended"
        INQUIRY_ANSWERED = "inquiry.answered", "Privacy inquiry answered"
        INQUIRY_CLOSED = "inquiry.closed", "Privacy inquiry closed"
        INQUIRIES_ERASED = "inquiry.erased", "Closed inquiries' identifying details destroyed"
        INQUIRY_DIGEST_QUEUED = "inquiry.digest_queued", "Daily inquiry digest queued to the officers"
        REPORTS_VIEWED = "reports.viewed", "Reports page viewed"
        REPORTS_DOWNLOADED = "reports.downloaded", "Reports CSV downloaded"
        TWO_FACTOR_ENABLED = "two_factor.enabled", "Two-factor sign-in turned on"
        TWO_FACTOR_DISABLED = "two_factor.disabled", "Two-factor sign-in turned off"
        RECOVERY_CODES_REGENERATED = "two_factor.codes_regenerated", "Two-factor recovery codes replaced"
        RECOVERY_CODE_USED = "two_factor.code_used", "Two-factor recovery code used"
        API_TOKEN_ISSUED = "api_token.issued", "API token issued"
        API_TOKENS_REVOKED = "api_token.revoked", "API tokens revoked"
        INVOICE_SENT = "invoice.sent", "Invoice sent to its contact"

    company_id = models.BigIntegerField(null=True, db_index=True)  # no FK: the audit outlives its company
    actor_id = models.BigIntegerField(null=True)  # user id; None for the system
    event = models.CharField(max_length=40, choices=Event.choices)
    subject_type = models.CharField(max_length=60, blank=True)
    subject_id = models.BigIntegerField(null=True)
    data = models.JSONField(default=dict, blank=True)  # ids and counts only
    created_at = models.DateTimeField()
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        # Append-only: no update path in code, and none in the database for the app role.
        indexes = [models.Index(fields=["company_id", "id"], name="audit_chain")]

    def __str__(self) -> str:
        return f"Audit #{self.pk} {self.event}"
