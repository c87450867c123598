"""``manage.py purge_invitations [--as-of ISO-DATETIME]``: the beat's expiry sweep, by hand (GST-3)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from consent import invitations


class Command(BaseCommand):
    help = "Delete every invitation not accepted by its expiry (name, email, links, queued emails, mail files)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--as-of", help="treat this moment as now (ISO 8601, with a time zone); default: now")

    def handle(self, *args: Any, **options: Any) -> None:
        as_of = timezone.now()
        if options["as_of"]:
            parsed = parse_datetime(options["as_of"])
            if parsed is None or timezone.is_naive(parsed):
                raise CommandError("--as-of must be an ISO 8601 date and time with a time zone, "
                                   "e.g. 2026-01-31T12:00:00+00:00")
            as_of = parsed
        total = 0
        while deleted := invitations.purge_expired(as_of=as_of):
            total += deleted
        self.stdout.write(f"Deleted {total} expired invitation{'s' if total != 1 else ''}.")
