"""The ledger API: CRUD through services, constant queries per list, clear 4xx for bad input."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from knox.models import AuthToken

from accounts.tenancy import tenant_context
from ledger import services
from ledger.models import BankConnection, Contact, Invoice

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice_api(acme, api_client):
    _, token = AuthToken.objects.create(user=acme.owner)
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return api_client


def base(tenant, resource: str) -> str:
    return f"/api/v1/companies/{tenant.company.pk}/{resource}/"


def test_token_endpoint_returns_a_working_token(acme, api_client):
    response = api_client.post("/api/v1/auth/token/", {"email": "ALICE@acme.example",
                                                        "password": "a-long-test-password-42"}, format="json")
    assert response.status_code == 200
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    companies = api_client.get("/api/v1/companies/").json()
    assert [c["id"] for c in companies] == [acme.company.pk]
    assert companies[0]["role"] == "owner"


def test_token_endpoint_rejects_wrong_password_and_missing_fields(acme, api_client):
    wrong = api_client.post("/api/v1/auth/token/", {"email": "alice@acme.example", "password": "nope"}, format="json")
    assert wrong.status_code == 400
    assert "token" not in wrong.json()
    missing = api_client.post("/api/v1/auth/token/", {"email": "not-an-email"}, format="json")
    assert missing.status_code == 400
    assert set(missing.json()) == {"email", "password"}


def test_unauthenticated_requests_are_refused(acme, api_client):
    assert api_client.get("/api/v1/companies/").status_code == 401
    assert api_client.get(base(acme, "contacts")).status_code == 401


def test_create_read_update_delete_contact(acme, alice_api):
    created = alice_api.post(base(acme, "contacts"), {"name": "Zed", "email": "zed@example.com"}, format="json")
    assert created.status_code == 201, created.content
    url = f"{base(acme, 'contacts')}{created.json()['id']}/"
    assert alice_api.get(url).json()["email"] == "zed@example.com"
    assert alice_api.patch(url, {"phone": "+1 555"}, format="json").json()["phone"] == "+1 555"
    assert alice_api.delete(url).status_code == 204
    assert alice_api.get(url).status_code == 404


def test_invoice_with_lines_and_total(acme, alice_api):
    response = alice_api.post(base(acme, "invoices"), {
        "contact": acme.contact.pk, "number": "INV-9", "issue_date": "2026-03-01", "due_date": "2026-03-31",
        "lines": [{"description": "Work", "quantity": "3", "unit_price": "10.50"},
                  {"description": "Travel", "quantity": "1", "unit_price": "4.00"}],
    }, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["total"] == "35.50"
    assert [line["description"] for line in body["lines"]] == ["Work", "Travel"]
    with tenant_context(acme.company.pk):
        assert {line.company_id for line in Invoice.objects.get(pk=body["id"]).lines.all()} == {acme.company.pk}


@pytest.mark.parametrize("payload, field", [
    ({"contact": 999999, "number": "A", "lines": [{"description": "x", "quantity": "1", "unit_price": "1"}]}, "contact"),
    ({"contact": None, "number": "A", "lines": []}, "contact"),
    ({"number": "A", "lines": [{"description": "x", "quantity": "abc", "unit_price": "1"}]}, "lines"),
    ({"number": "A" * 41, "lines": []}, "number"),
    ({"number": "B", "issue_date": "2026-02-30", "lines": []}, "issue_date"),
    ({"number": "ACMESECRET-001", "lines": [{"description": "x", "quantity": "1", "unit_price": "1"}]}, "number"),
    ({"number": "C", "lines": []}, "lines"),
    ({"number": "D", "issue_date": "2026-05-01", "due_date": "2026-04-01",
      "lines": [{"description": "x", "quantity": "1", "unit_price": "1"}]}, None),
])
def test_invalid_invoices_get_a_clear_400(acme, alice_api, payload, field):
    payload = {"contact": acme.contact.pk, **payload}
    response = alice_api.post(base(acme, "invoices"), payload, format="json")
    assert response.status_code == 400, response.content
    if field:
        assert field in response.json()


def test_reference_to_another_companys_record_is_a_400(acme, globex, alice_api):
    response = alice_api.post(base(acme, "bank-transactions"), {
        "bank_account": globex.bank_account.pk, "booked_on": "2026-01-01", "description": "x", "amount": "1.00",
    }, format="json")
    assert response.status_code == 400
    assert "bank_account" in response.json()
    assert b"GLOBEXSECRET" not in response.content


def test_malformed_json_is_a_400(acme, alice_api):
    response = alice_api.generic("POST", base(acme, "contacts"), "{not json", content_type="application/json")
    assert response.status_code == 400


def test_deleting_a_contact_with_invoices_is_a_409(acme, alice_api):
    response = alice_api.delete(f"{base(acme, 'contacts')}{acme.contact.pk}/")
    assert response.status_code == 409
    with tenant_context(acme.company.pk):
        assert Contact.objects.filter(pk=acme.contact.pk).exists()


@pytest.mark.policy("SHR-1")
@pytest.mark.policy("CON-2")
def test_bank_credentials_are_never_returned(acme, alice_api):
    listing = alice_api.get(base(acme, "bank-connections"))
    created = alice_api.post(base(acme, "bank-connections"), {
        "bank_account": acme.bank_account.pk, "provider": "Bank", "login_name": "me", "credentials": "s3cret-pw",
    }, format="json")
    assert created.status_code == 201
    detail = alice_api.get(f"{base(acme, 'bank-connections')}{created.json()['id']}/")
    for response in (listing, created, detail):
        assert b"bank-password" not in response.content and b"s3cret-pw" not in response.content
    assert detail.json()["has_credentials"] is True
    assert "credentials" not in detail.json()


@pytest.mark.policy("CON-2")
def test_disconnect_deletes_credentials(acme):
    with tenant_context(acme.company.pk):
        services.disconnect_bank(company=acme.company, actor=acme.owner, connection=acme.bank_connection)
        fresh = BankConnection.objects.get(pk=acme.bank_connection.pk)
    assert fresh.credentials == ""
    assert fresh.status == BankConnection.Status.DISCONNECTED


def _seed_invoices(tenant, count: int) -> None:
    with tenant_context(tenant.company.pk):
        for i in range(count):
            services.save_invoice(company=tenant.company, actor=None, invoice=None,
                                  fields={"contact": tenant.contact, "number": f"N-{i}"},
                                  lines=[{"description": "x", "quantity": Decimal("1"), "unit_price": Decimal("2")}] * 2)


@pytest.mark.parametrize("resource", ["contacts", "invoices", "bank-accounts", "bank-connections", "bank-transactions"])
def test_list_queries_do_not_grow_with_page_size(acme, alice_api, resource):
    _seed_invoices(acme, 30)
    alice_api.get(base(acme, resource))  # the hour's first request also notes her last seen (one UPDATE)
    counts = []
    for size in (2, 30):
        with CaptureQueriesContext(connection) as queries:
            response = alice_api.get(base(acme, resource), {"page_size": size})
        assert response.status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1], counts
    assert counts[1] <= 8


def test_list_paginates(acme, alice_api):
    _seed_invoices(acme, 30)
    page = alice_api.get(base(acme, "invoices"), {"page_size": 10}).json()
    assert page["count"] == 31
    assert len(page["results"]) == 10
    assert page["next"]


def test_api_docs_are_self_hosted_with_no_inline_script(acme, client):
    client.force_login(acme.owner)
    page = client.get("/api/docs/")
    assert page.status_code == 200
    html = page.content.decode()
    scripts = re.findall(r"<script([^>]*)>", html)
    assert scripts and all("src=" in attrs for attrs in scripts)
    assert "cdn" not in html.lower()
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    assert "/api/v1/companies/{company_id}/invoices/" in schema["paths"]
