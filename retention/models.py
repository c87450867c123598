"""Shutdown requests, scheduled purges, legal holds, certificates and retained aggregates.

Only ``ShutdownRequest`` is tenant data (purged with the company). The others are the proof
and the limits of the purge: they hold ids, dates, counts and the officer's legal basis, are
read across companies by the purge runner and the officer, and survive the purge (see
``accounts.tenancy.GLOBAL_TABLES_WITH_COMPANY`` and ``retention/README.md``).
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from accounts.tenancy import TenantModel
from consent import purposes


class ShutdownRequest(TenantModel):
    """The owner asked to close the company; the emailed link confirms it (CON-4).

    The link's token is derived from ``nonce`` (``retention.tokens``); only its sha256 is stored.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for the owner to confirm"
        USED = "used", "Confirmed"
        CANCELLED = "cancelled", "Cancelled by the owner"
        REPLACED = "replaced", "Replaced by a newer link"

    owner = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    nonce = models.CharField(max_length=32)
    token_hash = models.CharField(max_length=64)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        # The link names its company, and the key holds company_id as a distributed database needs.
        constraints = [models.UniqueConstraint(fields=["company", "token_hash"], name="shutdown_token_unique")]
        indexes = [models.Index(fields=["company", "status"], name="shutdown_company_status")]

    def __str__(self) -> str:
        return f"Shutdown request #{self.pk} ({self.status})"


