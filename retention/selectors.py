"""Reads of the retention app."""

from __future__ import annotations

from django.conf import settings

from accounts.models import Company, Membership
from accounts.tenancy import tenant_context
from privacy import selectors as privacy_selectors
from retention.models import RetainedAggregate, ScheduledPurge, ShutdownRequest


def pending_shutdown(*, company: Company) -> ShutdownRequest | None:
    """The link the owner was sent and has not used (it may have expired)."""
    with tenant_context(company.pk):
        return (ShutdownRequest.objects.filter(company=company, status=ShutdownRequest.Status.PENDING)
                .order_by("-created_at").first())


def purge_of(*, company: Company) -> ScheduledPurge | None:
    return ScheduledPurge.objects.filter(company=company).first()


def shown_count(row: RetainedAggregate) -> int | None:
    """A retained total as it may be shown: None under the suppression threshold (PUR-2, RET-5)."""
    return row.count if row.count >= settings.RETENTION_AGGREGATE_MIN_COUNT else None


def retained_aggregates() -> list[tuple[str, str, int | None]]:
    """``(metric, YYYY-MM, count)``, the count None where it is under the suppression threshold."""
    return [(row.get_metric_display(), f"{row.month:%Y-%m}", shown_count(row))
            for row in RetainedAggregate.objects.order_by("metric", "month")]


def inquiries_before_purge(*, scheduled: ScheduledPurge) -> list[str]:
    """References of open "access to my information" inquiries by the company's members (answer them first).

    Members as the purge knows them: the memberships until its first step deletes them, then its list.
    """
    members = set(scheduled.member_ids) | set(
        Membership.objects.filter(company_id=scheduled.company_id).values_list("user_id", flat=True))
    return privacy_selectors.open_access_inquiries(user_ids=members)
