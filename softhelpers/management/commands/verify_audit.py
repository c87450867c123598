"""``verify_audit``: recompute the hash chains of the audit trail and the consent ledger; exit 1 at any sign of tampering."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from accounts.audit import ChainBreak, verify_chain
from accounts.models import AuditEvent
from consent.ledger import verify_chains as verify_consent_chains
from consent.models import ConsentEvent

Walk = Callable[[], Iterator[ChainBreak | int]]


class Command(BaseCommand):
    help = ("Check that no audit row or consent event was altered, inserted or removed "
            "(per-company audit chains, per-subject consent chains).")

    def handle(self, *args: Any, **options: Any) -> None:
        quiet = options["verbosity"] == 0
        broken = self._walk("Audit row", AuditEvent.objects.count(), verify_chain, quiet)
        broken += self._walk("Consent event", ConsentEvent.objects.count(), verify_consent_chains, quiet)
        if broken:
            raise CommandError(f"The audit trail was tampered with: {broken} broken link(s).")
        if not quiet:
            self.stdout.write("Audit trail and consent ledger intact: every chain verifies.")

    def _walk(self, label: str, total: int, walk: Walk, quiet: bool) -> int:
        breaks: list[ChainBreak] = []
        with tqdm(total=total, unit="rows", disable=quiet, file=self.stderr) as bar:
            for item in walk():
                if isinstance(item, ChainBreak):
                    breaks.append(item)
                else:
                    bar.update(item)
        for found in breaks:
            chain = "site-wide or a user's chain" if found.company_id is None else f"company {found.company_id}"
            self.stderr.write(f"{label} {found.event_id} ({chain}) {found.reason}.")
        return len(breaks)
