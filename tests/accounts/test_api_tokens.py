"""API tokens that their owner controls (issue 15, SAF-3): logout and logout-all end them, a limit per
account, a page to see and revoke them; a password change ends them all; logout clears the browser."""

from __future__ import annotations

import pytest
from knox.models import AuthToken

from accounts import api_tokens
from accounts.models import AuditEvent
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.policy("SAF-3"), pytest.mark.django_db]


def _token(api_client, email: str = "alice@acme.example") -> str:
    response = api_client.post("/api/v1/auth/token/", {"email": email, "password": PASSWORD}, format="json")
    assert response.status_code == 200, response.content
    return response.json()["token"]


def _works(api_client, token: str) -> bool:
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    status = api_client.get("/api/v1/companies/").status_code
    api_client.credentials()
    return status == 200


def test_logout_ends_only_the_token_it_was_sent_with(acme, api_client):
    first, second = _token(api_client), _token(api_client)
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {first}")
    assert api_client.post("/api/v1/auth/logout/").status_code == 204
    api_client.credentials()
    assert not _works(api_client, first) and _works(api_client, second)


def test_logout_all_ends_every_token_of_the_account(acme, globex, api_client):
    tokens = [_token(api_client) for _ in range(3)]
    charlies = _token(api_client, "charlie@globex.example")
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {tokens[0]}")
    assert api_client.post("/api/v1/auth/logoutall/").status_code == 204
    assert not any(_works(api_client, token) for token in tokens)
    assert _works(api_client, charlies)  # another account's tokens are not touched
    event = AuditEvent.objects.filter(event=AuditEvent.Event.API_TOKENS_REVOKED).latest("id")
    assert event.actor_id == acme.owner.pk and event.data == {"tokens": 3, "all": True}


def test_logout_needs_a_token_not_a_session(acme, client):
    client.force_login(acme.owner)
    assert client.post("/api/v1/auth/logoutall/").status_code in (401, 403)


def test_a_password_change_ends_tokens_made_before_it(acme, client, api_client):
    token = _token(api_client)
    client.force_login(acme.owner)
    response = client.post("/accounts/password/change/", {
        "old_password": PASSWORD, "new_password1": "another-long-password-77", "new_password2": "another-long-password-77"})
    assert response.status_code == 302
    assert not _works(api_client, token)


def test_tokens_per_account_are_limited_with_a_clear_answer(acme, api_client, settings):
    settings.API_TOKENS_PER_USER = 2
    _token(api_client), _token(api_client)
    response = api_client.post("/api/v1/auth/token/", {"email": "alice@acme.example", "password": PASSWORD},
                               format="json")
    assert response.status_code == 403 and response.json()["code"] == "too_many_tokens"
    assert "/accounts/tokens/" in response.json()["detail"]
    assert AuthToken.objects.filter(user=acme.owner).count() == 2


def test_the_owner_sees_and_revokes_tokens_on_a_page(acme, client, api_client):
    tokens = [_token(api_client) for _ in range(2)]
    client.force_login(acme.owner)
    page = client.get("/accounts/tokens/").content.decode()
    keys = list(api_tokens.live_tokens(user=acme.owner).values_list("token_key", flat=True))
    for key in keys:
        assert f"{key[:8]}…" in page
    assert not any(token in page for token in tokens)  # never the token itself
    response = client.post("/accounts/tokens/", {"token_key": keys[0]}, follow=True)
    assert "API token revoked." in response.content.decode()
    assert [_works(api_client, t) for t in tokens].count(True) == 1
    client.post("/accounts/tokens/", {"token_key": "all"})
    assert not any(_works(api_client, t) for t in tokens)


def test_one_account_cannot_revoke_anothers_tokens(acme, globex, client, api_client):
    charlies = _token(api_client, "charlie@globex.example")
    key = AuthToken.objects.get(user=globex.owner).token_key
    client.force_login(acme.owner)
    response = client.post("/accounts/tokens/", {"token_key": key}, follow=True)
    assert "already gone" in response.content.decode()
    assert _works(api_client, charlies)


def test_logout_tells_the_browser_to_clear_this_sites_data(acme, client):
    client.force_login(acme.owner)
    response = client.post("/accounts/logout/")
    assert response["Clear-Site-Data"] == '"cache", "storage"'  # not "cookies": the known-device mark stays


