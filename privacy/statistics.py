"""Statistics that identify no one (PUR-2, PUR-5, RET-5): daily counts across companies, and when to show them.

What is stored
    ``DailyStatistic``: one row per metric and finished UTC day with the ``value``, how many
    ``contributors`` make it up (companies; for a person's own choice, such as a consent,
    people) and the ``largest`` single contributor's part. No company or user id. A FLOW
    metric counts what happened during the day (invoices created), a STOCK metric is the state
    at the day's end (active companies). For FLOW metrics ``MonthlyStatistic`` holds each
    finished month: the sum of its days, with contributors and largest counted over the month
    from the source (distinct companies over a month are not the sum of the days').

Who counts
    Each app registers its metrics here from its ``statistics`` module, loaded by its
    AppConfig.ready(): privacy users and active companies (below), ledger invoices and bank
    transactions, consent invitations and consents per purpose, retention purges. A collector
    gets whole UTC days ``[first, end)`` and returns a ``Figure``, three numbers. Tenant tables
    (forced row-level security: the app role sees no row of theirs without a current company)
    are counted by SECURITY DEFINER functions that return only those three numbers for a
    metric they know by name (``ledger/statistics.sql``, ``consent/statistics.sql``).

Filling
    ``fill_day`` computes the metrics a finished day lacks and inserts them with ON CONFLICT
    DO NOTHING, so a filled day is frozen: running it twice, or twice at once, leaves the same
    rows, and a purge afterwards changes no stored day. A month is filled when its last missing
    day is. ``fill_due`` (the hourly beat) fills the finished days of the last
    ``FILL_BACK_DAYS`` still missing a metric; ``manage.py fill_statistics --day`` any day.

Showing (plain functions at the end)
    A figure is shown only when at least ``PRIVACY_AGGREGATE_MIN_CONTRIBUTORS`` (default 10)
    contributed ("fewer than 10" otherwise) and no single one supplies more than
    ``PRIVACY_AGGREGATE_DOMINANCE_PERCENT`` (default 70) percent of it ("suppressed"). A FLOW
    month is suppressed when it fails that rule, or when it has a suppressed day and a shown
    one: the month minus its shown days would give the suppressed days away. A STOCK month is
    its last stored day.

Limit: a STOCK metric shown on two days also shows their difference, which the rules do not
judge (an active company count that drops by one says one company closed that day).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, Max, Q, QuerySet, Sum
from django.utils import timezone
from psycopg2 import sql

from accounts.models import Company, Membership
from privacy.exceptions import DayNotFinished
from privacy.models import DailyStatistic, MonthlyStatistic

FILL_BACK_DAYS = 7  # the beat catches up this far after an outage; older days: manage.py fill_statistics --day
# The SECURITY DEFINER counting functions of the tenant tables (softhelpers.dbroles grants them to the app role).
FUNCTIONS = frozenset({"ledger_statistic", "consent_statistic"})


class Kind(StrEnum):
    FLOW = "flow"  # what happened during the day; a month is the sum of its days
    STOCK = "stock"  # the state at the end of the day; a month is its last day


FLOW, STOCK = Kind.FLOW, Kind.STOCK


@dataclass(frozen=True)
class Figure:
    value: int
    contributors: int
    largest: int  # the biggest single contributor's part of value

    def __post_init__(self) -> None:
        if min(self.value, self.contributors, self.largest) < 0 or self.largest > self.value:
            raise ValueError(f"not a figure: {self}")

    @classmethod
    def of_parts(cls, parts: Iterable[int], *, value: int | None = None) -> Figure:
        """From each contributor's part; ``value`` where the whole is not their sum (a person in two companies)."""
        counted = [int(n) for n in parts if n]
        return cls(sum(counted) if value is None else value, len(counted), max(counted, default=0))


Collector = Callable[[date, date], Figure]  # whole UTC days [first, end)


@dataclass(frozen=True)
class Metric:
    name: str
    label: str
    kind: Kind
    collect: Collector


METRICS: dict[str, Metric] = {}


