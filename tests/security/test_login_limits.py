"""Sign-in that an attacker can neither guess past nor aim (issue 15, SAF-3; accounts/login_limits.py)."""

from __future__ import annotations

import pytest
from django.core import signing
from django.test import Client

from tests.conftest import PASSWORD

pytestmark = [pytest.mark.policy("SAF-3"), pytest.mark.django_db]
EMAIL = "alice@acme.example"


def _login(client: Client, password: str, address: str, **headers: str):
    return client.post("/accounts/login/", {"username": EMAIL, "password": password}, REMOTE_ADDR=address, **headers)


def test_wrong_passwords_from_many_addresses_make_the_account_wait(acme, settings):
    """Four tries from each of three addresses passed unnoticed before: per (account, address) only."""
    settings.ACCOUNTS_ACCOUNT_FAILURE_RATES = ["10/15m"]
    for n in range(10):
        assert _login(Client(), "wrong", f"203.0.113.{n % 3 + 1}").status_code == 200
    response = _login(Client(), PASSWORD, "198.51.100.7")  # the right password, from a new place: it waits
    assert response.status_code == 200
    assert "Too many wrong passwords for this account from several places" in response.content.decode()
    assert "_auth_user_id" not in response.client.session


def test_the_owners_known_browser_signs_in_while_the_account_waits(acme, settings):
    settings.ACCOUNTS_ACCOUNT_FAILURE_RATES = ["10/15m"]
    owner = Client()
    assert _login(owner, PASSWORD, "192.0.2.10").status_code == 302  # the browser she always uses
    assert owner.post("/accounts/logout/")["Clear-Site-Data"] == '"cache", "storage"'  # the cookie stays
    cookie = owner.cookies[settings.ACCOUNTS_KNOWN_DEVICE_COOKIE]
    marks = signing.loads(cookie.value, salt="accounts.known-device")  # keyed hashes, never the account
    assert EMAIL not in cookie.value and all(len(m) == 24 and m != str(acme.owner.pk) for m in marks)
    for n in range(12):
        _login(Client(), "wrong", f"203.0.113.{n + 1}")  # an attacker aiming at her account
    assert _login(owner, PASSWORD, "192.0.2.10").status_code == 302
    assert _login(Client(), PASSWORD, "198.51.100.8").status_code == 200  # elsewhere, still waiting


def test_a_copied_known_device_cookie_gives_no_more_guesses_than_an_address(acme, settings):
    settings.ACCOUNTS_ACCOUNT_FAILURE_RATES = ["10/15m"]
    owner = Client()
    _login(owner, PASSWORD, "192.0.2.10")
    stolen = owner.cookies[settings.ACCOUNTS_KNOWN_DEVICE_COOKIE].value
    for n in range(12):
        _login(Client(), "wrong", f"203.0.113.{n + 1}")
    thief = Client()
    thief.cookies[settings.ACCOUNTS_KNOWN_DEVICE_COOKIE] = stolen
    for n in range(5):  # from five addresses, so the per-address lockout never sees them together
        assert _login(thief, "guess", f"198.51.100.{n + 1}").status_code == 200
    response = _login(thief, PASSWORD, "198.51.100.50")  # even the right password now waits with that cookie
    assert "Too many wrong passwords for this account" in response.content.decode()


def test_a_password_change_makes_every_known_browser_unknown(acme, settings):
    settings.ACCOUNTS_ACCOUNT_FAILURE_RATES = ["10/15m"]
    owner = Client()
    _login(owner, PASSWORD, "192.0.2.10")
    old = owner.cookies[settings.ACCOUNTS_KNOWN_DEVICE_COOKIE].value
    acme.owner.set_password("a-new-long-password-99")
    acme.owner.save()
    for n in range(12):
        _login(Client(), "wrong", f"203.0.113.{n + 1}")
    browser = Client()
    browser.cookies[settings.ACCOUNTS_KNOWN_DEVICE_COOKIE] = old
    response = browser.post("/accounts/login/", {"username": EMAIL, "password": "a-new-long-password-99"},
                            REMOTE_ADDR="192.0.2.10")
    assert "Too many wrong passwords for this account" in response.content.decode()


def test_a_forged_known_device_cookie_does_not_pass(acme, settings):
    settings.ACCOUNTS_ACCOUNT_FAILURE_RATES = ["10/15m"]
    for n in range(10):
        _login(Client(), "wrong", f"203.0.113.{n + 1}")
    forger = Client()
    forger.cookies[settings.ACCOUNTS_KNOWN_DEVICE_COOKIE] = "W10:1abcde:forged"
    assert _login(forger, PASSWORD, "198.51.100.9").status_code == 200


def test_behind_the_proxy_each_client_counts_for_itself(acme, settings):
    """With TRUSTED_PROXY_COUNT=1 every request comes from the proxy's address; the client is X-Forwarded-For."""
    settings.TRUSTED_PROXY_COUNT = 1
    for _ in range(5):
        _login(Client(), "wrong", "10.0.0.2", HTTP_X_FORWARDED_FOR="203.0.113.66")
    assert _login(Client(), PASSWORD, "10.0.0.2", HTTP_X_FORWARDED_FOR="203.0.113.66").status_code == 429
    assert _login(Client(), PASSWORD, "10.0.0.2", HTTP_X_FORWARDED_FOR="192.0.2.44").status_code == 302


def test_api_lockouts_and_waits_answer_json_429(acme, api_client, settings):
    settings.ACCOUNTS_ACCOUNT_FAILURE_RATES = ["3/15m"]
    for n in range(3):
        api_client.post("/api/v1/auth/token/", {"email": EMAIL, "password": "wrong"}, format="json",
                        REMOTE_ADDR=f"203.0.113.{n + 1}")
    response = api_client.post("/api/v1/auth/token/", {"email": EMAIL, "password": PASSWORD}, format="json",
                               REMOTE_ADDR="198.51.100.1")
    assert response.status_code == 429 and response["Content-Type"] == "application/json"
    assert response.json()["code"] == "account_waits"
    for _ in range(5):
        api_client.post("/api/v1/auth/token/", {"email": EMAIL, "password": "wrong"}, format="json",
                        REMOTE_ADDR="203.0.113.99")
    locked = api_client.post("/api/v1/auth/token/", {"email": EMAIL, "password": PASSWORD}, format="json",
                             REMOTE_ADDR="203.0.113.99")
    assert locked.status_code == 429 and locked["Content-Type"] == "application/json"


def test_token_requests_are_throttled_per_address(acme, api_client, monkeypatch):
    from accounts.api import TokenRequestThrottle

    monkeypatch.setattr(TokenRequestThrottle, "THROTTLE_RATES", {"auth-token": "3/min"})

    def ask(address: str) -> int:
        return api_client.post("/api/v1/auth/token/", {"email": "nobody@example.com", "password": "x"},
                               format="json", REMOTE_ADDR=address).status_code

    assert [ask("203.0.113.5") for _ in range(4)] == [400, 400, 400, 429]
    assert ask("203.0.113.6") == 400  # another address has its own count


def test_sign_ups_are_limited_per_address(db, settings):
    settings.ACCOUNTS_SIGNUPS_PER_ADDRESS = "2/h"

    def sign_up(n: int) -> int:
        return Client().post("/accounts/signup/", {"full_name": "Sam", "email": f"sam{n}@example.com",
                                                  "password": PASSWORD, "company_name": "Sam's"},
                             REMOTE_ADDR="203.0.113.20").status_code

    assert [sign_up(n) for n in range(3)] == [302, 302, 429]
