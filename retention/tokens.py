"""The Shutdown Company link's token (CON-4).

Format: 64 hex characters, ``salted_hmac(SALT, "<company id>:<owner id>:<nonce>",
algorithm="sha256")`` with Django's ``SECRET_KEY``; the nonce is 128 random bits stored on the
request, so the token binds that owner and that company. 256 bits
of output, unpredictable without both the secret key and the nonce.

Invariants:
* the database keeps the nonce and ``sha256(token)``, never the token: a copy of the database
  cannot produce a link, and neither can the secret key alone;
* the outbox payload holds ids only; the email handler derives the token again when it sends;
* a token is looked up by its hash and compared in constant time.

Validity (single use, 24 hours, owner, company) is the service's business
(``retention.services.confirm_shutdown``), not this module's.
"""

from __future__ import annotations

import hashlib
import secrets

from django.utils.crypto import constant_time_compare, salted_hmac

SALT = "retention.shutdown-link"
TOKEN_LENGTH = 64


def new_nonce() -> str:
    return secrets.token_hex(16)


def make_token(*, company_id: int, owner_id: int, nonce: str) -> str:
    return salted_hmac(SALT, f"{company_id}:{owner_id}:{nonce}", algorithm="sha256").hexdigest()


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def matches(token: str, *, stored_hash: str) -> bool:
    return constant_time_compare(token_hash(token), stored_hash)


def looks_like_token(value: str) -> bool:
    return len(value) == TOKEN_LENGTH and all(c in "0123456789abcdef" for c in value)