def register(name: str, *, label: str, kind: Kind, collect: Collector) -> None:
    if name in METRICS:
        raise ValueError(f"the statistic {name!r} is registered twice")
    METRICS[name] = Metric(name, label, kind, collect)


def collector(name: str, *, label: str, kind: Kind) -> Callable[[Collector], Collector]:
    """Register the decorated function as the collector of metric ``name``."""

    def decorate(collect: Collector) -> Collector:
        register(name, label=label, kind=kind, collect=collect)
        return collect

    return decorate


# --- counting ------------------------------------------------------------------------------------

def span(first: date, end: date) -> tuple[datetime, datetime]:
    """The UTC instants that bound the days ``[first, end)``."""
    return datetime.combine(first, time.min, tzinfo=UTC), datetime.combine(end, time.min, tzinfo=UTC)


def count_per(queryset: QuerySet[Any], *fields: str) -> Figure:
    """The rows of ``queryset`` as a figure: its contributors are the distinct values of ``fields``."""
    parts = queryset.order_by().values(*fields).annotate(n=Count("pk")).values_list("n", flat=True)
    return Figure.of_parts(parts)


def from_function(function: str, metric: str, first: date, end: date) -> Figure:
    """A tenant-table figure from its SECURITY DEFINER function: three numbers, never a row."""
    if function not in FUNCTIONS:
        raise ValueError(f"{function!r} is not a statistic function")
    query = sql.SQL("SELECT value, contributors, largest FROM public.{}(%s, %s, %s)").format(sql.Identifier(function))
    with connection.cursor() as cursor:
        cursor.execute(query, [metric, first, end])
        value, contributors, largest = cursor.fetchone()
    return Figure(int(value), int(contributors), int(largest))


def _active_companies(at: datetime) -> QuerySet[Company]:
    return Company.objects.filter(created_at__lt=at).filter(Q(closed_at__isnull=True) | Q(closed_at__gte=at))


@collector("users", label="Users (members of an active company)", kind=STOCK)
def _users(first: date, end: date) -> Figure:
    at = span(first, end)[1]
    members = Membership.objects.filter(created_at__lt=at, company__in=_active_companies(at))
    people = members.values("user_id").distinct().count()
    return Figure.of_parts(members.order_by().values("company_id").annotate(n=Count("pk"))
                           .values_list("n", flat=True), value=people)


@collector("companies.active", label="Active companies", kind=STOCK)
def _companies(first: date, end: date) -> Figure:
    active = _active_companies(span(first, end)[1]).count()
    return Figure(active, active, min(active, 1))


# --- filling -------------------------------------------------------------------------------------

def today_utc(now: datetime | None = None) -> date:
    return (now or timezone.now()).astimezone(UTC).date()


def _next_month(month: date) -> date:
    return (month.replace(day=28) + timedelta(days=4)).replace(day=1)


@transaction.atomic
def fill_day(*, day: date, now: datetime | None = None) -> list[str]:
    """Store the metrics ``day`` lacks, then its month if that is now complete; return the metrics computed.

    Raise DayNotFinished for today or a later day. Stored rows are never recomputed.
    """
    today = today_utc(now)
    if day >= today:
        raise DayNotFinished(f"{day:%Y-%m-%d} is not over yet (today is {today:%Y-%m-%d} UTC)")
    have = set(DailyStatistic.objects.filter(day=day).values_list("metric", flat=True))
    missing = [metric for name, metric in METRICS.items() if name not in have]
    end = day + timedelta(days=1)
    DailyStatistic.objects.bulk_create([DailyStatistic(metric=metric.name, day=day, **vars(metric.collect(day, end)))
                                        for metric in missing], ignore_conflicts=True)
    _fill_month(day.replace(day=1), today)
    return [metric.name for metric in missing]


