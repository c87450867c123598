"""Key rotation: a new data key for one company, and re-wrapping every key under a new master key.

A company's rotation is resumable and never leaves a value unreadable:

1. ``begin``: in one transaction the active key becomes *retiring* and a new key becomes active.
   The switch waits for writers holding the old key (they share-lock it), so no value is sealed
   with the old key after it. A rerun that finds a retiring key resumes instead.
2. Re-seal: every sealed column of every company table, in id order, ``batch_size`` rows per
   transaction. A value already under the new key is left alone, so a rerun after a crash only
   reads what was done. Values are read and written as bytes; no model is loaded.
3. Finish: a re-scan must find no value under a retiring key; only then is the old key destroyed
   and ``key.rotated`` audited. If the re-scan finds one, nothing is destroyed (the next run
   re-seals it).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from django.db import connection, models
from psycopg2 import sql
from psycopg2.extras import execute_values

from accounts.audit import record_event
from accounts.models import AuditEvent
from accounts.tenancy import tenant_context
from privacy import crypto, keys, registry
from privacy.fields import sealed_fields

Progress = Callable[[int], object]


@dataclass(frozen=True)
class RotationResult:
    new_key_id: int
    retired_key_ids: list[int]
    rows_scanned: int
    values_resealed: int


def sealed_models() -> list[type[models.Model]]:
    return [m for m in registry.models_in_scope(registry.Scope.COMPANY) if sealed_fields(m)]


def count_rows(company_id: int) -> int:
    """Rows the rotation will scan (for a progress bar)."""
    with tenant_context(company_id):
        return sum(m._default_manager.filter(company_id=company_id).count() for m in sealed_models())


def rotate_company_key(*, company_id: int, actor_id: int | None, batch_size: int = 2000,
                       progress: Progress | None = None) -> RotationResult:
    """Rotate ``company_id``'s data key (see module doc); resumes an interrupted rotation."""
    with tenant_context(company_id):
        states = keys.company_keys(company_id)
        retiring = [key_id for key_id, state in states if state == "retiring"]
        if retiring:
            active = keys.active_key(company_id)
        else:
            retiring = [key_id for key_id, state in states if state == "active"]
            active = keys.begin_rotation(company_id)
            record_event(event=AuditEvent.Event.KEY_ROTATION_STARTED, company_id=company_id, actor_id=actor_id,
                         data={"new_key_id": active.id, "retiring_key_ids": retiring})
    scanned = resealed = 0
    for model in sealed_models():
        for rows, changed in _reseal_table(company_id, model, active, batch_size):
            scanned += rows
            resealed += changed
            if progress:
                progress(rows)
    with tenant_context(company_id):
        left = values_under_keys(company_id, retiring)
        if left:
            raise RuntimeError(f"{left} values are still sealed with a retiring key; run the rotation again")
        for key_id in retiring:
            keys.destroy_retired_key(company_id, key_id)
        record_event(event=AuditEvent.Event.KEY_ROTATED, company_id=company_id, actor_id=actor_id,
                     data={"new_key_id": active.id, "destroyed_key_ids": retiring, "rows_scanned": scanned,
                           "values_resealed": resealed})
    return RotationResult(active.id, retiring, scanned, resealed)


def _reseal_table(company_id: int, model: type[models.Model], key: crypto.DataKey,
                  batch_size: int) -> Iterator[tuple[int, int]]:
    """Yield ``(rows read, values re-sealed)`` per batch, one transaction per batch."""
    table = sql.Identifier(model._meta.db_table)
    columns = [f.column for f in sealed_fields(model)]
    names = [f.name for f in sealed_fields(model)]
    select = sql.SQL("SELECT id, {} FROM {} WHERE company_id = %s AND id > %s ORDER BY id LIMIT %s").format(
        sql.SQL(", ").join(map(sql.Identifier, columns)), table)
    update = sql.SQL("UPDATE {} AS t SET {} FROM (VALUES %s) AS v (id, {}) WHERE t.id = v.id").format(
        table, sql.SQL(", ").join(sql.SQL("{0} = v.{0}").format(sql.Identifier(c)) for c in columns),
        sql.SQL(", ").join(map(sql.Identifier, columns)))
    last_id = 0
    while True:
        with tenant_context(company_id), connection.cursor() as cursor:
            cursor.execute(select, [company_id, last_id, batch_size])
            rows = cursor.fetchall()
            changed_rows, changed_values = [], 0
            for row_id, *values in rows:
                new_values, changed = [], False
                for name, value in zip(names, values, strict=True):
                    value = bytes(value) if value is not None else None
                    if value and crypto.key_id_of(value) != key.id:
                        place = crypto.Place(company_id, model._meta.label, name, row_id)
                        plaintext = crypto.open_sealed(value, key=keys.key_by_id(company_id, crypto.key_id_of(value)),
                                                       place=place)
                        value = crypto.seal(plaintext, key=key, place=place)
                        changed, changed_values = True, changed_values + 1
                    new_values.append(value)
                if changed:
                    changed_rows.append([row_id, *new_values])
            if changed_rows:
                template = "(%s::bigint" + ", %s::bytea" * len(columns) + ")"
                execute_values(cursor, update.as_string(cursor.cursor), changed_rows, template=template,
                               page_size=batch_size)
        if not rows:
            return
        last_id = rows[-1][0]
        yield len(rows), changed_values  # after the commit: an interruption here loses no work


def values_under_keys(company_id: int, key_ids: list[int]) -> int:
    """How many sealed values of the company still name one of ``key_ids`` (bytes 2–9 of a value)."""
    if not key_ids:
        return 0
    total = 0
    with connection.cursor() as cursor:
        for model in sealed_models():
            for field in sealed_fields(model):
                cursor.execute(
                    sql.SQL("SELECT count(*) FROM {} WHERE company_id = %s AND length({col}) > 9 AND "
                            "substring({col} FROM 2 FOR 8) = ANY(%s)").format(
                        sql.Identifier(model._meta.db_table), col=sql.Identifier(field.column)),
                    [company_id, [key_id.to_bytes(8, "big") for key_id in key_ids]])
                total += cursor.fetchone()[0]
    return total


def rewrap_master(*, actor_id: int | None, progress: Progress | None = None) -> int:
    """Re-wrap every data key still under an older master key with the current one."""
    total = 0
    while True:
        done = keys.rewrap_batch()
        if not done:
            break
        total += done
        if progress:
            progress(done)
    keys.forget_cached_keys()
    record_event(event=AuditEvent.Event.MASTER_KEY_REWRAPPED, company_id=None, actor_id=actor_id,
                 data={"keys_rewrapped": total, "master_key_id": keys.current_master().id})
    return total
