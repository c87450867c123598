"""``close_company``: the privacy officer closes a company on a verified request received outside the app."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.models import Company
from retention import services
from retention.exceptions import CompanyNotActive
from retention.models import ScheduledPurge


class Command(BaseCommand):
    help = "Close a company now, as its owner's confirmed Shutdown Company does, and schedule its purge."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("company_id", type=int)
        parser.add_argument("--reason", required=True,
                            help="reference of the verified request (no personal information), kept with the purge")

    def handle(self, *args: Any, **options: Any) -> None:
        reason = options["reason"].strip()
        if not reason:
            raise CommandError("--reason must say which verified request this is.")
        limit = ScheduledPurge._meta.get_field("note").max_length
        if len(reason) > limit:  # type: ignore[operator]
            raise CommandError(f"--reason is at most {limit} characters: a reference, not the request itself.")
        company = Company.objects.filter(pk=options["company_id"]).first()
        if company is None:
            raise CommandError(f"There is no company {options['company_id']}.")
        try:
            purge = services.close_company(company=company, actor=None, reason=ScheduledPurge.Reason.OFFICER,
                                           note=reason)
        except CompanyNotActive as exc:
            raise CommandError(f"Company {company.pk} is already {company.get_status_display().lower()}.") from exc
        self.stdout.write(f"Company {company.pk} closed; its purge is due {purge.due_at:%Y-%m-%d %H:%M} UTC.")
