"""Retention's part of the statistics and the Reports page (PUR-2, PUR-5, RET-5).

Purges completed per day (each purge is one company), and what falls due: purges per due
date and legal holds per review date, as counts only; the links open the admin lists where the
officer sees the ids.
"""

from __future__ import annotations

from datetime import date

from django.urls import reverse

from privacy import reports, statistics
from retention.models import LegalHold, ScheduledPurge


@statistics.collector("purges", label="Purges completed", kind=statistics.FLOW)
def _purges(first: date, end: date) -> statistics.Figure:
    start, stop = statistics.span(first, end)
    done = ScheduledPurge.objects.filter(state=ScheduledPurge.State.DONE, finished_at__gte=start,
                                         finished_at__lt=stop).count()
    return statistics.Figure(done, done, min(done, 1))


@reports.section("purges", title="Upcoming purges (per due date)", permission="retention.view_scheduledpurge")
def _purges_due(today: date, until: date) -> reports.Due:
    waiting = ScheduledPurge.objects.exclude(state=ScheduledPurge.State.DONE)
    return reports.dated(waiting, "due_at", today=today, until=until,
                         link=reverse("admin:retention_scheduledpurge_changelist"))


@reports.section("holds", title="Legal holds due for review (per review date)", permission="retention.view_legalhold")
def _holds_due(today: date, until: date) -> reports.Due:
    return reports.dated(LegalHold.objects.active(), "review_on", today=today, until=until,
                         link=reverse("admin:retention_legalhold_changelist") + "?released_at__isempty=1")
