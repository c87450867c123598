"""Tenant isolation (RET-2): the current company, enforced in the application and in PostgreSQL.

This module is the one owner of "the current company". Its only store is the transaction-local
PostgreSQL setting ``app.company_id``; nothing in Python keeps a copy that could disagree with it.

Every tenant-owned model subclasses ``TenantModel`` (a ``company`` column, also on child
rows) and its table gets ``EnableTenantRLS`` in a migration: a forced row-level security
policy that shows and accepts only rows whose ``company_id`` equals ``app.company_id``. The
web app and workers connect as a role that owns no table and cannot bypass RLS, so a query
without a company sees no tenant row at all (fail closed).

Three ways in, all here:

* ``entering_company_sql(company_id)``: pages and API fold the setting into the
  membership query they make anyway (one round trip); it is set only if a row matches.
* ``tenant_context(company_id)``: tasks, commands and services. It reads the company it
  replaces in the same statement that sets the new one and puts it back on exit, so nesting
  restores correctly whoever set the outer company; after an error the savepoint's rollback
  restores it.
* ``tenant_service``: a service that touches tenant rows enters its ``company`` itself, so it
  is correct from a request, a task, the admin or a shell alike; over another current company
  it refuses.

Reads still filter by company in the selectors: the database policy is the second wall, not
the only one.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, ParamSpec, TypeVar

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
    "consent_consentevent": "the consent ledger, users' and companies' alike; staff look up which companies "
                            "granted support access; append-only",
    "consent_consent": "current consent per subject and purpose, kept with the ledger",
    "consent_invitationlocator": "a live invitation's expiry and blind index: the expiry sweep and the officer's "
                                 "removal by email cross companies; no name, address or token",
    "privacy_exportjob": "the stall sweep finds exports being built across companies; ids and a heartbeat only",
    "retention_scheduledpurge": "the purge runner finds due purges across companies; survives the purge",
    "retention_legalhold": "the officer's holds, listed across companies; survive the purge",
    "retention_deletioncertificate": "proof of deletion, read by the officer; survives the purge",
}

P = ParamSpec("P")
R = TypeVar("R")


class TenancyError(RuntimeError):
    """The company was to be set where it cannot hold (outside a transaction), or over another one."""


def _require_transaction(using: str) -> None:
    # set_config(..., true) outside a transaction lasts one statement: the rows would vanish silently.
    if not connections[using].in_atomic_block:
        raise TenancyError("the current company can only be set inside a transaction")


def current_company_id(*, using: str = "default") -> int | None:
    """The company whose rows this transaction sees, as PostgreSQL knows it (None: no tenant rows)."""
    with connections[using].cursor() as cursor:
        cursor.execute("SELECT NULLIF(current_setting(%s, true), '')::bigint", [SETTING])
        return cursor.fetchone()[0]


def entering_company_sql(company_id: int, *, using: str = "default") -> tuple[str, list[str]]:
    """A select-list expression, and its parameters, that makes ``company_id`` the transaction's company.

    For the request's membership lookup (``accounts.selectors.resolve_membership``): PostgreSQL
    evaluates it for each row the query returns, so no matching row, no company. Only inside the
    request's transaction (ATOMIC_REQUESTS); nested ``tenant_context`` blocks restore it.
    """
    _require_transaction(using)
    return "set_config(%s, %s, true)", [SETTING, str(int(company_id))]


def _swap_company(company_id: int, using: str) -> str:
    """Set the company and return the one it replaced, in one statement (the CTE is read first)."""
    with connections[using].cursor() as cursor:
        cursor.execute(
            "WITH previous AS MATERIALIZED (SELECT current_setting(%s, true) AS value) "
            "SELECT previous.value, set_config(%s, %s, true) FROM previous",
            [SETTING, SETTING, str(company_id)])
        return cursor.fetchone()[0] or ""


def _set_company(value: str, using: str) -> None:
    with connections[using].cursor() as cursor:
        cursor.execute("SELECT set_config(%s, %s, true)", [SETTING, value])


@contextmanager
def tenant_context(company_id: int, *, using: str = "default", same_as_current: bool = False) -> Iterator[None]:
    """Run the block in a transaction (or savepoint) where only ``company_id``'s tenant rows are visible.

    On a normal exit the company that was current before is current again. After an error the
    rollback of this (sub)transaction restores it by itself, and SQL in an aborted transaction
    would mask the error. With ``same_as_current``, another company already current is refused
    (TenancyError): a request for one company never writes another's rows through a service.
    """
    outermost = not connections[using].in_atomic_block
    with transaction.atomic(using=using):
        if outermost:  # nothing to restore: the setting ends with the transaction
            _set_company(str(int(company_id)), using)
            yield
            return
        previous = _swap_company(int(company_id), using)
        if same_as_current and previous not in ("", str(int(company_id))):
            raise TenancyError(f"company {company_id} asked for while company {previous} is current")
        yield
        _set_company(previous, using)


def tenant_service(func: Callable[P, R]) -> Callable[P, R]:
    """Decorate a service that touches tenant rows: atomic, inside its ``company`` keyword's context.

    It enters the company when none is current (a task, a command, the admin) and refuses a
    company other than the current one (a request for Acme passing Globex is a bug, not a wish).
    """

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        company: Any = kwargs["company"]
        with tenant_context(company.pk, same_as_current=True):
            return func(*args, **kwargs)

    return wrapper


class TenantModel(models.Model):
    """Base of every tenant-owned model: ``company_id`` on every row, children included.

    No index of its own: every tenant table leads an index or unique key with ``company_id``
    (a completeness test checks it), and a second one on ``company_id`` alone only gives the
    planner a worse choice for the same-company key checks. In the database its primary key is
    ``(company_id, id)``, made by the app's migration as Citus needs (accounts/distribution.py);
    the model keeps ``id`` as its primary key, still unique (one sequence per table).
    """

    company = models.ForeignKey("accounts.Company", on_delete=models.PROTECT, related_name="+", editable=False,
                                db_index=False)

    class Meta:
        abstract = True


def parent_reference(to: str | type[models.Model], *, related_name: str) -> models.ForeignKey[Any, Any]:
    """A child row's reference to its parent tenant row, checked by the database as ``(company_id, parent_id)``.

    Django's single-column key is left out on purpose: the composite key (added by the app's
    migration, checked at the end of each statement) already proves the parent exists *and* belongs to the
    same company, and a second key per relation doubled the checks at every insert and delete.
    Give the child an index on ``(company, <this field>)`` for the checks run when a parent goes.
    """
    return models.ForeignKey(to, on_delete=models.PROTECT, related_name=related_name, db_constraint=False,
                             db_index=False)


def tenant_models() -> list[type[models.Model]]:
    """The tenant tables the migrations own (an unmanaged model, such as a benchmark's twin, is not one)."""
    from django.apps import apps

    return [m for m in apps.get_models() if issubclass(m, TenantModel) and m._meta.managed]


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
