"""COO-3: Google Analytics only with a measurement id and the visitor's accept, and nothing identifying sent."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.test import override_settings

from consent.models import ConsentEvent, Method

pytestmark = [pytest.mark.django_db, pytest.mark.policy("COO-3")]

GA_ID = "G-TEST1234"
ROUTE = "/c/{company_id}/invoices/{pk}/"
GOOGLE = re.compile(r"google", re.I)


def _csp(response) -> str:
    return response.headers.get("Content-Security-Policy", "")


def _pages(acme):
    return ["/accounts/login/", "/accounts/signup/", "/cookies/", f"/c/{acme.company.pk}/",
            f"/c/{acme.company.pk}/invoices/{acme.invoice.pk}/"]


def test_without_a_measurement_id_no_page_has_google_or_a_banner(client, acme):
    for url in _pages(acme)[:3]:
        response = client.get(url)
        assert not GOOGLE.search(response.content.decode()) and not GOOGLE.search(_csp(response)), url
        assert "Accept analytics cookies" not in response.content.decode()
    client.force_login(acme.owner)
    for url in _pages(acme)[3:]:
        response = client.get(url)
        assert response.status_code == 200 and not GOOGLE.search(response.content.decode() + _csp(response)), url
    response = client.post("/cookies/", {"choice": "accept"})  # nothing to accept: the page, unchanged
    assert response.status_code == 200 and "analytics" not in response.cookies
    assert not ConsentEvent.objects.exists()


@override_settings(GA_MEASUREMENT_ID=GA_ID)
def test_banner_on_public_and_app_pages_never_in_admin_or_dev_and_no_script_before_a_choice(client, acme):
    for url in _pages(acme)[:3]:
        body = client.get(url).content.decode()
        assert "Accept analytics cookies" in body and "Reject analytics cookies" in body, url
        assert "googletagmanager" not in body
    client.force_login(acme.owner)
    for url in _pages(acme)[3:]:
        response = client.get(url)
        assert "Accept analytics cookies" in response.content.decode() and not GOOGLE.search(_csp(response))
    for url in ["/admin/login/", "/dev/mail/"]:
        assert "analytics cookies" not in client.get(url).content.decode(), url


@override_settings(GA_MEASUREMENT_ID=GA_ID)
def test_accept_without_javascript_loads_the_tag_with_the_nonce_and_route_pattern_only(client, acme):
    client.force_login(acme.owner)
    invoice = f"/c/{acme.company.pk}/invoices/{acme.invoice.pk}/"
    response = client.post("/cookies/", {"choice": "accept", "next": invoice})
    assert response.status_code == 302 and response["Location"] == invoice
    cookie = response.cookies["analytics"]
    assert cookie.value == "accepted" and cookie["max-age"] == 365 * 24 * 3600
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    event = ConsentEvent.objects.get(user=acme.owner)
    assert (event.purpose, event.granted, event.method) == ("analytics_cookies", True, Method.COOKIE_BANNER)

    page = client.get(invoice + "?search=ACMESECRET")
    body = page.content.decode()
    nonce = re.search(r"'nonce-([^']+)'", _csp(page)).group(1)
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", body, re.S)
    assert scripts and all(f'nonce="{nonce}"' in attrs for attrs, _ in scripts)
    assert f"googletagmanager.com/gtag/js?id={GA_ID}" in body and "Accept analytics cookies" not in body
    assert "https://*.google-analytics.com" in _csp(page) and "https://*.googletagmanager.com" in _csp(page)
    inline = scripts[-1][1]
    assert re.search(r"page_location: '([^']*)'", inline).group(1) == f"{settings.SITE_URL.rstrip('/')}{ROUTE}"
    assert re.search(r"page_title: '([^']*)'", inline).group(1) == ROUTE
    assert not re.search(r"/\d+/", inline)  # no id in any path
    for secret in ("ACMESECRET", "search", acme.owner.email, "Acme"):
        assert secret not in inline, secret
    assert "allow_google_signals: false" in inline and "allow_ad_personalization_signals: false" in inline
    assert "page_referrer: ''" in inline and "document.title" not in inline


@override_settings(GA_MEASUREMENT_ID=GA_ID)
def test_only_the_responses_that_load_the_tag_name_google_in_their_csp(client, acme):
    client.post("/cookies/", {"choice": "accept", "next": "/accounts/login/"})
    assert "googletagmanager" in _csp(client.get("/accounts/login/"))
    assert not GOOGLE.search(_csp(client.get("/admin/login/")))


@override_settings(GA_MEASUREMENT_ID=GA_ID, SITE_URL="https://app.softhelpers.example")
def test_reject_after_accept_expires_the_google_cookies_with_and_without_domain(client, acme):
    client.force_login(acme.owner)
    client.post("/cookies/", {"choice": "accept", "next": "/cookies/"})
    client.cookies["_ga"] = "GA1.1.123.456"
    client.cookies["_ga_TEST1234"] = "GS1.1.789"
    response = client.post("/cookies/", {"choice": "reject", "next": "/cookies/"})
    assert response.status_code == 302 and response.cookies["analytics"].value == "rejected"
    headers = [value for key, value in response.items() if key.lower() == "set-cookie"] or [
        morsel.OutputString() for morsel in response.cookies.values()]
    for name in ("_ga", "_ga_TEST1234"):
        expiring = [h for h in headers if h.startswith(f"{name}=") and ("Max-Age=0" in h or "1970" in h)]
        assert any("Domain=" not in h for h in expiring), (name, headers)
        domains = {re.search(r"Domain=([^;]+)", h).group(1) for h in expiring if "Domain=" in h}
        assert domains == {".app.softhelpers.example", ".softhelpers.example"}, (name, headers)
    assert "googletagmanager" not in client.get("/cookies/").content.decode()
    newest = ConsentEvent.objects.filter(user=acme.owner).order_by("-id").first()
    assert (newest.granted, newest.method) == (False, Method.COOKIE_BANNER)


@override_settings(GA_MEASUREMENT_ID=GA_ID)
def test_global_privacy_control_counts_as_reject_until_the_visitor_chooses(client):
    body = client.get("/accounts/login/", HTTP_SEC_GPC="1").content.decode()
    assert "googletagmanager" not in body
    client.post("/cookies/", {"choice": "accept", "next": "/accounts/login/"}, HTTP_SEC_GPC="1")
    assert "googletagmanager" in client.get("/accounts/login/", HTTP_SEC_GPC="1").content.decode()


@override_settings(GA_MEASUREMENT_ID=GA_ID)
def test_the_choice_needs_a_valid_answer_and_never_redirects_off_site(client):
    assert client.post("/cookies/", {"choice": "maybe"}).status_code == 400
    response = client.post("/cookies/", {"choice": "reject", "next": "https://evil.example/"})
    assert response["Location"] == "/cookies/"


@override_settings(GA_MEASUREMENT_ID=GA_ID, SESSION_COOKIE_SECURE=True)
def test_the_choice_cookie_is_secure_where_sessions_are(client):
    assert client.post("/cookies/", {"choice": "reject"}).cookies["analytics"]["secure"]


def test_cookies_page_lists_our_cookies(client):
    body = client.get("/cookies/").content.decode()
    assert "sessionid" in body and "csrftoken" in body and "do not use analytics cookies" in body


def test_a_malformed_measurement_id_is_refused_by_a_system_check():
    from django.core import checks

    with override_settings(GA_MEASUREMENT_ID="UA-123<script>"):
        assert [e.id for e in checks.run_checks() if e.id.startswith("consent.")] == ["consent.E001"]
