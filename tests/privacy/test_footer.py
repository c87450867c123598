"""ACC-1, NOT-1: every page we render, public or signed in, links the policy, the officer and the contact form.

The pages come from the URLconf, so a new page is covered without being listed here.
"""

from __future__ import annotations

import pytest
from django.urls import get_resolver, reverse

from accounts.officers import create_officer
from tests.conftest import PASSWORD, verified_login
from tests.security.test_tenant_isolation import Route, _url, _walk

pytestmark = [pytest.mark.django_db]

FOOTER = ['<a href="/privacy/">Privacy policy</a>', '<a href="/privacy/officer/">Privacy Officer</a>',
          '<a href="/privacy/contact/">Contact the Privacy Officer</a>', '<a href="/cookies/">Cookies</a>']
# Values for the other parameters of a route: links that are not valid still render a page.
PLACEHOLDERS = {"token": "1-" + "0" * 64, "uidb64": "MQ", "label": "2013-08-15", "name": "missing.eml", "purpose": "newsletter"}
# Not pages of ours: JSON and files, and the API's documentation (drf-spectacular's own template).
NOT_PAGES = ("api:", "api-schema", "api-docs", "healthz")
ROUTES = sorted((r for r in _walk(get_resolver().url_patterns) if not r.name.startswith(NOT_PAGES)),
                key=lambda r: r.name)


def _path(route: Route, acme) -> str:
    if "company_id" in route.params:
        return _url(route, acme.company.pk, acme, own=True)
    return reverse(route.name, kwargs={p: PLACEHOLDERS[p] for p in route.params})


def _html(response) -> str | None:
    if not response.get("Content-Type", "").startswith("text/html") or response.streaming:
        return None
    return response.content.decode()


@pytest.mark.policy("ACC-1", "NOT-1")
def test_every_page_from_the_urlconf_has_the_privacy_footer_signed_in_and_out(client, acme):
    officer = create_officer(email="officer@softhelpers.test", password=PASSWORD, actor=None)
    checked, missing = set(), []
    for who in (None, acme.owner, officer):
        client.logout()
        if who is officer:
            verified_login(client, who)  # staff open the admin only after the second step
        elif who is not None:
            client.force_login(who)
        for route in ROUTES:
            if route.name.startswith("admin:") and who is not officer:
                continue
            path = _path(route, acme) if not route.name.startswith("admin:") or not route.params else None
            if path is None:
                continue  # admin pages of one object: their list and add pages stand for them
            body = _html(client.get(path))
            if body is None or not body.strip():
                continue
            checked.add(path)
            if not all(link in body for link in FOOTER):
                missing.append((route.name, path, getattr(who, "email", "visitor")))
    assert missing == []
    for page in ("/privacy/", "/privacy/versions/", "/privacy/officer/", "/privacy/contact/", "/accounts/login/",
                 "/accounts/signup/", "/companies/", "/cookies/", "/admin/", "/admin/privacy/policyversion/"):
        assert page in checked, page
