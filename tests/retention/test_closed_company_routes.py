"""CON-3: once closed, every page and API route of the company answers 404 (or 405) to its own owner."""

from __future__ import annotations

import pytest

from retention import services
from retention.models import ScheduledPurge
from tests.security.test_tenant_isolation import COMPANY_ROUTES, METHODS, _client_for, _url

pytestmark = [pytest.mark.django_db, pytest.mark.policy("CON-3")]


@pytest.mark.parametrize("route", COMPANY_ROUTES, ids=lambda r: r.name)
def test_closed_company_is_gone_by_every_route_and_method(route, acme, client, api_client):
    url = _url(route, acme.company.pk, acme, own=True)  # a working URL while the company is active
    services.close_company(company=acme.company, actor=acme.owner, reason=ScheduledPurge.Reason.OWNER)
    http = _client_for(route, acme.owner, client, api_client)
    extra = {"format": "json"} if route.is_api else {}
    for method in METHODS:
        response = getattr(http, method)(url, data={"name": "after closing"}, **extra)
        body = b"".join(response.streaming_content) if response.streaming else response.content
        assert b"ACMESECRET" not in body
        if route.name == "retention:shutdown-confirm" and method in ("get", "post"):
            assert response.status_code == 410, (method, response.status_code)  # "already closed" page
        else:
            assert response.status_code in (404, 405), (method, response.status_code)
