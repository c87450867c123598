from __future__ import annotations

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
