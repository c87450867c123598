"""``rotate_keys``: re-wrap data keys under a new master key, or give a company a new data key."""

from __future__ import annotations

import os
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from accounts.models import Company
from privacy import keys, rotation


class Command(BaseCommand):
    help = ("--master: re-wrap every data key with the current master key (fast; set PRIVACY_MASTER_KEY to the "
            "new key and PRIVACY_PREVIOUS_MASTER_KEYS to the old ones first, or use --new-master in local mode). "
            "--company ID: re-seal the company's values under a new data key (resumable).")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--master", action="store_true", help="re-wrap all data keys under the current master key")
        parser.add_argument("--new-master", action="store_true",
                            help="local mode: generate a new master key under var/keys/ first, keep the old one")
        parser.add_argument("--company", type=int, help="rotate this company's data key")
        parser.add_argument("--batch-size", type=int, default=2000)

    def handle(self, *args: Any, master: bool, new_master: bool, company: int | None, batch_size: int,
               **options: Any) -> None:
        if not (master or new_master or company is not None):
            raise CommandError("Give --master, --new-master or --company ID.")
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1")
        try:
            keys.current_master()
        except ImproperlyConfigured as exc:
            raise CommandError(f"The master keys are not usable: {exc}.") from exc
        quiet = options["verbosity"] == 0
        if new_master:
            self._add_local_master_key()
        if master or new_master:
            with tqdm(unit="keys", disable=quiet, file=self.stderr, desc="re-wrap") as bar:
                count = rotation.rewrap_master(actor_id=None, progress=bar.update)
            if not quiet:
                self.stdout.write(f"Re-wrapped {count} data keys under master key {keys.current_master().id}.")
        if company is not None:
            found = Company.objects.filter(pk=company).first()
            if found is None:
                raise CommandError(f"No company with id {company}.")
            if not found.is_active:
                raise CommandError(f"Company {company} is {found.get_status_display().lower()}: its keys are "
                                   "not rotated (the purge destroys them).")
            total = rotation.count_rows(company)
            with tqdm(total=total, unit="rows", disable=quiet, file=self.stderr, desc="re-seal") as bar:
                result = rotation.rotate_company_key(company_id=company, actor_id=None, batch_size=batch_size,
                                                     progress=bar.update)
            if not quiet:
                self.stdout.write(f"Company {company}: {result.values_resealed} values re-sealed under key "
                                  f"{result.new_key_id}; destroyed key(s) {result.retired_key_ids}.")

    def _add_local_master_key(self) -> None:
        if not settings.LOCAL or os.environ.get("PRIVACY_MASTER_KEY"):
            raise CommandError("--new-master is for local mode; in production set PRIVACY_MASTER_KEY "
                               "and PRIVACY_PREVIOUS_MASTER_KEYS, then run --master.")
        path = settings.VAR_DIR / "keys" / "master.keys"
        path.write_text("\n".join([keys.new_master_key_text(), *settings.PRIVACY_MASTER_KEYS]) + "\n")
        settings.PRIVACY_MASTER_KEYS = [line for line in path.read_text().splitlines() if line]
