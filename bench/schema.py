"""The live schema against the rules a distributed PostgreSQL (Citus) needs (issue 16), in ``make bench``.

Not a timing: the same check as ``tests/ops/test_distribution_ready.py`` and ``manage.py citus_plan``
(``accounts.distribution.schema_violations``), run on the in-process benchmarks' database (``var/``
or ``DATABASE_URL``; the load test's ``var/bench-load`` is built by the same migrations), so the
bench's report says whether the schema it measured is one Citus accepts. Exits non-zero when not.
"""

from __future__ import annotations

from collections import Counter

from django.db import connections

from accounts import distribution

BENCH_PREFIX = "bench_"


def run() -> None:
    found = distribution.schema_violations(connections["owner"])
    # The benchmarks' own plain twins (bench/encryption.py, bench/load.py) are not the application's tables.
    twins = sorted({problem.split()[0] for problem in found if problem.startswith(BENCH_PREFIX)})
    problems = [problem for problem in found if not problem.startswith(BENCH_PREFIX)]
    roles = Counter(distribution.role_of(table) for table in [*distribution.distributed_tables(),
                                                              *distribution.TABLE_ROLES])
    print(f"\n== Schema ready for Citus: {roles[distribution.DISTRIBUTED]} distributed tables by "
          f"{distribution.DISTRIBUTION_COLUMN}, {roles[distribution.REFERENCE]} reference, "
          f"{roles[distribution.LOCAL]} local ==")
    if twins:
        print(f"   ({', '.join(twins)}: the benchmarks' own plain twins, not the application's; left out)")
    if problems:
        for problem in problems:
            print(f"   ! {problem}")
        raise SystemExit(f"the schema is not ready for Citus: {len(problems)} violation(s)")
    print("   0 violations: every tenant key and foreign key includes company_id, every other table is named "
          "(manage.py citus_plan prints the statements)")
