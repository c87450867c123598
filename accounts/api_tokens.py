"""API tokens (knox) as their owner manages them: issued with a limit, listed, revoked (issue 15, SAF-3).

A token is shown once, when issued; afterwards the owner sees only its first characters (knox's
``token_key``, the lookup prefix, never enough to use it), when it was made and when it expires.
``API_TOKENS_PER_USER`` live tokens at most: a script that leaks tokens meets a clear refusal,
not an ever-growing list of credentials. Revoking is audited with counts only.
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from drf_spectacular.contrib.knox_auth_token import KnoxTokenScheme
from knox.auth import TokenAuthentication
from knox.models import AuthToken
from knox.signals import token_expired

from accounts.audit import record_event
from accounts.exceptions import TooManyApiTokens
from accounts.models import AuditEvent, User


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


class ApiTokenAuthentication(TokenAuthentication):
    """knox's token check without its sweep of the caller's other tokens on every request (issue 16).

    knox reads all of a user's tokens on each authenticated call to delete the expired ones: a
    second query on every API request. Here only the token presented is checked (an expired one is
    refused, and deleted as knox does, though the request's transaction rolls that back with the
    401); expired tokens are removed when the account is issued a token (``issue``).
    """

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
