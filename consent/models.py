from __future__ import annotations

from datetime import datetime

from django.db import models
from django.db.models import Q
from django.utils import timezone

from accounts.tenancy import TenantModel, parent_reference
from consent.purposes import PURPOSES, Subject
from privacy.fields import SealedCharField, SealedEmailField, SealedFieldsModel

PURPOSE_CHOICES = [(p.id, p.label) for p in PURPOSES.values()]
_COMPANY_PURPOSES = [p.id for p in PURPOSES.values() if p.subject is Subject.COMPANY]
# Exactly one subject, and the one its purpose is held by.
_ONE_SUBJECT = (Q(user__isnull=False, company__isnull=True) & ~Q(purpose__in=_COMPANY_PURPOSES)) | (
    Q(user__isnull=True, company__isnull=False) & Q(purpose__in=_COMPANY_PURPOSES))


class Method(models.TextChoices):
    SIGNUP_FORM = "signup_form", "Sign-up form"
    SETTINGS_FORM = "settings_form", "Settings page"
    API = "api", "API"
    ONE_CLICK = "one_click", "One-click unsubscribe (mail provider)"
    UNSUBSCRIBE_PAGE = "unsubscribe_page", "Unsubscribe page"
    COOKIE_BANNER = "cookie_banner", "Cookie banner"
    OFFICER = "officer", "Privacy Officer"
    EXPIRY = "expiry", "Expired"


class ConsentEvent(models.Model):
    """One grant or withdrawal of one purpose by one subject (CON-1). Append-only (CON-7).

    No update path in code; the app role has no UPDATE, DELETE or TRUNCATE on the table, and the
    purge removes a purged subject's rows through ``consent_forget`` (consent/forget.sql). Rows
    are hash-chained per subject like the audit trail; ``manage.py verify_audit`` checks both.
    """

    user = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    company = models.ForeignKey("accounts.Company", null=True, blank=True, on_delete=models.PROTECT,
                                related_name="+")
    purpose = models.CharField(max_length=30, choices=PURPOSE_CHOICES)
    granted = models.BooleanField()
    at = models.DateTimeField()
    expires_at = models.DateTimeField(null=True, blank=True)  # a time-limited grant (support access)
    policy_version = models.CharField(max_length=20)
    method = models.CharField(max_length=20, choices=Method.choices)
    actor_id = models.BigIntegerField(null=True, blank=True)  # who acted; None for the system (expiry)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        constraints = [models.CheckConstraint(condition=_ONE_SUBJECT, name="consent_event_one_subject")]
        indexes = [
            models.Index(fields=["user", "id"], name="consent_event_user", condition=Q(user__isnull=False)),
            models.Index(fields=["company", "id"], name="consent_event_company", condition=Q(company__isnull=False)),
        ]

    def __str__(self) -> str:
        return f"Consent event #{self.pk} {self.purpose} {'granted' if self.granted else 'withdrawn'}"


class Consent(models.Model):
    """The current state of one (subject, purpose): always the newest event, kept in its transaction."""

    user = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    company = models.ForeignKey("accounts.Company", null=True, blank=True, on_delete=models.PROTECT,
                                related_name="+")
    purpose = models.CharField(max_length=30, choices=PURPOSE_CHOICES)
    granted = models.BooleanField()
    since = models.DateTimeField()
    expires_at = models.DateTimeField(null=True, blank=True)
    event = models.ForeignKey(ConsentEvent, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [
            models.CheckConstraint(condition=_ONE_SUBJECT, name="consent_one_subject"),
            models.UniqueConstraint(fields=["user", "purpose"], condition=Q(user__isnull=False),
                                    name="consent_unique_user_purpose"),
            models.UniqueConstraint(fields=["company", "purpose"], condition=Q(company__isnull=False),
                                    name="consent_unique_company_purpose"),
        ]
        indexes = [models.Index(fields=["purpose", "granted"], name="consent_purpose_granted")]
        permissions = [("view_company_data", "Open a company's data under its support access grant (audited)")]

    def __str__(self) -> str:
        return f"Consent #{self.pk} {self.purpose}"

    def in_force(self, now: datetime | None = None) -> bool:
        return self.granted and (self.expires_at is None or self.expires_at > (now or timezone.now()))


class UnsubscribeToken(models.Model):
    """The secret of one user's unsubscribe link for one purpose; only its hash is looked up.

    The link's token is an HMAC of ``salt`` under the site's secret key (``consent.tokens``),
    so it is the same in every message of that purpose, and the table alone cannot rebuild it.
    """

    user = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    purpose = models.CharField(max_length=30, choices=PURPOSE_CHOICES)
    salt = models.CharField(max_length=32)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "purpose"], name="unsubscribe_token_unique")]

    def __str__(self) -> str:
        return f"Unsubscribe token #{self.pk}"


