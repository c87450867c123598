"""Sign-in limits that an attacker can neither guess past nor aim (issue 15, SAF-3).

Three tiers, each by a well-kept library:

1. django-axes: five wrong passwords for one account from one client address lock that pair for
   ``AXES_COOLOFF_TIME`` (the address comes from ``TRUSTED_PROXY_COUNT``, ``accounts.auth.client_ip``).
2. Account-wide (django-ratelimit, here): wrong passwords for one account from *any* address, counted
   in every window of ``ACCOUNTS_ACCOUNT_FAILURE_RATES`` (default 10 per 15 minutes, then 30 a
   day: each later window waits longer). Past one, sign-ins to that account wait, except from a
   browser that has signed in to it before: a signed "known device" cookie holding only a keyed
   hash of the account id. An attacker spraying one owner's password from a thousand addresses
   slows down; the owner at their usual browser signs in.
3. Requests: ``POST /api/v1/auth/token/`` (DRF throttle) and sign-up (``ACCOUNTS_SIGNUPS_PER_ADDRESS``)
   per client address.

Counts live in Redis (atomic INCR). When Redis is down the account tier is skipped
(``RATELIMIT_FAIL_OPEN``), and the per-address lockout, in the database, still holds.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.dispatch import receiver
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.utils.crypto import salted_hmac
from django_ratelimit.core import get_usage, is_ratelimited
from redis.exceptions import RedisError

from accounts.auth import client_ip, login_identifier
from accounts.models import User

logger = logging.getLogger(__name__)
_DEVICE_SALT = "accounts.known-device"
_MARKS_KEPT = 5  # accounts one browser remembers
ACCOUNT_WAITS = ("Too many wrong passwords for this account from several places. Wait a few minutes, sign in "
                 "from a browser you have used before, or reset your password.")


DEVICE_FAILURE_RATE = "5/15m"  # wrong passwords through one known browser before it is treated as unknown


def _mark(user: User) -> str:
    """A keyed hash of the account's session auth hash: a password change or a two-factor change
    (``User.session_epoch``) makes every browser unknown again."""
    return salted_hmac(_DEVICE_SALT, user.get_session_auth_hash()).hexdigest()[:24]


def _marks(request: HttpRequest) -> list[str]:
    value = request.COOKIES.get(settings.ACCOUNTS_KNOWN_DEVICE_COOKIE)
    if not value:
        return []
    try:
        marks = signing.loads(value, salt=_DEVICE_SALT, max_age=settings.ACCOUNTS_KNOWN_DEVICE_DAYS * 86400)
    except signing.BadSignature:
        return []
    return [str(mark) for mark in marks][:_MARKS_KEPT] if isinstance(marks, list) else []


def is_known_device(request: HttpRequest, identifier: str) -> bool:
    """Whether this browser has signed in to the account of ``identifier`` (an email) before, since
    its password and two-factor last changed, and has not sent ``DEVICE_FAILURE_RATE`` wrong passwords since."""
    marks = _marks(request)
    if not marks:
        return False
    user = User.objects.filter(email__iexact=identifier).only("pk", "password", "session_epoch").first()
    return user is not None and _mark(user) in marks and not _device_waits(request, identifier)


def _device_waits(request: HttpRequest, identifier: str, *, count_failure: bool = False) -> bool:
    """A copied known-device cookie gives no more guesses than one address does."""
    key = salted_hmac("accounts.login-device", f"{identifier}|{request.COOKIES.get(settings.ACCOUNTS_KNOWN_DEVICE_COOKIE)}"
                      ).hexdigest()
    try:
        usage = get_usage(request, group="accounts.login-device", key=lambda group, req: key,
                          rate=DEVICE_FAILURE_RATE, increment=count_failure)
    except (RedisError, OSError):
        return True  # unknown is the safe side: the account-wide tier applies
    return usage is not None and usage["count"] >= usage["limit"]


def _account_key(identifier: str) -> str:
    return salted_hmac("accounts.login-account", identifier).hexdigest()  # no email in Redis keys


def account_waits(request: HttpRequest, identifier: str, *, count_failure: bool = False) -> bool:
    """Whether sign-ins to this account must wait now (every window is checked; ``count_failure`` adds one)."""
    key = _account_key(identifier)
    waits = False
    try:
        for rate in settings.ACCOUNTS_ACCOUNT_FAILURE_RATES:
            usage = get_usage(request, group=f"accounts.login-account.{rate}", key=lambda group, req: key,
                              rate=rate, increment=count_failure)
            # "10/15m": ten wrong passwords, then it waits (django-ratelimit itself would allow one more).
            waits |= usage is not None and usage["count"] >= usage["limit"]
    except (RedisError, OSError) as exc:  # fail open: the per-address lockout, in the database, still holds
        logger.warning("sign-in limits unavailable (%s); the account tier is skipped", type(exc).__name__)
        return False
    return waits


def signup_limited(request: HttpRequest) -> bool:
    """Whether this client address has made ``ACCOUNTS_SIGNUPS_PER_ADDRESS`` sign-ups already (counts this one)."""
    try:
        return is_ratelimited(request, group="accounts.signup", key=signup_key,
                              rate=settings.ACCOUNTS_SIGNUPS_PER_ADDRESS, increment=True)
    except (RedisError, OSError) as exc:
        logger.warning("sign-up limit unavailable (%s); skipped", type(exc).__name__)
        return False


class AccountWideLimitBackend:
    """Before ModelBackend: refuses every password for an account that must wait, unless the browser
    is known to it. It never authenticates anyone itself, so it has no ``get_user`` (force_login and
    the session must name the backend that does) and no permission methods."""

    def authenticate(self, request: HttpRequest | None, username: str | None = None, password: str | None = None,
                     **kwargs: Any) -> None:
        identifier = login_identifier(request, {"username": username, **kwargs}) if request is not None else None
        if request is None or not identifier or is_known_device(request, identifier):
            return None
        if account_waits(request, identifier):
            request.account_waits = True  # type: ignore[attr-defined]  # read by the login page and the API
            raise PermissionDenied
        return None


@receiver(user_login_failed, dispatch_uid="accounts.login_limits.count_failure")
def _count_failure(sender: object, credentials: dict[str, Any], request: HttpRequest | None = None,
                   **kwargs: Any) -> None:
    identifier = login_identifier(request, credentials) if request is not None else None
    if request is None or not identifier or getattr(request, "account_waits", False):
        return
    if is_known_device(request, identifier):
        _device_waits(request, identifier, count_failure=True)
    account_waits(request, identifier, count_failure=True)


@receiver(user_logged_in, dispatch_uid="accounts.login_limits.remember_device")
def _remember(sender: object, request: HttpRequest | None, user: User, **kwargs: Any) -> None:
    if request is not None:
        request.remember_device = user  # type: ignore[attr-defined]  # the middleware sets the cookie


def known_device_cookie(get_response: Any) -> Any:
    """After a sign-in, remember the browser for that account (the account tier lets it through)."""

    def middleware(request: HttpRequest) -> HttpResponseBase:
        response = get_response(request)
        user = getattr(request, "remember_device", None)
        if user is not None:
            mark = _mark(user)
            marks = [mark, *[m for m in _marks(request) if m != mark]][:_MARKS_KEPT]
            response.set_cookie(settings.ACCOUNTS_KNOWN_DEVICE_COOKIE, signing.dumps(marks, salt=_DEVICE_SALT),
                                max_age=settings.ACCOUNTS_KNOWN_DEVICE_DAYS * 86400, httponly=True,
                                secure=settings.SESSION_COOKIE_SECURE, samesite="Lax")
        return response

    return middleware


def signup_key(group: str, request: HttpRequest) -> str:
    """django-ratelimit's key for sign-ups: the client address our proxies saw."""
    return client_ip(request) or "unknown"
