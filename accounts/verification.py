"""The link that proves a user's email address (CON-4: the owner's mail must reach the rightful holder).

A token is Django's ``signing.dumps`` of the user id and a keyed hash of the address it was sent
to, salted for this use and valid ``ACCOUNTS_VERIFY_EMAIL_DAYS``. It holds no address in clear,
proves nothing for another address (an address change ends it), and once the address is
verified it has nothing left to do. GET shows a button; only the POST verifies (mail scanners
open links).
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.utils.crypto import constant_time_compare, salted_hmac

from accounts.models import User

_SALT = "accounts.verify-email"


def _address_hash(email: str) -> str:
    return salted_hmac(_SALT, email.strip().lower(), algorithm="sha256").hexdigest()[:32]


def make_token(user: User) -> str:
    return signing.dumps({"u": user.pk, "a": _address_hash(user.email)}, salt=_SALT, compress=True)


def user_for_token(token: str) -> User | None:
    """The active user whose current address this token was made for, or None (bad, expired, old address)."""
    try:
        data = signing.loads(token, salt=_SALT, max_age=timedelta(days=settings.ACCOUNTS_VERIFY_EMAIL_DAYS))
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("u"), int):
        return None
    user = User.objects.filter(pk=data["u"], is_active=True).first()
    if user is None or not constant_time_compare(str(data.get("a")), _address_hash(user.email)):
        return None
    return user
