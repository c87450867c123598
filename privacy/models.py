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


class Statistic(models.Model):
    """One anonymous figure across all companies: no company id, no user id (PUR-2, RET-5).

    ``contributors`` is how many companies (or, for a person's choice such as a consent, how
    many people) make up ``value``; ``largest`` is the biggest single contributor's part. They
    decide whether the figure may be shown (``privacy.statistics``), and are never shown.
    Written once by ``privacy.statistics`` (INSERT … ON CONFLICT DO NOTHING) and never changed:
    a later purge cannot alter a figure already stored. Kept forever.
    """

    metric = models.CharField(max_length=60)
    value = models.PositiveBigIntegerField()
    contributors = models.PositiveIntegerField()
    largest = models.PositiveBigIntegerField()

    class Meta:
        abstract = True
        constraints = [models.CheckConstraint(condition=models.Q(largest__lte=models.F("value")),
                                              name="%(class)s_largest_within_value")]


class DailyStatistic(Statistic):
    """A metric for one finished UTC day: what happened during it, or the state at its end."""

    day = models.DateField()

    class Meta(Statistic.Meta):
        constraints = [*Statistic.Meta.constraints,
                       models.UniqueConstraint(fields=["metric", "day"], name="daily_statistic_unique")]
        permissions = [("view_reports", "View the aggregate Reports page and its CSV")]

    def __str__(self) -> str:
        return f"{self.metric} {self.day:%Y-%m-%d}"


class MonthlyStatistic(Statistic):
    """A counted metric for one finished month: the sum of its days, with its contributors over the month.

    Distinct companies over a month are not the sum of each day's, so they are counted from the
    source once the month's last day is stored (``privacy.statistics.fill_day``).
    """

    month = models.DateField()  # the first day of the month

    class Meta(Statistic.Meta):
        constraints = [*Statistic.Meta.constraints,
                       models.UniqueConstraint(fields=["metric", "month"], name="monthly_statistic_unique")]

    def __str__(self) -> str:
        return f"{self.metric} {self.month:%Y-%m}"
