"""``verify_audit``: recompute the audit trail's hash chains; exit 1 at any sign of tampering."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from accounts.audit import ChainBreak, verify_chain
from accounts.models import AuditEvent


class Command(BaseCommand):
    help = "Check that no audit row was altered, inserted or removed (per-company hash chains)."

    def handle(self, *args: Any, **options: Any) -> None:
        quiet = options["verbosity"] == 0
        breaks: list[ChainBreak] = []
        with tqdm(total=AuditEvent.objects.count(), unit="rows", disable=quiet, file=self.stderr) as bar:
            for item in verify_chain():
                if isinstance(item, ChainBreak):
                    breaks.append(item)
                else:
                    bar.update(item)
        for found in breaks:
            chain = "site-wide chain" if found.company_id is None else f"company {found.company_id}"
            self.stderr.write(f"Audit row {found.event_id} ({chain}) {found.reason}.")
        if breaks:
            raise CommandError(f"The audit trail was tampered with: {len(breaks)} broken link(s).")
        if not quiet:
            self.stdout.write("Audit trail intact: every chain verifies.")
