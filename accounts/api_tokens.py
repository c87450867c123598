"""API tokens (knox) as their owner manages them: issued with a limit, listed, revoked (issue 15, SAF-3).

A token is shown once, when issued; afterwards the owner sees only its first characters (knox's
``token_key``, the lookup prefix, never enough to use it), when it was made and when it expires.
``API_TOKENS_PER_USER`` live tokens at most: a script that leaks tokens meets a clear refusal,
not an ever-growing list of credentials. Revoking is audited with counts only.
"""

from __future__ import annotations

import binascii
from datetime import datetime
from hmac import compare_digest

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.contrib.knox_auth_token import KnoxTokenScheme
from knox.auth import TokenAuthentication
from knox.crypto import hash_token
from knox.models import AuthToken, get_token_model
from knox.settings import CONSTANTS, knox_settings
from knox.signals import token_expired
from rest_framework.exceptions import AuthenticationFailed

from accounts.audit import record_event
from accounts.exceptions import TooManyApiTokens
from accounts.models import AuditEvent, User
from accounts.rows import Selected


def live_tokens(*, user: User, now: datetime | None = None) -> QuerySet[AuthToken]:
    now = now or timezone.now()
    return AuthToken.objects.filter(Q(expiry__isnull=True) | Q(expiry__gt=now), user=user).order_by("-created")


@transaction.atomic
def issue(*, user: User, now: datetime | None = None) -> tuple[AuthToken, str]:
    """A new token for ``user`` and its text (shown once). Raise TooManyApiTokens at the limit."""
    User.objects.select_for_update().filter(pk=user.pk).first()  # one issue at a time per account
    now = now or timezone.now()
    AuthToken.objects.filter(user=user, expiry__lte=now).delete()  # expired ones do not count
    if live_tokens(user=user, now=now).count() >= settings.API_TOKENS_PER_USER:
        raise TooManyApiTokens(
            f"This account has {settings.API_TOKENS_PER_USER} API tokens already. Revoke one on your "
            "API tokens page (/accounts/tokens/), or end them all with POST /api/v1/auth/logoutall/.")
    instance, token = AuthToken.objects.create(user=user)
    record_event(event=AuditEvent.Event.API_TOKEN_ISSUED, company_id=None, actor_id=user.pk, subject=user, now=now)
    return instance, token


@transaction.atomic
def revoke(*, user: User, token_keys: list[str] | None = None, now: datetime | None = None) -> int:
    """End the user's tokens with these keys, or all of them (None). Returns how many ended."""
    tokens = AuthToken.objects.filter(user=user)
    if token_keys is not None:
        tokens = tokens.filter(token_key__in=token_keys)
    ended, _ = tokens.delete()
    if ended:
        record_event(event=AuditEvent.Event.API_TOKENS_REVOKED, company_id=None, actor_id=user.pk, subject=user,
                     data={"tokens": ended, "all": token_keys is None}, now=now)
    return ended


_TOKEN, _USER = Selected(get_token_model(), "t"), Selected(User, "u")
_TOKEN_SQL = (f"SELECT {_TOKEN.columns}, {_USER.columns} FROM {_TOKEN.table} "  # noqa: S608  (no value in it)
              f"JOIN {_USER.table} ON {_USER.column('id')} = {_TOKEN.column('user')} "
              f"WHERE {_TOKEN.column('token_key')} = %s")


class ApiTokenAuthentication(TokenAuthentication):
    """knox's token check, one prepared query per request and no sweep of the caller's other tokens (issue 16).

    The same check as knox's ``authenticate_credentials``: the tokens whose key is the token's
    prefix, an expired one deleted and skipped, the digest compared in constant time, an inactive
    user refused. Two things differ. The token and its user are read by SQL built once
    (``accounts/rows.py``): through the ORM the lookup cost four times its round trip. And knox
    reads all of a user's tokens on each call to delete the expired ones, a second query on every
    request; here only the token presented is checked (an expired one is refused, and deleted as
    knox does, though the request's transaction rolls that back with the 401); expired tokens are
    removed when the account is issued a token (``issue``).
    """

    def authenticate_credentials(self, token: bytes) -> tuple[User, AuthToken]:
        text = token.decode("utf-8")
        with connection.cursor() as cursor:
            cursor.execute(_TOKEN_SQL, [text[:CONSTANTS.TOKEN_KEY_LENGTH]])
            rows = cursor.fetchall()
        for row in rows:
            auth_token = _TOKEN.load(row)
            auth_token.user = _USER.load(row, _TOKEN.width)
            if self._cleanup_token(auth_token):
                continue
            try:
                digest = hash_token(text)
            except (TypeError, binascii.Error) as exc:
                raise AuthenticationFailed(_("Invalid token.")) from exc
            if compare_digest(digest, auth_token.digest):
                if knox_settings.AUTO_REFRESH and auth_token.expiry:
                    self.renew_token(auth_token)
                return self.validate_user(auth_token)
        raise AuthenticationFailed(_("Invalid token."))

    def _cleanup_token(self, auth_token: AuthToken) -> bool:
        if auth_token.expiry is not None and auth_token.expiry < timezone.now():
            username = auth_token.user.get_username()
            auth_token.delete()
            token_expired.send(sender=self.__class__, username=username, source="auth_token")
            return True
        return False


class ApiTokenScheme(KnoxTokenScheme):
    """The OpenAPI security scheme of knox's class, for ours (drf-spectacular matches the exact class)."""

    target_class = "accounts.api_tokens.ApiTokenAuthentication"
