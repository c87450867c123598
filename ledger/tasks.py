from __future__ import annotations

from celery import shared_task

from ledger.imports.services import RUN_TASK, expire_imports, run_import


@shared_task(name=RUN_TASK, acks_late=True)
def run_bank_import_task(*, company_id: int, import_id: int) -> None:
    """Import one confirmed statement, every row or none; a no-op for an import already finished.

    A failure (a database error too) rolls every row back and marks the import failed; the owner's
    "Try again" starts it anew (no silent retries here).
    """
    run_import(company_id=company_id, import_id=import_id)


@shared_task(name="ledger.expire_bank_imports")
def expire_bank_imports() -> int:
    """Hourly: blank the parsed rows of uploads not imported within LEDGER_IMPORT_KEEP_HOURS."""
    return expire_imports()
