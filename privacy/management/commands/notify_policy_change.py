"""``notify_policy_change LABEL``: tell users of a published material change who were not told yet.

Publishing does this already; run it again after an outage or to check: users already told
are skipped, so a second run sends nothing more.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from privacy import policy
from privacy.exceptions import PolicyError


class Command(BaseCommand):
    help = "Queue the notice email of a published material policy change for every user not yet told."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("label", help="the version's label, as on /privacy/versions/")

    def handle(self, *args: Any, label: str, **options: Any) -> None:
        version = policy.published(label)
        if version is None:
            raise CommandError(f"No published version is labelled {label!r}; see /privacy/versions/.")
        try:
            told = policy.queue_notices(version=version, actor=None)
        except PolicyError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"{told} user(s) newly told of version {label}.")