class ScheduledPurge(models.Model):
    """One closed company's purge: when it is due, where it stands, and who to tell.

    ``step``, ``table_index`` and ``rows_deleted`` are the checkpoint; each batch advances them
    in its own transaction. ``contact_email`` is the owner's address kept for administrative
    messages until the purge (CON-6); it is blanked when the purge is done.
    """

    class State(models.TextChoices):
        SCHEDULED = "scheduled", "Scheduled"
        RUNNING = "running", "Running"
        DONE = "done", "Done"

    class Step(models.TextChoices):
        START = "start", "Destroy keys, count"
        ROWS = "rows", "Delete rows"
        CLEANUP = "cleanup", "Files and users"
        CERTIFY = "certify", "Re-scan and certify"
        NOTIFY = "notify", "Send the certificate"
        FINISHED = "finished", "Finished"

    class Reason(models.TextChoices):
        OWNER = "owner", "The owner confirmed the emailed link"
        OFFICER = "officer", "The privacy officer, on a verified request"

    company = models.OneToOneField("accounts.Company", on_delete=models.PROTECT, related_name="scheduled_purge")
    reason = models.CharField(max_length=10, choices=Reason.choices)
    note = models.CharField(max_length=300, blank=True, help_text="Reference of the verified request; no personal information")
    closed_by_id = models.BigIntegerField(null=True)  # user id; None for the officer's command
    contact_email = models.EmailField(blank=True)
    closed_at = models.DateTimeField()
    due_at = models.DateTimeField()
    state = models.CharField(max_length=10, choices=State.choices, default=State.SCHEDULED)
    step = models.CharField(max_length=10, choices=Step.choices, default=Step.START)
    table_index = models.PositiveIntegerField(default=0)
    member_ids = models.JSONField(default=list, blank=True)
    rows_total = models.PositiveBigIntegerField(default=0)
    rows_deleted = models.JSONField(default=dict, blank=True)  # {table: rows}
    keys_destroyed = models.PositiveIntegerField(default=0)
    users_anonymised = models.PositiveIntegerField(default=0)
    files_removed = models.PositiveIntegerField(default=0)
    notify_failures = models.PositiveSmallIntegerField(default=0)
    started_at = models.DateTimeField(null=True, blank=True)
    last_progress_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["state", "due_at"], name="purge_state_due")]
        constraints = [
            models.CheckConstraint(condition=models.Q(due_at__gte=models.F("closed_at")), name="purge_due_after_close"),
            models.CheckConstraint(condition=~models.Q(state="done") | models.Q(contact_email=""),
                                   name="purge_done_keeps_no_contact"),
        ]

    def __str__(self) -> str:
        return f"Purge of company #{self.company_id} ({self.state})"

    @property
    def rows_done(self) -> int:
        return sum(self.rows_deleted.values())

    @property
    def progress(self) -> int:
        """Percent of rows deleted (100 once finished)."""
        if self.state == self.State.DONE:
            return 100
        if not self.rows_total:
            return 0
        return min(99, self.rows_done * 100 // self.rows_total)


class LegalHoldQuerySet(models.QuerySet["LegalHold"]):
    def active(self) -> LegalHoldQuerySet:
        """The one definition of an active hold: placed and not released (PUR-4, RET-4)."""
        return self.filter(released_at__isnull=True)

    def active_for(self, company_id: int | models.OuterRef) -> LegalHoldQuerySet:
        return self.active().filter(company_id=company_id)


class LegalHold(models.Model):
    """The law requires a company's data to be kept (PUR-4, RET-4): its purge waits while active."""

    company = models.ForeignKey("accounts.Company", on_delete=models.PROTECT, related_name="legal_holds")
    reason = models.TextField(help_text="Why the data must be kept; no personal information")
    reference = models.CharField(max_length=200, help_text="Court order, subpoena or case reference")
    review_on = models.DateField(help_text="When the officer reviews whether the hold still applies")
    placed_by_id = models.BigIntegerField(null=True)
    placed_at = models.DateTimeField(default=timezone.now)
    released_by_id = models.BigIntegerField(null=True, blank=True)
    released_at = models.DateTimeField(null=True, blank=True)

    objects = LegalHoldQuerySet.as_manager()

    class Meta:
        indexes = [models.Index(fields=["company"], name="legal_hold_active",
                                condition=models.Q(released_at__isnull=True))]

    def __str__(self) -> str:
        return f"Legal hold #{self.pk} on company #{self.company_id}"


class DeletionCertificate(models.Model):
    """Proof of a finished purge, without personal data: what was removed, when, under which rules."""

    purge = models.OneToOneField(ScheduledPurge, on_delete=models.PROTECT, related_name="certificate")
    company_id = models.BigIntegerField()
    issued_at = models.DateTimeField()
    policy_version = models.CharField(max_length=40)
    body = models.JSONField()  # tables, counts, re-scan, holds, dates
    digest = models.CharField(max_length=64)  # sha256 of the canonical JSON of body

    def __str__(self) -> str:
        return f"Deletion certificate #{self.pk} (company #{self.company_id})"


class RetainedAggregate(models.Model):
    """Monthly totals over all purged companies; no company id (RET-5). Kept indefinitely.

    Each purge adds its company's counts to the pending part of a cell (metric, month), never to
    the total at once: two reads around one purge would otherwise differ by that company's
    counts. The pending part joins the released total (``count``) in the purge step that makes
    it pass the rules of ``privacy.statistics`` (enough companies, none dominant), under the
    cell's row lock (``retention.purge._hold_back``). Only the released total is ever shown,
    through those rules again; the pending part is never shown.
    """

    class Metric(models.TextChoices):
        USERS = "users", "Users"
        INVOICES = "invoices", "Invoices"
        BANK_TRANSACTIONS = "bank_transactions", "Bank transactions"

    metric = models.CharField(max_length=40, choices=[
        *Metric.choices, *((f"consents.{p.id}", f"Consents given: {p.label}") for p in purposes.PURPOSES.values())])
    month = models.DateField()
    count = models.PositiveBigIntegerField(default=0)  # released
    contributors = models.PositiveIntegerField(default=0)  # purged companies in the released count
    largest = models.PositiveBigIntegerField(default=0)  # the biggest single company's part of it
    pending_count = models.PositiveBigIntegerField(default=0)
    pending_contributors = models.PositiveIntegerField(default=0)
    pending_largest = models.PositiveBigIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["metric", "month"], name="retained_aggregate_unique")]

    def __str__(self) -> str:
        return f"{self.metric} {self.month:%Y-%m}"

    @staticmethod
    def consent_metric(purpose: str) -> str:
        """The metric counting grants of ``purpose`` by purged subjects (no id survives)."""
        return f"consents.{purpose}"
