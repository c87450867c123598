"""Per-company data keys: created, looked up, rotated and destroyed through the key store.

The key store (``privacy/keystore.sql``) is a table of wrapped keys owned by its own role; the
app reaches it only through functions that serve the company set for the transaction. Master
keys come from settings (``PRIVACY_MASTER_KEYS``: the first seals, the others only open), so
a copy of the database alone opens nothing. Destroying a company's keys (the purge) leaves its
sealed values unreadable wherever they were copied.

Unwrapped keys are cached per process by key id for a short time (a key id never changes
meaning); the *active* key is asked of the store on every write, share-locked, so a rotation in
another process is never missed.
"""

from __future__ import annotations

import base64
import hashlib
import threading
import time
from dataclasses import dataclass
from functools import cache
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connections
from psycopg2 import sql

from privacy.crypto import DataKey, DecryptionError, new_key_material, unwrap_key, wrap_key

CACHE_SECONDS = 60.0
_cache: dict[int, tuple[float, DataKey]] = {}
_lock = threading.Lock()


class KeyDestroyed(DecryptionError):
    """The data key of a value no longer exists (rotated away or shredded by the purge)."""


@dataclass(frozen=True)
class MasterKey:
    id: str
    aead: AESGCM


@cache
def _master_keys(configured: tuple[str, ...]) -> tuple[MasterKey, ...]:
    keys = []
    for text in configured:
        try:
            material = base64.urlsafe_b64decode(text.encode())
        except ValueError as exc:
            raise ImproperlyConfigured("PRIVACY_MASTER_KEYS holds a value that is not base64") from exc
        if len(material) != 32:
            raise ImproperlyConfigured("each master key must be 32 bytes (base64 of 32 random bytes)")
        keys.append(MasterKey(id=hashlib.sha256(material).hexdigest()[:16], aead=AESGCM(material)))
    if not keys:
        raise ImproperlyConfigured("PRIVACY_MASTER_KEYS is empty")
    return tuple(keys)


def master_keys() -> tuple[MasterKey, ...]:
    """The configured master keys, current first."""
    return _master_keys(tuple(settings.PRIVACY_MASTER_KEYS))


def current_master() -> MasterKey:
    return master_keys()[0]


def _master(master_key_id: str) -> MasterKey:
    for key in master_keys():
        if key.id == master_key_id:
            return key
    raise DecryptionError(f"master key {master_key_id} is not configured (PRIVACY_MASTER_KEYS)")


def new_master_key_text() -> str:
    return base64.urlsafe_b64encode(new_key_material()).decode()


def _call(function: str, *args: Any, using: str = "default") -> list[tuple]:
    statement = sql.SQL("SELECT * FROM keystore.{}({})").format(
        sql.Identifier(function), sql.SQL(", ").join([sql.Placeholder()] * len(args)))
    with connections[using].cursor() as cursor:
        cursor.execute(statement, list(args))
        return cursor.fetchall()


def _unwrap(key_id: int, company_id: int, wrapped: bytes, master_key_id: str) -> DataKey:
    material = unwrap_key(bytes(wrapped), master=_master(master_key_id).aead, company_id=company_id)
    key = DataKey.from_bytes(key_id, company_id, material)
    with _lock:
        _cache[key_id] = (time.monotonic() + CACHE_SECONDS, key)
    return key


def active_key(company_id: int, *, using: str = "default") -> DataKey:
    """The key new values of ``company_id`` are sealed with; created on first use.

    Must run inside the company's tenant context; the row stays share-locked until commit.
    """
    rows = _call("active_key", company_id, using=using)
    if not rows:
        master = current_master()
        wrapped = wrap_key(new_key_material(), master=master.aead, company_id=company_id)
        _call("add_key", company_id, wrapped, master.id, using=using)
        rows = _call("active_key", company_id, using=using)  # ours, or a concurrent creator's
    key_id, wrapped, master_key_id = rows[0]
    return _unwrap(key_id, company_id, wrapped, master_key_id)


def key_by_id(company_id: int, key_id: int) -> DataKey:
    """The key that sealed a value; raise KeyDestroyed when it no longer exists."""
    cached = _cache.get(key_id)  # a dict read is atomic; the lock guards writes
    if cached and cached[0] > time.monotonic() and cached[1].company_id == company_id:
        return cached[1]
    rows = _call("key_by_id", company_id, key_id)
    if not rows:
        raise KeyDestroyed(f"data key {key_id} no longer exists")
    wrapped, master_key_id = rows[0]
    return _unwrap(key_id, company_id, wrapped, master_key_id)


def forget_cached_keys() -> None:
    with _lock:
        _cache.clear()


def company_keys(company_id: int) -> list[tuple[int, str]]:
    """``(key id, state)`` of every key the company has, oldest first."""
    return [(key_id, state) for key_id, state, _created in _call("company_keys", company_id)]


def begin_rotation(company_id: int) -> DataKey:
    """Retire the active key and make a new one active (waits for writers of the old key)."""
    master = current_master()
    material = new_key_material()
    wrapped = wrap_key(material, master=master.aead, company_id=company_id)
    (key_id,) = _call("begin_rotation", company_id, wrapped, master.id)[0]
    return DataKey.from_bytes(key_id, company_id, material)


def destroy_retired_key(company_id: int, key_id: int) -> bool:
    with _lock:
        _cache.pop(key_id, None)
    return bool(_call("destroy_retired_key", company_id, key_id)[0][0])


def destroy_company_keys(company_id: int) -> int:
    """Crypto-shredding: every value the company ever sealed becomes unreadable."""
    forget_cached_keys()
    return int(_call("destroy_company_keys", company_id)[0][0])


def rewrap_batch(*, limit: int = 500, using: str = "owner") -> int:
    """Re-wrap up to ``limit`` data keys still under an older master key; return how many.

    As the migration role (the app role may not list keys across companies). Each key is
    unwrapped with whichever configured master key wrapped it and wrapped with the current one.
    """
    master = current_master()
    done = 0
    with connections[using].cursor() as cursor:
        cursor.execute("SELECT * FROM keystore.keys_not_wrapped_with(%s, %s)", [master.id, limit])
        for key_id, company_id, wrapped, old_master_id in cursor.fetchall():
            material = unwrap_key(bytes(wrapped), master=_master(old_master_id).aead, company_id=company_id)
            rewrapped = wrap_key(material, master=master.aead, company_id=company_id)
            cursor.execute("SELECT keystore.rewrap(%s, %s, %s, %s)", [key_id, old_master_id, rewrapped, master.id])
            done += 1
    return done


def keys_per_master(*, using: str = "owner") -> dict[str, int]:
    with connections[using].cursor() as cursor:
        cursor.execute("SELECT * FROM keystore.key_count()")
        return {master_id: int(count) for master_id, count in cursor.fetchall()}
