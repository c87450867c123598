"""``make bench``: run every benchmark against the local servers (or DATABASE_URL).

``python -m bench purge`` runs only the named ones (schema, rls_overhead, encryption, seeding, purge, finding, load).
``load`` starts its own stack on its own var directory (``bench/load.py``), so it needs no Django here.
"""

from __future__ import annotations

import importlib
import os
import sys

BENCHMARKS = ["schema", "rls_overhead", "encryption", "seeding", "purge", "finding", "load"]
STANDALONE = {"load"}  # runs its own servers in subprocesses


def main() -> None:
    chosen = sys.argv[1:] or BENCHMARKS
    unknown = set(chosen) - set(BENCHMARKS)
    if unknown:
        raise SystemExit(f"unknown benchmark(s) {sorted(unknown)}; choose from {BENCHMARKS}")
    if set(chosen) - STANDALONE:
        _setup()
    for name in chosen:
        importlib.import_module(f"bench.{name}").run()


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "softhelpers.settings")
    os.environ.setdefault("DEBUG", "false")  # as in production: no per-query log kept in memory
    from softhelpers.localservers import bootstrap

    bootstrap()
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)  # a checkout that never ran `make run`


if __name__ == "__main__":
    main()