class PurposeMessage(models.Model):
    """A message the Privacy Officer sends to everyone who consented to its purpose (PUR-1)."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"

    purpose = models.CharField(max_length=30, choices=[(p.id, p.label) for p in PURPOSES.values() if p.message])
    subject = models.CharField(max_length=150)
    text = models.TextField(max_length=20000)
    created_by_id = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    queued_at = models.DateTimeField(null=True, blank=True)
    recipients = models.PositiveIntegerField(default=0)  # consenting when it was queued
    sent = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0)  # withdrew between queueing and sending
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        permissions = [("send_purposemessage", "Send a message to the users who consented to its purpose")]

    def __str__(self) -> str:
        return f"Message #{self.pk} ({self.purpose})"

    @property
    def progress(self) -> int:
        """Percent of recipients handled (sent or skipped)."""
        return 100 if not self.recipients else (100 * (self.sent + self.skipped)) // self.recipients


class Invitation(SealedFieldsModel, TenantModel):
    """Someone invited to a company by name and email (GST-1), kept only to send that email (GST-3).

    ``name`` and ``email`` are sealed under the company's key and blanked once the invitation is
    accepted or revoked; an invitation never accepted is deleted after it expires
    (``consent.invitations.purge_expired``). Its links are ``InvitationLink`` rows, the newest the
    current one; the blind index and expiry that work across companies need are in
    ``InvitationLocator``.
    """

    class Role(models.TextChoices):
        GUEST = "guest", "Guest (read-only)"
        MEMBER = "member", "Member"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        ACCEPTED = "accepted", "Accepted"
        REVOKED = "revoked", "Revoked"

    name = SealedCharField(max_length=150, blank=True)
    email = SealedEmailField(max_length=254, blank=True)
    role = models.CharField(max_length=10, choices=Role.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    invited_by = models.ForeignKey("accounts.User", null=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()
    sent_at = models.DateTimeField()  # of the current link
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["company", "status", "created_at"], name="invitation_company_status")]
        permissions = [("remove_invitation", "Remove an invitee's information by email, across companies")]

    def __str__(self) -> str:
        return f"Invitation #{self.pk}"


class InvitationLink(TenantModel):
    """One emailed link of an invitation; a resend adds a new one and the older ones answer "replaced".

    The link's token is an HMAC of ``nonce`` under the site's secret key (``consent.invitations``);
    only ``sha256(token)`` is stored, so a copy of the database cannot open an invitation.
    """

    invitation = parent_reference(Invitation, related_name="links")
    nonce = models.CharField(max_length=32)
    token_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["company", "token_hash"], name="invitation_link_token_uniq")]
        indexes = [models.Index(fields=["company", "invitation"], name="invitation_link_company_inv")]

    def __str__(self) -> str:
        return f"Invitation link #{self.pk}"


class InvitationLocator(models.Model):
    """Where a live invitation is, for the work that crosses companies (no tenant is current there).

    The expiry sweep finds invitations past ``expires_at``, and the officer's removal by email finds
    them by ``email_index``: a keyed hash (HMAC under the site's secret key) of the lower-cased
    address, blank once the invitation is no longer pending. No name, no address, no token.
    """

    company = models.ForeignKey("accounts.Company", on_delete=models.PROTECT, related_name="+", db_index=False)
    invitation_id = models.BigIntegerField()
    email_index = models.CharField(max_length=64, blank=True)
    expires_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["company", "invitation_id"], name="invitation_locator_unique"),
            models.UniqueConstraint(fields=["company", "email_index"], condition=~Q(email_index=""),
                                    name="invitation_one_pending_per_email"),
        ]
        indexes = [models.Index(fields=["expires_at"], name="invitation_locator_expiry"),
                   models.Index(fields=["email_index"], name="invitation_locator_email",
                                condition=~Q(email_index=""))]

    def __str__(self) -> str:
        return f"Invitation locator #{self.pk}"
