"""Envelope encryption of personal values: AES-256-GCM under per-company data keys.

Format of a sealed value (bytes, stored in a ``bytea`` column)::

    version (1 byte, 0x01) | key id (8 bytes, big-endian) | nonce (12 bytes) | ciphertext + tag (16 bytes)

The associated data binds the ciphertext to its place: ``company id``, ``app_label.Model``,
``field`` and ``row id``. A value copied to another row, field or company fails to decrypt
(``DecryptionError``) rather than showing up where it does not belong. The key id says which
data key sealed it, so a company can hold values of two keys while its key is being rotated.

Data keys are 32 random bytes, stored only *wrapped* (AES-256-GCM again) under the master key,
with the company id as associated data, in the key store (``privacy.keys``). Nonces are random
96-bit values: far below the 2**32 encryptions per key that random nonces allow, because a key
is per company and rotation starts a new one.

The empty string is stored as empty bytes, not sealed: "nothing stored" stays visible and an
erased credential is really gone.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import NamedTuple

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

VERSION = 1
_HEADER = struct.Struct(">BQ")  # version, key id
NONCE_BYTES = 12
OVERHEAD = _HEADER.size + NONCE_BYTES + 16
_BODY = _HEADER.size + NONCE_BYTES
_HEADER_SIZE = _HEADER.size

class DecryptionError(Exception):
    """A sealed value could not be opened: wrong place, tampered, or its key is gone."""


class Place(NamedTuple):
    """Where a value lives; part of its associated data. (A tuple: built once per value read.)"""

    company_id: int
    model: str  # app_label.ModelName
    field: str
    row_id: int

    def associated_data(self) -> bytes:
        return b"sh1|%d|%b|%b|%d" % (self.company_id, self.model.encode(), self.field.encode(), self.row_id)


@dataclass(frozen=True)
class DataKey:
    """An unwrapped data key, ready to use. ``aead`` is built once and reused (it is not free)."""

    id: int
    company_id: int
    aead: AESGCM

    @classmethod
    def from_bytes(cls, key_id: int, company_id: int, material: bytes) -> DataKey:
        return cls(id=key_id, company_id=company_id, aead=AESGCM(material))


def new_key_material() -> bytes:
    return AESGCM.generate_key(bit_length=256)


def seal(plaintext: str, *, key: DataKey, place: Place) -> bytes:
    if plaintext == "":
        return b""
    if key.company_id != place.company_id:
        raise ValueError("a company's values are sealed only with that company's key")
    nonce = os.urandom(NONCE_BYTES)
    body = key.aead.encrypt(nonce, plaintext.encode(), place.associated_data())
    return _HEADER.pack(VERSION, key.id) + nonce + body


def key_id_of(sealed: bytes) -> int:
    """The id of the data key that sealed ``sealed``; raise DecryptionError if it is not ours."""
    if len(sealed) < OVERHEAD:
        raise DecryptionError("not a sealed value")
    version, key_id = _HEADER.unpack_from(sealed)
    if version != VERSION:
        raise DecryptionError(f"unknown format version {version}")
    return int(key_id)


def open_sealed(sealed: bytes, *, key: DataKey, place: Place, checked: bool = False) -> str:
    """Open ``sealed``; ``checked`` says the caller already read its key id and chose ``key`` by it."""
    if sealed == b"":
        return ""
    if not checked and key_id_of(sealed) != key.id:
        raise DecryptionError("sealed with another key")
    return _decrypt(sealed, key, place.associated_data())


def place_prefix(company_id: int, model: str, field: str) -> bytes:
    """The associated data of every value of one company, model and field, up to the row id."""
    return b"sh1|%d|%b|%b|" % (company_id, model.encode(), field.encode())


def open_many(values: Iterable[tuple[bytes, int]], key_by_id: Callable[[int, int], DataKey], company_id: int,
              prefix: bytes) -> list[str]:
    """Open ``(sealed, row id)`` pairs of one company, model and field (issue 16: near-plain cost).

    Same format, same associated data (``prefix`` from ``place_prefix`` plus the row id), same
    errors as ``open_sealed``; but the names are encoded once (``prefix``), and the key named in
    each header is looked up once per batch (``key_by_id(company_id, key id)``), not per value.
    """
    aeads: dict[int, AESGCM] = {}
    opened: list[str] = []
    append, unpack = opened.append, _HEADER.unpack_from  # (locals: the loop runs per value)
    for sealed, row_id in values:
        if len(sealed) < OVERHEAD:
            raise DecryptionError("not a sealed value")
        version, key_id = unpack(sealed)
        if version != VERSION:
            raise DecryptionError(f"unknown format version {version}")
        aead = aeads.get(key_id)
        if aead is None:
            aead = aeads[key_id] = key_by_id(company_id, key_id).aead
        try:  # (plain slices: for values this small, cheaper than making a memoryview)
            append(aead.decrypt(sealed[_HEADER_SIZE:_BODY], sealed[_BODY:], b"%b%d" % (prefix, row_id)).decode())
        except InvalidTag as exc:
            raise DecryptionError("the value does not belong here or was altered") from exc
    return opened


def _decrypt(sealed: bytes, key: DataKey, associated_data: bytes) -> str:
    view = memoryview(sealed)  # slices without copies
    try:
        return key.aead.decrypt(view[_HEADER.size:_BODY], view[_BODY:], associated_data).decode()
    except InvalidTag as exc:
        raise DecryptionError("the value does not belong here or was altered") from exc


def wrap_key(material: bytes, *, master: AESGCM, company_id: int) -> bytes:
    nonce = os.urandom(NONCE_BYTES)
    return nonce + master.encrypt(nonce, material, _wrap_context(company_id))


def unwrap_key(wrapped: bytes, *, master: AESGCM, company_id: int) -> bytes:
    try:
        return master.decrypt(wrapped[:NONCE_BYTES], wrapped[NONCE_BYTES:], _wrap_context(company_id))
    except InvalidTag as exc:
        raise DecryptionError("the data key does not belong to this company or master key") from exc


def _wrap_context(company_id: int) -> bytes:
    return f"sh1-datakey|{company_id}".encode()
