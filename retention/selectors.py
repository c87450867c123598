"""Reads of the retention app."""

from __future__ import annotations

from django.db.models import QuerySet

from accounts.models import Company, Membership, User
from accounts.tenancy import tenant_context
from privacy import selectors as privacy_selectors
from privacy import statistics
from retention.models import RetainedAggregate, ScheduledPurge, ShutdownRequest


def pending_shutdown(*, company: Company) -> ShutdownRequest | None:
    """The link the owner was sent and has not used (it may have expired)."""
    with tenant_context(company.pk):
        return (ShutdownRequest.objects.filter(company=company, status=ShutdownRequest.Status.PENDING)
                .order_by("-created_at").first())


def purge_of(*, company: Company) -> ScheduledPurge | None:
    return ScheduledPurge.objects.filter(company=company).first()


def shown_count(row: RetainedAggregate) -> statistics.Cell:
    """A retained total as it may be shown: its released part, under the rules of ``privacy.statistics`` (PUR-2, RET-5)."""
    return statistics.cell(statistics.Figure(row.count, row.contributors, row.largest))


def released_aggregates() -> QuerySet[RetainedAggregate]:
    """The totals something was released to. A cell with only a pending part stays out of sight: its
    appearing after a purge would tell that the purged company had data in that month."""
    return RetainedAggregate.objects.filter(contributors__gt=0)


def retained_aggregates() -> list[tuple[str, str, str]]:
    """``(metric, YYYY-MM, count or why it is not shown)``; the pending part of a total is never shown."""
    return [(row.get_metric_display(), f"{row.month:%Y-%m}", shown_count(row).label)
            for row in released_aggregates().order_by("metric", "month")]


def inquiries_before_purge(*, scheduled: ScheduledPurge) -> list[str]:
    """References of unanswered "access to my information" inquiries by the company's members (answer them first).

    Members as the purge knows them: the memberships until its first step deletes them, then its list;
    an inquiry is theirs by its account link or, sent while logged out, by their email address.
    """
    members = set(scheduled.member_ids) | set(
        Membership.objects.filter(company_id=scheduled.company_id).values_list("user_id", flat=True))
    emails = User.objects.filter(pk__in=members).values_list("email", flat=True) if members else []
    return privacy_selectors.unanswered_access_inquiries(user_ids=members, emails=list(emails))
