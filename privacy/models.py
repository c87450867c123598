"""Models of the privacy app: the owner's data export, the officer's published contact, inquiries."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.db import models
from django.db.models.functions import TruncDate
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
        constraints = [
            # One export per company at a time (issue 15): two requests at once make one, whatever the race.
            models.UniqueConstraint(fields=["company"], condition=models.Q(status__in=["pending", "running"]),
                                    name="export_one_in_progress_per_company"),
        ]

    def __str__(self) -> str:
        return f"Data export #{self.pk}"

    @property
    def in_progress(self) -> bool:
        return self.status in {self.Status.PENDING, self.Status.RUNNING}


class ExportJob(models.Model):
    """The cross-company watch list of exports being built: ids and a heartbeat, nothing personal.

    ``DataExport`` rows are visible only inside their company (row-level security), so the beat
    that finds stalled builds reads this local table instead. Each build start takes the next
    ``attempt``; a build whose attempt is no longer current has been superseded and stops. The
    row lives while its export is pending or running and is deleted when the export ends.
    """

    company = models.ForeignKey("accounts.Company", on_delete=models.CASCADE, related_name="+")
    export_id = models.BigIntegerField(unique=True)
    attempt = models.PositiveSmallIntegerField(default=0)  # builds started so far
    heartbeat_at = models.DateTimeField()  # the last sign of progress (a start or a batch written)

    class Meta:
        indexes = [models.Index(fields=["heartbeat_at"], name="exportjob_heartbeat")]

    def __str__(self) -> str:
        return f"Export job #{self.pk}"


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


class OfficerContact(models.Model):
    """The Privacy Officer's published contact (ACC-1): one row, seeded from the policy, edited in the admin.

    ``singleton`` is a constant with a unique index and a check: the database refuses a second row.
    An office's address, not a person's: nothing here is personal information.
    """

    singleton = models.BooleanField(default=True, unique=True, editable=False)
    title = models.CharField(max_length=100)
    postal_address = models.TextField()
    email = models.EmailField()
    phone = models.CharField(max_length=40)
    regulator_name = models.CharField(
        max_length=200, help_text="Who a person may complain to about our compliance (named in every acknowledgement)")
    regulator_url = models.URLField()
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = verbose_name_plural = "officer contact"
        constraints = [models.CheckConstraint(condition=models.Q(singleton=True), name="officer_contact_single_row")]

    def __str__(self) -> str:
        return "Privacy Officer contact"


def overdue_q(today: date) -> models.Q:
    """The one definition of overdue: not answered, not closed, and its due date is before ``today``."""
    return models.Q(answered_at__isnull=True, closed_at__isnull=True, due_on__lt=today)


class InquiryQuerySet(models.QuerySet["Inquiry"]):
    """Dates of inquiries are days of ``TIME_ZONE`` (``timezone.localdate``): the requester is told a date."""

    def open(self) -> InquiryQuerySet:
        return self.exclude(status=Inquiry.Status.CLOSED)

    def unanswered(self) -> InquiryQuerySet:
        """Still waiting for the officer's answer: neither answered nor closed."""
        return self.filter(answered_at__isnull=True, closed_at__isnull=True)

    def overdue(self, *, now: datetime) -> InquiryQuerySet:
        return self.filter(overdue_q(timezone.localdate(now)))

    def due_within(self, *, now: datetime, days: int) -> InquiryQuerySet:
        """Not yet overdue, still unanswered, and due from today to ``days`` days from today."""
        today = timezone.localdate(now)
        return self.unanswered().filter(due_on__gte=today, due_on__lte=today + timedelta(days=days))

    def with_overdue(self, *, now: datetime) -> InquiryQuerySet:
        return self.annotate(is_overdue=models.ExpressionWrapper(overdue_q(timezone.localdate(now)),
                                                                 output_field=models.BooleanField()))


