"""``purge_due``: run the due purges now, as the hourly beat job does (or show them with --dry-run)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from tqdm import tqdm

from retention import purge, selectors
from retention.models import ScheduledPurge


def _as_of(value: str | None) -> datetime:
    if not value:
        return timezone.now()
    try:
        parsed = parse_datetime(value)
    except ValueError:  # well-formed but impossible, such as 30 February
        parsed = None
    if parsed is None:
        raise CommandError(f"--as-of {value!r} is not an ISO date-time, e.g. 2026-12-31T12:00:00+00:00")
    return parsed if timezone.is_aware(parsed) else parsed.replace(tzinfo=UTC)


class Command(BaseCommand):
    help = "Purge every closed company whose purge is due and not on legal hold (what the beat job runs)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--as-of", help="treat this ISO date-time as now when choosing what is due")
        parser.add_argument("--dry-run", action="store_true", help="list the purges and their rows; change nothing")

    def handle(self, *args: Any, **options: Any) -> None:
        as_of = _as_of(options["as_of"])
        if options["dry_run"]:
            self._dry_run(as_of)
            return
        quiet = options["verbosity"] == 0
        bars: dict[int, tqdm] = {}

        def show(scheduled: ScheduledPurge) -> None:
            bar = bars.get(scheduled.pk)
            if bar is None:
                bar = bars[scheduled.pk] = tqdm(total=scheduled.rows_total or None, unit="rows", disable=quiet,
                                                desc=f"company {scheduled.company_id}", file=self.stderr)
            bar.total = scheduled.rows_total or bar.total
            bar.update(scheduled.rows_done - bar.n)
            bar.set_postfix_str(scheduled.step)

        outcomes = purge.run_due_purges(as_of=as_of, progress=show)
        for bar in bars.values():
            bar.close()
        for outcome in outcomes:
            self.stdout.write(f"company {outcome.company_id}: {outcome.result}")
        held = purge.held_overdue(as_of=as_of)
        if held:
            self.stdout.write(f"{held} overdue purge(s) wait for a legal hold to be released.")
        if not outcomes and not quiet:
            self.stdout.write(f"No purge due at {as_of:%Y-%m-%d %H:%M} UTC.")

    def _dry_run(self, as_of: datetime) -> None:
        report = purge.dry_run(as_of=as_of)
        if not report:
            self.stdout.write("No closed company is waiting for its purge.")
        for scheduled, due, counts in report:
            status = "due now" if due else ("on legal hold" if scheduled.due_at <= as_of else "not due yet")
            self.stdout.write(f"company {scheduled.company_id}: purge {scheduled.due_at:%Y-%m-%d %H:%M} UTC, {status}, "
                              f"{sum(counts.values())} rows ({scheduled.state}, step {scheduled.step})")
            for table, count in counts.items():
                if count:
                    self.stdout.write(f"    {table}: {count}")
            waiting = selectors.inquiries_before_purge(scheduled=scheduled)
            if waiting:
                self.stdout.write(f"    unanswered access inquiries by its members, to answer before the purge: "
                                  f"{', '.join(waiting)}")
