"""``fill_statistics``: store the daily statistics now, as the hourly beat job does, or for one given day."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from privacy import statistics
from privacy.exceptions import DayNotFinished


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--day {value!r} is not a date, e.g. 2026-12-31") from None


class Command(BaseCommand):
    help = ("Store the anonymous daily statistics of every recent finished day not yet stored (what the beat runs), "
            "or of one day. A stored day is never changed.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--day", help="one finished day, YYYY-MM-DD (UTC)")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["day"]:
            day = _day(options["day"])
            try:
                computed = statistics.fill_day(day=day)
            except DayNotFinished as exc:
                raise CommandError(str(exc)) from None
            self.stdout.write(f"{day:%Y-%m-%d}: {len(computed)} metric(s) stored"
                              if computed else f"{day:%Y-%m-%d} was already stored; nothing changed.")
            return
        days = statistics.fill_due()
        self.stdout.write(f"Stored {len(days)} day(s): {', '.join(f'{d:%Y-%m-%d}' for d in days)}"
                          if days else "Every recent day is stored already.")
