"""The purge against the physical floor and the two obvious ways to delete a company's rows (CON-5, RET-3).

Four identical companies of ``BENCH_PURGE_ROWS`` ledger rows (default 1,000,000, by
``seed_demo``) are deleted in the same run:

0. **floor**: the least work the database can do: as the owner with triggers off
   (``SET session_replication_role = replica``: no foreign-key checks), one
   ``DELETE … WHERE company_id = …`` per table, one transaction;
1. **purge**: ``retention.purge.purge_company`` from closing to certificate: keys destroyed,
   aggregates kept, rows deleted in batches of ``RETENTION_PURGE_BATCH_ROWS`` (one transaction
   each, checkpointed), users anonymised, re-scan, certificate;
2. **plain SQL**: one ``DELETE FROM t WHERE company_id = …`` per table, children first, in one
   transaction, nothing else (no checkpoint, no re-scan, no certificate);
3. **Django cascade**: ``Model.objects.filter(company=…).delete()`` per model, children first,
   in one transaction: Django's deletion collector, which loads rows to follow relations.

Each runs in its own forked process, so its peak RSS is its own.
"""

from __future__ import annotations

import multiprocessing
import os
import resource
import time
from collections.abc import Callable

from django.conf import settings
from django.db import connection, connections, transaction

from accounts.tenancy import tenant_context
from bench import seeding
from retention import purge
from retention.models import ScheduledPurge


def _floor(company_id: int) -> None:
    with connections["owner"].cursor() as cursor, transaction.atomic(using="owner"):
        cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute("SELECT set_config('app.company_id', %s, true)", [str(company_id)])  # FORCE'd RLS
        for model in purge.purge_plan():
            cursor.execute(f'DELETE FROM "{model._meta.db_table}" WHERE company_id = %s', [company_id])  # noqa: S608


def _plain_sql(company_id: int) -> None:
    with tenant_context(company_id), connection.cursor() as cursor:
        for model in purge.purge_plan():
            cursor.execute(f'DELETE FROM "{model._meta.db_table}" WHERE company_id = %s', [company_id])  # noqa: S608


def _django_cascade(company_id: int) -> None:
    with tenant_context(company_id), transaction.atomic():
        for model in purge.purge_plan():
            model._default_manager.filter(company_id=company_id).delete()


def _purge(company_id: int) -> None:
    scheduled = ScheduledPurge.objects.get(company_id=company_id)
    assert purge.purge_company(purge_id=scheduled.pk, as_of=scheduled.due_at) is purge.Result.DONE


def _measure(work: Callable[[int], None], company_id: int, results: multiprocessing.Queue) -> None:
    connections.close_all()  # the fork's own connections
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    work(company_id)
    elapsed = time.perf_counter() - started
    results.put((elapsed, before, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss))
    connections.close_all()


def _in_child(work: Callable[[int], None], company_id: int) -> tuple[float, float, float]:
    """(seconds, RSS at start in MiB, peak RSS in MiB) of ``work`` run in a forked process."""
    connections.close_all()
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    child = context.Process(target=_measure, args=(work, company_id, results))
    child.start()
    elapsed, before, peak = results.get()
    child.join()
    if child.exitcode:
        raise RuntimeError(f"{work.__name__} failed in its process (exit {child.exitcode})")
    return elapsed, before / 1024, peak / 1024


def _rows(company_id: int) -> int:
    with tenant_context(company_id):
        return sum(purge._count(m._meta.db_table, company_id) for m in purge.purge_plan())


def run() -> None:
    rows = int(os.environ.get("BENCH_PURGE_ROWS", "1000000"))
    print(f"\n== Purge of one company: {rows:,} ledger rows, batches of {settings.RETENTION_PURGE_BATCH_ROWS:,} ==")
    companies = {}
    for label in ("floor", "purge", "plain", "cascade"):
        companies[label], seconds = seeding.seed_company(f"purge-{label}", rows)
        print(f"seeded {label:8} company {companies[label].pk}: {_rows(companies[label].pk):,} rows in {seconds:.1f} s")
    for company in companies.values():
        seeding.close_as_due(company)
    measured = {
        "floor": _in_child(_floor, companies["floor"].pk),
        "plain SQL": _in_child(_plain_sql, companies["plain"].pk),
        "purge": _in_child(_purge, companies["purge"].pk),
        "Django cascade": _in_child(_django_cascade, companies["cascade"].pk),
    }
    for label, company in companies.items():
        assert _rows(company.pk) == 0, f"{label} left rows behind"
    floor, plain = measured["floor"][0], measured["plain SQL"][0]
    for name, (seconds, start_rss, peak_rss) in measured.items():
        print(f"{name:15} {seconds:8.2f} s  {rows / seconds:10,.0f} rows/s  {seconds / floor:5.2f}x floor  "
              f"{seconds / plain:5.2f}x plain SQL  RSS {start_rss:6.1f} -> peak {peak_rss:6.1f} MiB")
    print(f"purge / floor = {measured['purge'][0] / floor:.2f}x (goal <= 1.5x); "
          f"purge / plain SQL = {measured['purge'][0] / plain:.2f}x; "
          f"Django cascade / purge = {measured['Django cascade'][0] / measured['purge'][0]:.1f}x")
    for label in ("floor", "plain", "cascade"):  # finish the others properly: keys, users, certificate
        purge.purge_company(purge_id=ScheduledPurge.objects.get(company=companies[label]).pk)
