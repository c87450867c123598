"""Tenant isolation: the current company, enforced in the application and in PostgreSQL.

Every tenant-owned model subclasses ``TenantModel`` (a ``company`` column, also on child
rows) and its table gets ``EnableTenantRLS`` in a migration: a forced row-level security
policy that shows and accepts only rows whose ``company_id`` equals the transaction-local
setting ``app.company_id``. The web app and workers connect as a role that owns no table and
cannot bypass RLS, so a query without a company sees no tenant row at all (fail closed).

``tenant_context(company_id)`` opens a transaction (or savepoint) and sets the company for
it; views get it per request, tasks and commands set it explicitly. Reads still filter by
company in the selectors: the database policy is the second wall, not the only one.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.db import connections, models, transaction
from django.db.migrations.operations.base import Operation

SETTING = "app.company_id"
POLICY_NAME = "tenant_isolation"
# Inline expression, not a function call: a VOLATILE wrapper defeats index scans.
POLICY_EXPRESSION = f"company_id = NULLIF(current_setting('{SETTING}', true), '')::bigint"

# Tables that carry company_id but are scoped by the application only, with the reason.
GLOBAL_TABLES_WITH_COMPANY = {
    "accounts_membership": "directory of who may open which company; read across companies by user",
    "accounts_auditevent": "ids and event types only; the officer reads it across companies; append-only",
    "privacy_supportgrant": "ids and dates only; staff look up which companies granted them access",
    "retention_scheduledpurge": "the purge runner finds due purges across companies; survives the purge",
    "retention_legalhold": "the officer's holds, listed across companies; survive the purge",
    "retention_deletioncertificate": "proof of deletion, read by the officer; survives the purge",
}

_outer_company: ContextVar[int | None] = ContextVar("outer_company", default=None)


def _set_database_company(company_id: int | None, using: str = "default") -> None:
    with connections[using].cursor() as cursor:
        cursor.execute("SELECT set_config(%s, %s, true)", [SETTING, "" if company_id is None else str(company_id)])


@contextmanager
def tenant_context(company_id: int, *, using: str = "default") -> Iterator[None]:
    """Run the block in a transaction where only ``company_id``'s tenant rows are visible.

    For tasks, commands and tests; a request gets its company from
    ``accounts.selectors.resolve_membership`` instead. Nesting restores the outer company.
    """
    previous = _outer_company.get()
    with transaction.atomic(using=using):
        _set_database_company(company_id, using)
        token = _outer_company.set(company_id)
        try:
            yield
        finally:
            _outer_company.reset(token)
        # Only on a normal exit: after an error the rollback of this (sub)transaction restores
        # the outer value by itself, and SQL in an aborted transaction would mask the error.
        _set_database_company(previous, using)


class TenantModel(models.Model):
    """Base of every tenant-owned model: ``company_id`` on every row, children included."""

    company = models.ForeignKey("accounts.Company", on_delete=models.PROTECT, related_name="+", editable=False)

    class Meta:
        abstract = True


def tenant_models() -> list[type[models.Model]]:
    from django.apps import apps

    return [m for m in apps.get_models() if issubclass(m, TenantModel)]


class EnableTenantRLS(Operation):
    """Migration operation: forced row-level security on one tenant table."""

    reversible = True
    reduces_to_sql = True

    def __init__(self, model_name: str) -> None:
        self.model_name = model_name

    def state_forwards(self, app_label: str, state: object) -> None:
        pass

    def _table(self, app_label: str, state: object) -> str:
        return state.apps.get_model(app_label, self.model_name)._meta.db_table  # type: ignore[attr-defined]

    def database_forwards(self, app_label: str, schema_editor: object, from_state: object, to_state: object) -> None:
        table = self._table(app_label, to_state)
        for statement in (
            f'ALTER TABLE "{table}" ENABLE ROW LEVEL SECURITY',
            f'ALTER TABLE "{table}" FORCE ROW LEVEL SECURITY',
            f'CREATE POLICY {POLICY_NAME} ON "{table}" USING ({POLICY_EXPRESSION}) WITH CHECK ({POLICY_EXPRESSION})',
        ):
            schema_editor.execute(statement)  # type: ignore[attr-defined]

    def database_backwards(self, app_label: str, schema_editor: object, from_state: object, to_state: object) -> None:
        table = self._table(app_label, from_state)
        schema_editor.execute(f'DROP POLICY IF EXISTS {POLICY_NAME} ON "{table}"')  # type: ignore[attr-defined]
        schema_editor.execute(f'ALTER TABLE "{table}" NO FORCE ROW LEVEL SECURITY')  # type: ignore[attr-defined]
        schema_editor.execute(f'ALTER TABLE "{table}" DISABLE ROW LEVEL SECURITY')  # type: ignore[attr-defined]

    def describe(self) -> str:
        return f"Enable forced row-level security on {self.model_name}"

    def deconstruct(self) -> tuple[str, list[object], dict[str, object]]:
        return (self.__class__.__name__, [], {"model_name": self.model_name})
