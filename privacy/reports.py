"""The officer's Reports page (PUR-5): aggregate figures only, as charts, monthly totals and a CSV.

No report takes a company or a user: the one parameter is the period (``PERIODS`` days, ending
with the newest stored day). Every figure goes through the rules of ``privacy.statistics``, so
a suppressed day is a gap with its label and a month that would give one away says
"suppressed". Other apps add sections of what falls due per date (purges, legal holds to
review) with ``@section``: counts per date only, and a link to the admin list where the officer
sees the ids. The page draws its charts as inline SVG here (no script, no CDN: the CSP allows
neither).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, timedelta
from typing import Any

from django.db.models import Count, DateTimeField, F, Max, QuerySet
from django.db.models.functions import TruncDate

from accounts.models import User
from privacy import statistics
from privacy.models import DailyStatistic, MonthlyStatistic
from privacy.statistics import Cell, Figure, Metric

PERIODS = (30, 90)
CHART_WIDTH, CHART_HEIGHT, CHART_TOP = 600, 120, 16  # the top margin holds the scale


class BadParameter(ValueError):
    """The report was asked for something other than one of its periods."""


def period(params: Mapping[str, Any]) -> int:
    """The period asked for (``?days=``), refusing every other parameter: a report is about no one."""
    if set(params) - {"days"}:
        raise BadParameter("This report takes only a period (days); it is never about one company or person.")
    days = str(params.get("days", PERIODS[0]))
    if days not in {str(p) for p in PERIODS}:
        raise BadParameter(f"The period is one of {', '.join(map(str, PERIODS))} days.")
    return int(days)


# --- what falls due, from other apps ------------------------------------------------------------

@dataclass(frozen=True)
class Due:
    """How many things fall due per date from today on, and how many are past their date."""

    per_day: list[tuple[date, int]]
    overdue: int
    link: str  # the admin list where the officer sees which


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    permission: str
    count: Callable[[date, date], Due]  # (today, until: the last date listed) -> counts


SECTIONS: dict[str, Section] = {}


def section(key: str, *, title: str, permission: str) -> Callable[[Callable[[date, date], Due]],
                                                                  Callable[[date, date], Due]]:
    """Register the decorated ``(today, until) -> Due`` as a section, shown to holders of ``permission``."""

    def decorate(count: Callable[[date, date], Due]) -> Callable[[date, date], Due]:
        SECTIONS[key] = Section(key, title, permission, count)
        return count

    return decorate


def dated(queryset: QuerySet[Any], field: str, *, today: date, until: date, link: str) -> Due:
    """``queryset`` counted per date of ``field`` (a date, or a time taken as its UTC date), today to until."""
    on = TruncDate(field, tzinfo=UTC) if isinstance(queryset.model._meta.get_field(field), DateTimeField) else F(field)
    rows = queryset.order_by().annotate(on=on)
    per_day = rows.filter(on__gte=today, on__lte=until).values("on").annotate(n=Count("pk")).order_by("on")
    return Due([(row["on"], row["n"]) for row in per_day], rows.filter(on__lt=today).count(), link)


# --- the report ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Bar:
    day: date
    cell: Cell
    x: float
    y: float
    height: float


@dataclass(frozen=True)
class Chart:
    metric: Metric
    bars: list[Bar]
    bar_width: float
    scale: int  # the largest shown value: a full-height bar

    @property
    def suppressed(self) -> int:
        return sum(not bar.cell.shown for bar in self.bars)

    @property
    def bar_inner(self) -> float:
        return max(round(self.bar_width - 1, 2), 1.0)  # a pixel between bars

    @property
    def gap_y(self) -> int:
        return CHART_HEIGHT - 3  # a day not shown: a faint mark on the axis, no bar


@dataclass(frozen=True)
class MonthRow:
    metric: Metric
    cells: list[Cell]


@dataclass(frozen=True)
class DueTable:
    section: Section
    due: Due


@dataclass(frozen=True)
class Report:
    days: int
    first: date
    last: date
    charts: list[Chart]
    months: list[date]
    month_rows: list[MonthRow]
    due: list[DueTable]


def _months(first: date, last: date) -> list[date]:
    months, month = [], first.replace(day=1)
    while month <= last:
        months.append(month)
        month = (month.replace(day=28) + timedelta(days=4)).replace(day=1)
    return months


def _figure(row: Any) -> Figure:
    return Figure(row.value, row.contributors, row.largest)


def _chart(metric: Metric, days: list[date], stored: dict[tuple[str, date], Figure]) -> Chart:
    cells = [statistics.cell(stored.get((metric.name, day))) for day in days]
    scale = max((c.value or 0 for c in cells if c.shown), default=0)
    width = CHART_WIDTH / len(days)
    bars = []
    for index, (day, shown) in enumerate(zip(days, cells, strict=True)):
        height = (CHART_HEIGHT - CHART_TOP) * (shown.value or 0) / scale if shown.shown and scale else 0.0
        bars.append(Bar(day, shown, round(index * width, 2), round(CHART_HEIGHT - height, 2), round(height, 2)))
    return Chart(metric, bars, round(width, 2), scale)


def build(*, days: int, today: date, user: User) -> Report:
    """The report for the ``days`` ending with the newest stored day, and the sections ``user`` may see."""
    newest = DailyStatistic.objects.aggregate(newest=Max("day"))["newest"]
    last = newest or today - timedelta(days=1)
    first = last - timedelta(days=days - 1)
    months = _months(first, last)
    stored = {(row.metric, row.day): _figure(row)
              for row in DailyStatistic.objects.filter(day__gte=months[0], day__lte=last)}
    monthly = {(row.metric, row.month): _figure(row) for row in MonthlyStatistic.objects.filter(month__in=months)}
    in_month: dict[tuple[str, date], list[Figure]] = defaultdict(list)  # each month's stored days, in order
    for (name, day), figure in sorted(stored.items()):
        in_month[(name, day.replace(day=1))].append(figure)
    window = [first + timedelta(days=n) for n in range(days)]
    charts = [_chart(metric, window, stored) for metric in statistics.METRICS.values()]
    month_rows = [MonthRow(metric, [statistics.month_cell(kind=metric.kind, month=monthly.get((metric.name, month)),
                                                          days=in_month[(metric.name, month)]) for month in months])
                  for metric in statistics.METRICS.values()]
    until = today + timedelta(days=days)
    due = [DueTable(s, s.count(today, until)) for s in SECTIONS.values() if user.has_perm(s.permission)]
    return Report(days, first, last, charts, months, month_rows, due)


def csv_rows(report: Report) -> Iterator[list[str]]:
    """The same figures as the page: metric, period (a day, a month, a due date), value or label."""
    yield ["metric", "period", "value"]
    for chart in report.charts:
        for bar in chart.bars:
            yield [chart.metric.name, bar.day.isoformat(), bar.cell.exported]
    for row in report.month_rows:
        for month, month_cell in zip(report.months, row.cells, strict=True):
            yield [row.metric.name, f"{month:%Y-%m}", month_cell.exported]
    for table in report.due:
        for on, count in table.due.per_day:
            yield [f"due.{table.section.key}", on.isoformat(), str(count)]
        yield [f"due.{table.section.key}", "overdue", str(table.due.overdue)]
