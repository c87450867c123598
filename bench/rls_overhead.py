"""What tenant isolation costs (RET-2): the RLS policy, and the per-request company setting.

1. One company's aggregate over its bank transactions, same SQL with the same explicit
   ``WHERE company_id``: as the app role (policy applied) vs as the owner (a superuser in
   local mode, which bypasses RLS). The ratio is the policy's own cost.
2. Opening a company for a request: the membership query with ``set_config`` folded in
   (what the app does) vs the membership query plus a separate ``set_config`` round trip.

Runs are interleaved A/B/A/B and the medians compared: this machine is shared and noisy.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

from django.core.management import call_command
from django.db import connections, transaction

from accounts.models import Company, Membership, User
from accounts.selectors import resolve_membership
from accounts.tenancy import SETTING

ROWS = 200_000
ROUNDS = 15


def _company(name: str, email: str) -> Company:
    membership = Membership.objects.filter(user__email=email, company__name=name).select_related("company").first()
    if membership is None:
        call_command("seed_demo", email=email, password="bench-password-not-secret", company=name, size=ROWS,
                     verbosity=0)
        membership = Membership.objects.select_related("company").get(user__email=email, company__name=name)
    return membership.company


def _timed(func: Callable[[], object], repeat: int) -> float:
    start = time.perf_counter()
    for _ in range(repeat):
        func()
    return (time.perf_counter() - start) / repeat


def _side_by_side(a: Callable[[], object], b: Callable[[], object], repeat: int) -> tuple[float, float]:
    a(), b()  # warm caches
    times_a, times_b = [], []
    for _ in range(ROUNDS):
        times_a.append(_timed(a, repeat))
        times_b.append(_timed(b, repeat))
    return statistics.median(times_a), statistics.median(times_b)


def run() -> None:
    company = _company("Bench A", "bench-a@example.com")
    _company("Bench B", "bench-b@example.com")  # a neighbour with as many rows
    sql = "SELECT count(*), sum(amount) FROM ledger_banktransaction WHERE company_id = %s"

    with connections["owner"].cursor() as cursor:
        cursor.execute("SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = current_user")
        owner_bypasses = cursor.fetchone()[0]

    def with_policy() -> None:
        with transaction.atomic(), connections["default"].cursor() as cursor:
            cursor.execute("SELECT set_config(%s, %s, true)", [SETTING, str(company.pk)])
            cursor.execute(sql, [company.pk])
            cursor.fetchone()

    def without_policy() -> None:
        with transaction.atomic(using="owner"), connections["owner"].cursor() as cursor:
            cursor.execute("SELECT set_config(%s, %s, true)", [SETTING, str(company.pk)])
            cursor.execute(sql, [company.pk])
            cursor.fetchone()

    rls, plain = _side_by_side(with_policy, without_policy, repeat=5)
    print(f"RLS policy, aggregate over one company's ~{int(ROWS * 0.6):,} transactions (median of {ROUNDS}):")
    print(f"  app role, policy applied : {rls * 1000:8.2f} ms")
    print(f"  owner, policy bypassed   : {plain * 1000:8.2f} ms{'' if owner_bypasses else '  (owner is subject to RLS here: not a bypass)'}")
    print(f"  ratio                    : {rls / plain:8.2f}x")

    user = User.objects.get(email="bench-a@example.com")

    def folded() -> None:
        with transaction.atomic():
            resolve_membership(user=user, company_id=company.pk)

    def two_round_trips() -> None:
        with transaction.atomic():
            Membership.objects.filter(user=user, company_id=company.pk, company__status="active") \
                .select_related("company").first()
            with connections["default"].cursor() as cursor:
                cursor.execute("SELECT set_config(%s, %s, true)", [SETTING, str(company.pk)])

    one, two = _side_by_side(folded, two_round_trips, repeat=200)
    print("Opening a company for a request (membership check + tenant setting):")
    print(f"  set_config folded into the membership query : {one * 1e6:8.1f} µs")
    print(f"  separate set_config round trip              : {two * 1e6:8.1f} µs")
    print(f"  ratio                                       : {one / two:8.2f}x")