def test_a_request_reads_its_own_token_once_not_all_the_accounts_tokens(acme, api_client):
    """Issue 16: knox swept every token of the caller on each request, a second query per API call."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    tokens = [_token(api_client) for _ in range(3)]
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {tokens[0]}")
    with CaptureQueriesContext(connection) as queries:
        assert api_client.get("/api/v1/companies/").status_code == 200
    assert sum('FROM "knox_authtoken"' in query["sql"] for query in queries) == 1


def test_an_expired_token_is_refused_and_expired_ones_go_at_the_next_issue(acme, api_client, monkeypatch):
    from datetime import timedelta

    from django.utils import timezone
    from knox.settings import CONSTANTS

    def key(token: str) -> str:
        return token[:CONSTANTS.TOKEN_KEY_LENGTH]

    old, kept = _token(api_client), _token(api_client)
    now = timezone.now()
    AuthToken.objects.filter(token_key=key(old)).update(expiry=now - timedelta(seconds=1))
    assert not _works(api_client, old) and _works(api_client, kept)
    assert AuthToken.objects.filter(user=acme.owner).count() == 2  # the refusal's transaction is rolled back
    _token(api_client)  # issuing removes the account's expired tokens
    assert not AuthToken.objects.filter(token_key=key(old)).exists()
    assert AuthToken.objects.filter(user=acme.owner).count() == 2


def test_the_prepared_token_check_refuses_what_knoxs_refuses(acme, api_client):
    """Issue 16: the token and its user come from prepared SQL; the checks are still knox's."""
    from knox.settings import CONSTANTS

    token = _token(api_client)
    assert _works(api_client, token)
    forged = token[:CONSTANTS.TOKEN_KEY_LENGTH] + ("0" if token[-1] != "0" else "1") * (len(token) - CONSTANTS.TOKEN_KEY_LENGTH)
    assert not _works(api_client, forged)  # the right key, the wrong secret: the digest differs
    acme.owner.is_active = False
    acme.owner.save(update_fields=["is_active"])
    assert not _works(api_client, token)


def test_the_prepared_token_check_loads_the_token_and_user_the_orm_loads(acme, api_client):
    from django.test import RequestFactory
    from knox.settings import CONSTANTS

    token = _token(api_client)
    request = RequestFactory().get("/", HTTP_AUTHORIZATION=f"Token {token}")
    user, auth_token = api_tokens.ApiTokenAuthentication().authenticate(request)
    stored = AuthToken.objects.select_related("user").get(token_key=token[:CONSTANTS.TOKEN_KEY_LENGTH])
    fields = [f.attname for f in AuthToken._meta.concrete_fields]
    assert [getattr(auth_token, name) for name in fields] == [getattr(stored, name) for name in fields]
    user_fields = [f.attname for f in type(user)._meta.concrete_fields]
    assert [getattr(user, name) for name in user_fields] == [getattr(stored.user, name) for name in user_fields]
    assert auth_token.user is user and not auth_token._state.adding  # a loaded row: logout can delete it


def test_tokens_sharing_a_key_prefix_are_each_checked_by_their_digest(acme, api_client, monkeypatch):
    """knox's loop, kept: an expired token with the same prefix is skipped and deleted, a wrong digest refused."""
    from datetime import timedelta

    from django.utils import timezone
    from knox.crypto import hash_token
    from knox.settings import CONSTANTS

    token = _token(api_client)
    key = token[:CONSTANTS.TOKEN_KEY_LENGTH]
    twin = key + "f" * (len(token) - len(key))  # same key prefix, another secret
    AuthToken.objects.bulk_create([AuthToken(digest=hash_token(twin), token_key=key, user=acme.owner,
                                             expiry=timezone.now() - timedelta(minutes=1))])
    assert _works(api_client, token)  # the expired twin is skipped, the real one found by its digest
    assert not _works(api_client, twin)  # expired
    AuthToken.objects.filter(digest=hash_token(twin)).update(expiry=timezone.now() + timedelta(hours=1))
    assert _works(api_client, twin) and _works(api_client, token)  # each by its own digest