class Inquiry(models.Model):
    """A privacy question or complaint sent to the officer (ACC-2, CHL-1); written only by ``privacy.inquiries``.

    Not tenant data: anyone may write, with or without an account. The identifying fields are
    blanked ``PRIVACY_INQUIRY_KEEP_DAYS`` after closing; reference, kind, dates and outcome stay.
    """

    class Kind(models.TextChoices):
        QUESTION = "question", "Question"
        ACCESS = "access", "Access to my information"
        CORRECTION = "correction", "Correction"
        COMPLAINT = "complaint", "Complaint about compliance"
        REMOVAL = "removal", "Remove my information"

    class Status(models.TextChoices):
        NEW = "new", "New"
        IN_PROGRESS = "in_progress", "In progress"
        ANSWERED = "answered", "Answered"
        CLOSED = "closed", "Closed"

    class Resolution(models.TextChoices):
        ANSWERED = "answered", "Answered"
        ACCESS_GIVEN = "access_given", "Access given"
        CORRECTED = "corrected", "Information corrected"
        REMOVED = "removed", "Information removed"
        COMPLAINT_UPHELD = "complaint_upheld", "Complaint upheld"
        COMPLAINT_NOT_UPHELD = "complaint_not_upheld", "Complaint not upheld"
        WITHDRAWN = "withdrawn", "Withdrawn by the requester"
        NOT_PRIVACY = "not_privacy", "Not a privacy matter"

    reference = models.CharField(max_length=20, unique=True)
    kind = models.CharField(max_length=12, choices=Kind.choices)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.NEW)
    name = models.CharField(max_length=150, blank=True)
    email = models.EmailField(blank=True)
    message = models.TextField(blank=True)
    user = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # Keyed hash of the sender's address, only to count submissions per hour; blanked after that hour.
    client_index = models.CharField(max_length=64, blank=True)
    received_at = models.DateTimeField()
    due_on = models.DateField("due date")  # the day we answer by, as the requester is told it; overdue the day after
    extended_at = models.DateTimeField(null=True, blank=True)
    extended_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    extension_reason = models.TextField(blank=True)
    assignee = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    answered_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    resolution = models.CharField(max_length=24, choices=Resolution.choices, blank=True)
    resolution_note = models.TextField(blank=True)
    erased_at = models.DateTimeField(null=True, blank=True)

    objects = InquiryQuerySet.as_manager()

    class Meta:
        verbose_name_plural = "inquiries"
        permissions = [("handle_inquiry", "Can assign, extend, answer and close inquiries")]
        indexes = [
            models.Index(fields=["received_at"], name="inquiry_received"),
            models.Index(fields=["status", "due_on"], name="inquiry_status_due"),
            models.Index(fields=["closed_at"], name="inquiry_to_erase", condition=models.Q(erased_at__isnull=True)),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(due_on__gt=TruncDate("received_at")), name="inquiry_due_after_receipt"),
            models.CheckConstraint(
                condition=~models.Q(status="closed") | (models.Q(closed_at__isnull=False) & ~models.Q(resolution="")),
                name="inquiry_closed_has_resolution"),
            models.CheckConstraint(condition=models.Q(erased_at__isnull=True) | models.Q(closed_at__isnull=False),
                                   name="inquiry_erased_only_when_closed"),
        ]

    def __str__(self) -> str:
        return self.reference  # no personal value: str() reaches logs and admin breadcrumbs


class InquiryEvent(models.Model):
    """One entry of an inquiry's timeline. ``text`` holds the answer, a reason or a note (blanked at erasure)."""

    class What(models.TextChoices):
        RECEIVED = "received", "Received"
        ASSIGNED = "assigned", "Assigned"
        STATUS = "status", "Status changed"
        EXTENDED = "extended", "Due date extended"
        ANSWERED = "answered", "Answered"
        CLOSED = "closed", "Closed"
        ERASED = "erased", "Identifying details destroyed"

    inquiry = models.ForeignKey(Inquiry, on_delete=models.PROTECT, related_name="events")
    at = models.DateTimeField()
    actor_id = models.BigIntegerField(null=True)  # user id; None for the requester or the system
    what = models.CharField(max_length=10, choices=What.choices)
    detail = models.CharField(max_length=100, blank=True)  # states, dates, ids: never a personal value
    text = models.TextField(blank=True)

    class Meta:
        indexes = [models.Index(fields=["inquiry", "at"], name="inquiry_event_timeline")]

    def __str__(self) -> str:
        return f"Inquiry event #{self.pk} ({self.what})"


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
