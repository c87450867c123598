from __future__ import annotations

from datetime import date

from django.db import models
from django.utils import timezone

from accounts.tenancy import TenantModel


class DataExport(TenantModel):
    """The owner's copy of the company's data: a ZIP built by a worker, downloaded once."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for a worker"
        RUNNING = "running", "Being prepared"
        READY = "ready", "Ready to download"
        DOWNLOADED = "downloaded", "Downloaded (file deleted)"
        EXPIRED = "expired", "Expired (file deleted)"
        FAILED = "failed", "Failed"

    requested_by_id = models.BigIntegerField()
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    progress = models.PositiveSmallIntegerField(default=0)  # percent
    rows_written = models.PositiveBigIntegerField(default=0)
    file_name = models.CharField(max_length=80, blank=True)  # random, under PRIVACY_EXPORT_DIR
    size_bytes = models.PositiveBigIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    downloaded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["company", "-created_at"], name="export_company_recent")]

    def __str__(self) -> str:
        return f"Data export #{self.pk}"

    @property
    def in_progress(self) -> bool:
        return self.status in {self.Status.PENDING, self.Status.RUNNING}


class PolicyVersionQuerySet(models.QuerySet["PolicyVersion"]):
    def published(self) -> PolicyVersionQuerySet:
        return self.filter(published_at__isnull=False)

    def in_force_on(self, day: date) -> PolicyVersionQuerySet:
        """Published versions effective on ``day``, the one in force first."""
        return self.published().filter(effective_on__lte=day).order_by("-effective_on", "-published_at")


class PolicyVersion(models.Model):
    """One version of the privacy policy (ACC-3, NOT-1); a reference table, the same for everyone.

    A draft may be edited; once published, its row can never change nor be deleted: a trigger
    (migration 0005) refuses it in the database, for every role. ``sha256`` is the digest of
    ``text`` encoded as UTF-8, set when it is published.
    """

    label = models.SlugField(max_length=20, unique=True, help_text="Usually the effective date, e.g. 2027-01-31")
    effective_on = models.DateField()
    text = models.TextField(max_length=200_000)
    summary = models.TextField(max_length=2000, help_text="What changed, in a few plain sentences")
    material = models.BooleanField(
        default=False, help_text="A material change is emailed to every user and shown to them until they read it")
    created_by_id = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    published_at = models.DateTimeField(null=True, blank=True)
    published_by_id = models.BigIntegerField(null=True, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)

    objects = PolicyVersionQuerySet.as_manager()

    class Meta:
        permissions = [("publish_policyversion", "Publish a privacy policy version")]
        constraints = [
            models.CheckConstraint(condition=models.Q(published_at__isnull=True) | ~models.Q(sha256=""),
                                   name="policy_published_has_digest"),
        ]

    def __str__(self) -> str:
        return f"Privacy policy {self.label}"

    @property
    def is_published(self) -> bool:
        return self.published_at is not None


class PolicyNotice(models.Model):
    """A user's notice of a material policy change: emailed once, shown until read (ACC-3).

    One row per (user, version), made by the fan-out with ``ON CONFLICT DO NOTHING``, so running
    it again sends nothing more. Deleted with the user's other records when the purge
    anonymises them.
    """

    user = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="+")
    version = models.ForeignKey(PolicyVersion, on_delete=models.PROTECT, related_name="notices")
    created_at = models.DateTimeField(default=timezone.now)
    emailed_at = models.DateTimeField(null=True, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "version"], name="policy_notice_once")]
        indexes = [models.Index(fields=["user"], name="policy_notice_unread", condition=models.Q(read_at__isnull=True))]

    def __str__(self) -> str:
        return f"Policy notice #{self.pk}"