def _fill_month(month: date, today: date) -> None:
    """Each FLOW metric of a finished month whose days are all stored: their sum, contributors over the month.

    Contributors come from the source over the whole month and are never less than a single
    day's (rows deleted since, by an expiry or a purge, can only make them fewer: safe). The
    largest company's part cannot be read back once its rows are gone, so it is bounded from
    above: no company supplies more of the month than the sum of each day's largest part.
    """
    end = _next_month(month)
    if end > today:
        return
    have = set(MonthlyStatistic.objects.filter(month=month).values_list("metric", flat=True))
    days = {row["metric"]: row for row in DailyStatistic.objects.filter(day__gte=month, day__lt=end)
            .values("metric").annotate(days=Count("pk"), total=Sum("value"), most=Max("contributors"),
                                       bound=Sum("largest"))}
    rows = []
    for metric in METRICS.values():
        stored = days.get(metric.name)
        if metric.kind is not FLOW or metric.name in have or not stored or stored["days"] < (end - month).days:
            continue
        source = metric.collect(month, end)
        rows.append(MonthlyStatistic(metric=metric.name, month=month, value=stored["total"],
                                     contributors=max(source.contributors, stored["most"]),
                                     largest=min(stored["total"], stored["bound"])))
    MonthlyStatistic.objects.bulk_create(rows, ignore_conflicts=True)


def fill_due(*, now: datetime | None = None, back_days: int = FILL_BACK_DAYS) -> list[date]:
    """What the beat runs: every finished day of the last ``back_days`` that lacks a metric. Safe to run twice."""
    today = today_utc(now)
    first = today - timedelta(days=back_days)
    have: dict[date, set[str]] = defaultdict(set)
    for metric, day in DailyStatistic.objects.filter(day__gte=first, day__lt=today).values_list("metric", "day"):
        have[day].add(metric)
    due = [day for day in (first + timedelta(days=n) for n in range(back_days)) if not METRICS.keys() <= have[day]]
    for day in due:
        fill_day(day=day, now=now)
    return due


# --- showing -------------------------------------------------------------------------------------

class Verdict(StrEnum):
    SHOWN = "shown"
    TOO_FEW = "too few contributors"
    DOMINATED = "one contributor dominates"
    REVEALS_DAY = "would reveal a suppressed day"
    MISSING = "not stored"


def verdict(figure: Figure) -> Verdict:
    """The rule: enough contributors, and none of them more than the dominance share of the figure."""
    if figure.contributors < settings.PRIVACY_AGGREGATE_MIN_CONTRIBUTORS:
        return Verdict.TOO_FEW
    if figure.largest * 100 > settings.PRIVACY_AGGREGATE_DOMINANCE_PERCENT * figure.value:
        return Verdict.DOMINATED
    return Verdict.SHOWN


@dataclass(frozen=True)
class Cell:
    """A figure as it may be shown: the value only when the rules allow it."""

    verdict: Verdict
    value: int | None = None

    @property
    def shown(self) -> bool:
        return self.verdict is Verdict.SHOWN

    @property
    def label(self) -> str:
        if self.verdict is Verdict.SHOWN:
            return f"{self.value:,}"
        if self.verdict is Verdict.TOO_FEW:
            return f"fewer than {settings.PRIVACY_AGGREGATE_MIN_CONTRIBUTORS}"
        return "not available" if self.verdict is Verdict.MISSING else "suppressed"

    @property
    def exported(self) -> str:
        """For the CSV: the plain number, or the label."""
        return str(self.value) if self.shown else self.label


def cell(figure: Figure | None) -> Cell:
    if figure is None:
        return Cell(Verdict.MISSING)
    judged = verdict(figure)
    return Cell(judged, figure.value if judged is Verdict.SHOWN else None)


def month_cell(*, kind: Kind, month: Figure | None, days: list[Figure]) -> Cell:
    """A month as it may be shown, from its own figure (FLOW) and its stored days in order."""
    if kind is STOCK:
        return cell(days[-1] if days else None)
    judged = cell(month)
    if judged.shown:
        shown = [verdict(day) is Verdict.SHOWN for day in days]
        if any(shown) and not all(shown):
            return Cell(Verdict.REVEALS_DAY)
    return judged
