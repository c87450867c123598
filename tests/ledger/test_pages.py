"""The ledger and company pages: add, edit, view, delete, by role, with clear errors."""

from __future__ import annotations

import pytest

from accounts.tenancy import tenant_context
from ledger.models import Contact, Invoice

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice_client(acme, client):
    client.force_login(acme.owner)
    return client


def test_company_selection_lists_only_my_companies(acme, globex, alice_client):
    page = alice_client.get("/companies/")
    assert b"Acme" in page.content and b"Globex" not in page.content
    assert b"Manage Soft Helpers" in page.content


def test_manage_tab_lists_members_and_roles(acme, bob, guest, alice_client):
    page = alice_client.get("/companies/manage/", follow=True)
    assert page.status_code == 200
    for text in (b"alice@acme.example", b"bob@acme.example", b"guest@acme.example", b"Owner", b"Member", b"Guest"):
        assert text in page.content


def test_create_a_second_company(acme, alice_client):
    response = alice_client.post("/companies/new/", {"name": "Acme Two"}, follow=True)
    assert response.status_code == 200
    assert b"Acme Two" in alice_client.get("/companies/").content
    assert alice_client.post("/companies/new/", {"name": ""}).status_code == 400


def test_add_contact_then_see_it_listed(acme, alice_client):
    base = f"/c/{acme.company.pk}/contacts/"
    response = alice_client.post(f"{base}new/", {"name": "Nora Page", "email": "nora@example.com"})
    assert response.status_code == 302
    assert b"Nora Page" in alice_client.get(base).content


def test_invalid_contact_shows_errors_with_400(acme, alice_client):
    response = alice_client.post(f"/c/{acme.company.pk}/contacts/new/", {"name": "", "email": "not-an-email"})
    assert response.status_code == 400
    assert b"This field is required" in response.content and b"valid email" in response.content


@pytest.mark.policy("ACCU-1")
def test_add_invoice_with_lines(acme, alice_client):
    data = {"contact": acme.contact.pk, "number": "P-1", "issue_date": "2026-04-01", "status": "draft",
            "currency": "USD", "lines-TOTAL_FORMS": "3", "lines-INITIAL_FORMS": "0",
            "lines-0-description": "Audit", "lines-0-quantity": "2", "lines-0-unit_price": "100",
            "lines-1-description": "", "lines-1-quantity": "", "lines-1-unit_price": ""}
    response = alice_client.post(f"/c/{acme.company.pk}/invoices/new/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    with tenant_context(acme.company.pk):
        invoice = Invoice.objects.get(number="P-1")
        assert [(line.description, line.amount) for line in invoice.lines.all()] == [("Audit", 200)]
    detail = alice_client.get(response["Location"])
    assert b"200.00" in detail.content and b"consult an accounting professional" in detail.content


def test_duplicate_invoice_number_is_a_form_error(acme, alice_client):
    data = {"contact": acme.contact.pk, "number": "ACMESECRET-001", "issue_date": "2026-04-01", "status": "draft",
            "currency": "USD", "lines-TOTAL_FORMS": "1", "lines-INITIAL_FORMS": "0",
            "lines-0-description": "x", "lines-0-quantity": "1", "lines-0-unit_price": "1"}
    response = alice_client.post(f"/c/{acme.company.pk}/invoices/new/", data)
    assert response.status_code == 400
    assert b"already has an invoice with this number" in response.content


def test_contact_in_use_cannot_be_deleted_and_says_why(acme, alice_client):
    response = alice_client.post(f"/c/{acme.company.pk}/contacts/{acme.contact.pk}/delete/", follow=True)
    assert b"still used by other records" in response.content
    with tenant_context(acme.company.pk):
        assert Contact.objects.filter(pk=acme.contact.pk).exists()


@pytest.mark.policy("SHR-1")
def test_bank_credentials_never_appear_on_pages(acme, alice_client):
    base = f"/c/{acme.company.pk}/bank-connections/{acme.bank_connection.pk}/"
    for url in (base, f"{base}edit/", f"/c/{acme.company.pk}/bank-connections/"):
        assert b"ACMESECRET-bank-password" not in alice_client.get(url).content
    assert b"Stored (never shown)" in alice_client.get(base).content


def test_editing_a_connection_without_credentials_keeps_them(acme, alice_client):
    url = f"/c/{acme.company.pk}/bank-connections/{acme.bank_connection.pk}/edit/"
    response = alice_client.post(url, {"bank_account": acme.bank_account.pk, "provider": "New name",
                                       "login_name": "me", "credentials": ""})
    assert response.status_code == 302
    with tenant_context(acme.company.pk):
        acme.bank_connection.refresh_from_db()
    assert acme.bank_connection.credentials == "ACMESECRET-bank-password"
    assert acme.bank_connection.provider == "New name"


@pytest.mark.policy("SAF-1")
def test_guest_can_read_but_not_open_write_pages(acme, guest, client):
    client.force_login(guest)
    assert client.get(f"/c/{acme.company.pk}/contacts/").status_code == 200
    assert client.get(f"/c/{acme.company.pk}/contacts/new/").status_code == 403
    assert client.post(f"/c/{acme.company.pk}/contacts/{acme.contact.pk}/delete/").status_code == 403


def test_anonymous_visitor_is_sent_to_login(acme, client):
    response = client.get(f"/c/{acme.company.pk}/contacts/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_signup_rejects_a_weak_password_and_a_taken_email(acme, client):
    weak = client.post("/accounts/signup/", {"full_name": "W", "email": "w@example.com", "password": "123",
                                             "company_name": "W"})
    assert weak.status_code == 200 and b"too short" in weak.content
    taken = client.post("/accounts/signup/", {"full_name": "A", "email": "Alice@Acme.example",
                                              "password": "a-long-test-password-42", "company_name": "A"})
    assert b"already exists" in taken.content
