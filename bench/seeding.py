"""Bulk writes on a database that has already seen work (issue 10: seeds that stalled at COMMIT).

Three companies of ``BENCH_SEED_ROWS`` ledger rows (default 1,000,000) are seeded one after
the other into the same database by ``seed_demo``, and the first is purged between the second
and the third, so the third seed meets a database full of dead rows and fresh statistics of
other companies. Each seed's time is printed against the first's (goal: every one within
1.5x). The two companies left are purged at the end, so the database does not grow run to run.
"""

from __future__ import annotations

import os
import time
from datetime import timedelta

from django.conf import settings
from django.core.management import call_command
from django.utils import timezone

from accounts.models import Company, Membership
from retention import purge, services
from retention.models import ScheduledPurge

PASSWORD = "bench-password-not-secret"


def seed_company(label: str, rows: int) -> tuple[Company, float]:
    """A new owner and company with ``rows`` ledger rows by ``seed_demo``; and the seconds it took."""
    email = f"bench-{label}-{time.time_ns()}@example.com"
    started = time.perf_counter()
    call_command("seed_demo", email=email, password=PASSWORD, company=f"Bench {label}", size=rows, verbosity=0)
    elapsed = time.perf_counter() - started
    return Membership.objects.select_related("company").get(user__email=email).company, elapsed


def close_as_due(company: Company) -> ScheduledPurge:
    """Close the company as if its grace period had just ended, so its purge is due now."""
    services.close_company(company=company, actor=None, reason=ScheduledPurge.Reason.OFFICER, note="benchmark",
                           now=timezone.now() - timedelta(days=settings.RETENTION_GRACE_DAYS))
    return ScheduledPurge.objects.get(company=company)


def purge_now(company: Company) -> float:
    scheduled = close_as_due(company)
    started = time.perf_counter()
    assert purge.purge_company(purge_id=scheduled.pk, as_of=scheduled.due_at) is purge.Result.DONE
    return time.perf_counter() - started


def run() -> None:
    rows = int(os.environ.get("BENCH_SEED_ROWS", "1000000"))
    print(f"\n== Three seeds of {rows:,} rows into one database, the first purged before the third ==")
    first, first_time = seed_company("seed-1", rows)
    print(f"seed 1 (company {first.pk})                  {first_time:7.1f} s   1.00x")
    second, second_time = seed_company("seed-2", rows)
    print(f"seed 2 (company {second.pk})                  {second_time:7.1f} s   {second_time / first_time:.2f}x")
    purge_time = purge_now(first)
    print(f"  purge of company {first.pk}                 {purge_time:7.1f} s")
    third, third_time = seed_company("seed-3", rows)
    print(f"seed 3 (company {third.pk}, after a purge)    {third_time:7.1f} s   {third_time / first_time:.2f}x")
    worst = max(second_time, third_time) / first_time
    print(f"slowest seed / first = {worst:.2f}x (goal <= 1.5x)")
    for company in (second, third):
        purge_now(company)
