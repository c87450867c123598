"""COO-1, COO-2, SAF-2, SAF-3: cookies, login rate limiting, security headers, production settings."""

from __future__ import annotations

import base64
import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.cache import caches

from tests.conftest import PASSWORD

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_lockouts():
    caches["axes"].clear()
    yield
    caches["axes"].clear()


def _login(client, email: str, password: str):
    return client.post("/accounts/login/", {"username": email, "password": password})


@pytest.mark.policy("COO-1")
@pytest.mark.policy("COO-2")
def test_session_cookie_is_a_browser_session_httponly_samesite_opaque_cookie(acme, client):
    response = _login(client, "alice@acme.example", PASSWORD)
    assert response.status_code == 302
    cookie = response.cookies["sessionid"]
    assert cookie["expires"] == "" and cookie["max-age"] == ""  # gone when the browser closes
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"
    for morsel in response.cookies.values():
        assert "alice" not in morsel.value.lower() and PASSWORD not in morsel.value
        assert str(acme.owner.pk) != morsel.value
    assert set(response.cookies) <= {"sessionid", "csrftoken", "known_device"}
    device = response.cookies["known_device"]  # the account-wide sign-in limit lets this browser through
    assert device["httponly"] is True and device["samesite"] == "Lax" and int(device["max-age"]) == 90 * 86400


@pytest.mark.policy("SAF-3")
def test_login_is_rate_limited_per_account_and_address(acme, client, api_client):
    statuses = [_login(client, "alice@acme.example", "wrong-password").status_code for _ in range(5)]
    assert statuses == [200, 200, 200, 200, 429]  # the fifth failure locks
    locked = _login(client, "alice@acme.example", PASSWORD)
    assert locked.status_code == 429
    assert b"Too many failed" in locked.content
    api = api_client.post("/api/v1/auth/token/", {"email": "alice@acme.example", "password": PASSWORD}, format="json")
    assert api.status_code == 429
    other = _login(client, "bob@acme.example", "whatever")  # another account is not locked by alice's failures
    assert other.status_code == 200


@pytest.mark.policy("SAF-3")
def test_api_token_failures_count_towards_the_lockout(acme, client, api_client):
    for _ in range(5):
        api_client.post("/api/v1/auth/token/", {"email": "alice@acme.example", "password": "bad"}, format="json")
    assert _login(client, "alice@acme.example", PASSWORD).status_code == 429


@pytest.mark.policy("SAF-2")
def test_security_headers_on_pages(client):
    response = client.get("/accounts/login/")
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert response["Cross-Origin-Resource-Policy"] == "same-origin"
    assert "camera=()" in response["Permissions-Policy"] and "geolocation=()" in response["Permissions-Policy"]
    static = client.get("/static/app.css")
    assert static["Cross-Origin-Resource-Policy"] == "same-origin"  # files too: no other site embeds them


@pytest.mark.policy("SAF-3")
def test_api_schema_and_docs_are_behind_login_unless_public(client, api_client, acme, settings):
    settings.API_DOCS_PUBLIC = False  # production's default
    assert api_client.get("/api/schema/").status_code in (401, 403)
    response = client.get("/api/docs/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/?next=/api/docs/")
    client.force_login(acme.owner)
    assert client.get("/api/docs/").status_code == 200
    assert client.get("/api/schema/", HTTP_ACCEPT="application/json").status_code == 200
    settings.API_DOCS_PUBLIC = True  # local mode's default
    assert api_client.get("/api/schema/").status_code == 200


@pytest.mark.policy("SAF-3")
def test_production_speaks_json_only_and_keeps_the_docs_behind_login():
    code = ("import django, json; django.setup(); from django.conf import settings as s; "
            "print(json.dumps([s.REST_FRAMEWORK['DEFAULT_RENDERER_CLASSES'], s.API_DOCS_PUBLIC]))")
    result = _run(["-c", code], PRODUCTION_ENV)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == [["rest_framework.renderers.JSONRenderer"], False]


PRODUCTION_ENV = {
    "SOFTHELPERS_ENV": "production",
    "DJANGO_SETTINGS_MODULE": "softhelpers.settings",
    "SECRET_KEY": secrets.token_urlsafe(64),
    "PRIVACY_MASTER_KEY": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
    "DATABASE_URL": "postgres://owner:pw@db.invalid:5432/softhelpers",
    "DATABASE_APP_PASSWORD": "app-pw",
    "REDIS_URL": "redis://redis.invalid:6379/0",
    "ALLOWED_HOSTS": "app.softhelpers.example",
    "SITE_URL": "https://app.softhelpers.example",
}


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "REDIS_", "SOFTHELPERS_"))}
    return subprocess.run([sys.executable, *args], cwd=ROOT, env={**clean, **env}, capture_output=True,
                          text=True, timeout=120)


@pytest.mark.policy("SAF-2")
def test_production_settings_pass_check_deploy_with_no_warning():
    result = _run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


@pytest.mark.policy("COO-1")
@pytest.mark.policy("SAF-2")
def test_production_cookies_are_secure_and_host_prefixed():
    code = ("import django, json; django.setup(); from django.conf import settings as s; print(json.dumps({k: "
            "getattr(s, k) for k in ['SESSION_COOKIE_SECURE', 'CSRF_COOKIE_SECURE', 'SESSION_COOKIE_NAME', "
            "'SESSION_EXPIRE_AT_BROWSER_CLOSE', 'SECURE_SSL_REDIRECT', 'SECURE_HSTS_SECONDS', 'DEBUG', "
            "'CSRF_TRUSTED_ORIGINS']}))")
    result = _run(["-c", code], {**PRODUCTION_ENV, "CSRF_TRUSTED_ORIGINS": ""})  # as docker-compose passes it
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout.strip().splitlines()[-1])
    assert values == {"SESSION_COOKIE_SECURE": True, "CSRF_COOKIE_SECURE": True, "SESSION_COOKIE_NAME": "__Host-sessionid",
                      "SESSION_EXPIRE_AT_BROWSER_CLOSE": True, "SECURE_SSL_REDIRECT": True,
                      "SECURE_HSTS_SECONDS": 63072000, "DEBUG": False,
                      "CSRF_TRUSTED_ORIGINS": ["https://app.softhelpers.example"]}


@pytest.mark.policy("SAF-2")
def test_production_refuses_links_without_https():
    result = _run(["manage.py", "check", "--deploy"], {**PRODUCTION_ENV, "SITE_URL": "http://app.softhelpers.example"})
    assert result.returncode != 0
    assert "softhelpers.E001" in result.stderr


@pytest.mark.parametrize("missing", ["SECRET_KEY", "PRIVACY_MASTER_KEY", "DATABASE_URL", "REDIS_URL", "DATABASE_APP_PASSWORD", "SITE_URL"])
def test_production_refuses_to_start_without_a_secret(missing):
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != missing}
    result = _run(["manage.py", "check"], env)
    assert result.returncode != 0
    assert missing in result.stderr
