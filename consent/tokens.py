"""Unsubscribe links: one token per (user, purpose), stored only as its SHA-256 (PUR-1).

token = HMAC-SHA256 under the site's secret key (Django's ``salted_hmac``) of the row's random
128-bit salt, the user id and the purpose: 256 bits no outsider can guess, the same in every
message of that purpose, and not derivable from the database alone. Lookup is by
``sha256(token)``; the link carries no email and no id. Rotating SECRET_KEY ends old links
(they answer 404); the next message carries a working one.
"""

from __future__ import annotations

import hashlib
import re
import secrets

from django.db import IntegrityError, transaction
from django.utils.crypto import salted_hmac

from consent.models import UnsubscribeToken

_KEY_SALT = "consent.unsubscribe"
_FORMAT = re.compile(r"[0-9a-f]{64}")


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _token(user_id: int, purpose: str, salt: str) -> str:
    return salted_hmac(_KEY_SALT, f"{user_id}:{purpose}:{salt}", algorithm="sha256").hexdigest()


def token_for(*, user_id: int, purpose: str) -> str:
    """The user's token for this purpose, made on first use."""
    row = UnsubscribeToken.objects.filter(user_id=user_id, purpose=purpose).first()
    if row is None:
        salt = secrets.token_hex(16)
        try:
            with transaction.atomic():
                row = UnsubscribeToken.objects.create(user_id=user_id, purpose=purpose, salt=salt,
                                                      token_hash=_hash(_token(user_id, purpose, salt)))
        except IntegrityError:  # made by a concurrent sender a moment ago
            row = UnsubscribeToken.objects.get(user_id=user_id, purpose=purpose)
    return _token(user_id, purpose, row.salt)


def find(token: str) -> UnsubscribeToken | None:
    """The row a well-formed, current token belongs to; None for anything else."""
    if not _FORMAT.fullmatch(token):
        return None
    return UnsubscribeToken.objects.filter(token_hash=_hash(token)).select_related("user").first()
