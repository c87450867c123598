"""CON-3, CON-4, CON-6, CON-7: Shutdown Company, exactly as the policy words it, and nothing more.

The link is single-use, expires, is bound to its owner and company; opening it changes nothing.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection
from django.utils import timezone
from knox.models import AuthToken

from accounts import outbox
from accounts.models import AuditEvent, Company, Membership
from accounts.tenancy import tenant_context
from ledger.models import BankConnection, Contact, Invoice
from retention.models import ScheduledPurge, ShutdownRequest
from tests.conftest import PASSWORD, add_member
from tests.retention.conftest import ask_for_shutdown, latest_link

pytestmark = [pytest.mark.django_db, pytest.mark.policy("CON-3"), pytest.mark.policy("CON-4")]


def _status(company: Company) -> str:
    return Company.objects.get(pk=company.pk).status


def test_manage_tab_ends_with_shutdown_company_for_the_owner_only(client, acme, bob):
    client.force_login(acme.owner)
    page = client.get(f"/companies/{acme.company.pk}/manage/").content.decode()
    assert page.rstrip().rfind("Shutdown Company") > page.find("Support access") > 0  # at the bottom
    step = client.get(f"/companies/{acme.company.pk}/shutdown/").content.decode()
    assert "Yes, Shutdown Now." in step and "Your password" in step and "Export your data" in step
    client.force_login(bob)
    assert "Shutdown Company" not in client.get(f"/companies/{acme.company.pk}/manage/").content.decode()
    assert client.get(f"/companies/{acme.company.pk}/shutdown/").status_code == 403
    assert client.post(f"/companies/{acme.company.pk}/shutdown/", {"password": PASSWORD}).status_code == 403
    with tenant_context(acme.company.pk):
        assert not ShutdownRequest.objects.exists()


@pytest.mark.policy("SAF-3")
def test_wrong_password_sends_nothing(client, acme):
    client.force_login(acme.owner)
    response = client.post(f"/companies/{acme.company.pk}/shutdown/", {"password": "not-my-password"})
    assert response.status_code == 400 and "That password is not correct." in response.content.decode()
    outbox.sweep()
    assert not [m for m in mail.outbox if "Confirm: close" in m.subject]
    with tenant_context(acme.company.pk):
        assert not ShutdownRequest.objects.exists()


def test_email_link_is_stored_only_as_a_hash_and_carries_256_bits(client, acme):
    path = ask_for_shutdown(client, acme)
    token = path.rstrip("/").rsplit("/", 1)[1]
    message = mail.outbox[-1]
    assert message.to == [acme.owner.email]
    assert "closed by its rightful account holder" in message.body
    assert len(token) == 64
    with connection.cursor() as cursor:  # no table, no outbox payload holds the token
        cursor.execute("SELECT count(*) FROM accounts_outboxmessage WHERE payload::text LIKE %s", [f"%{token}%"])
        assert cursor.fetchone()[0] == 0
    with tenant_context(acme.company.pk):
        stored = ShutdownRequest.objects.get()
        assert token not in (stored.nonce, stored.token_hash) and len(stored.token_hash) == 64
        assert stored.expires_at - stored.created_at == timedelta(hours=24)


def test_opening_the_link_changes_nothing_for_scanners_or_the_owner(client, acme):
    path = ask_for_shutdown(client, acme)
    client.logout()
    scanner = client.get(path)  # a mail scanner, not logged in
    assert scanner.status_code == 302 and scanner["Location"].startswith("/accounts/login/?next=")
    client.force_login(acme.owner)
    page = client.get(path)
    assert page.status_code == 200
    assert "Yes, I am Lawful Owner please Shutdown Company" in page.content.decode()
    client.head(path)
    assert _status(acme.company) == Company.Status.ACTIVE
    with tenant_context(acme.company.pk):
        assert ShutdownRequest.objects.get().status == ShutdownRequest.Status.PENDING


def test_owner_logs_in_from_the_link_and_comes_back_to_it(client, acme):
    path = ask_for_shutdown(client, acme)
    client.logout()
    login = client.post(f"/accounts/login/?next={path}", {"username": acme.owner.email, "password": PASSWORD,
                                                          "next": path})
    assert login.status_code == 302 and login["Location"] == path


@pytest.mark.parametrize("who", ["member", "other_owner"])
def test_another_logged_in_user_cannot_complete_it(client, acme, bob, globex, who):
    path = ask_for_shutdown(client, acme)
    client.force_login(bob if who == "member" else globex.owner)
    for response in (client.get(path), client.post(path)):
        assert response.status_code == 403
        body = response.content.decode()
        assert "This link belongs to another account." in body and "Acme" not in body
    assert _status(acme.company) == Company.Status.ACTIVE


def test_confirming_closes_the_company_and_the_link_is_single_use(client, acme):
    path = ask_for_shutdown(client, acme)
    response = client.post(path)
    assert response.status_code == 302 and response["Location"] == "/companies/"
    assert _status(acme.company) == Company.Status.CLOSED
    again = client.post(path)
    assert again.status_code == 410 and "already closed" in again.content.decode()
    assert client.get(path).status_code == 410


def test_expired_replaced_and_cancelled_links_fail_and_change_nothing(client, acme):
    first = ask_for_shutdown(client, acme)
    second = ask_for_shutdown(client, acme)  # asking again replaces the earlier link
    assert first != second
    assert client.post(first).status_code == 410
    with tenant_context(acme.company.pk):
        ShutdownRequest.objects.filter(status="pending").update(expires_at=timezone.now() - timedelta(seconds=1))
    expired = client.post(second)
    assert expired.status_code == 410 and "This link has expired." in expired.content.decode()
    third = ask_for_shutdown(client, acme)
    assert client.post(f"/companies/{acme.company.pk}/shutdown/cancel/").status_code == 302
    assert client.post(third).status_code == 410
    assert client.get(third.replace(third[-10:], "0" * 9 + "/")).status_code == 404  # a made-up token
    assert _status(acme.company) == Company.Status.ACTIVE
    events = AuditEvent.objects.filter(company_id=acme.company.pk).values_list("event", flat=True)
    assert list(events).count(AuditEvent.Event.SHUTDOWN_REQUESTED) == 3
    assert AuditEvent.Event.SHUTDOWN_CANCELLED in events and AuditEvent.Event.COMPANY_CLOSED not in events


def test_link_of_one_company_does_not_close_another(client, acme, globex):
    path = ask_for_shutdown(client, acme)
    client.force_login(acme.owner)
    assert client.post(path.replace(f"/companies/{acme.company.pk}/", f"/companies/{globex.company.pk}/")
                       ).status_code == 404
    assert _status(acme.company) == _status(globex.company) == Company.Status.ACTIVE


@pytest.mark.policy("CON-2")
@pytest.mark.policy("CON-6")
@pytest.mark.policy("CON-7")
@pytest.mark.policy("RET-3")
def test_closing_ends_access_destroys_credentials_and_schedules_the_purge(client, api_client, acme, bob, guest):
    _, bob_token = AuthToken.objects.create(user=bob)
    path = ask_for_shutdown(client, acme)
    with tenant_context(acme.company.pk):
        invoice_before = Invoice.objects.values().get(pk=acme.invoice.pk)
    before = timezone.now()
    client.post(path)

    purge = ScheduledPurge.objects.get(company=acme.company)
    assert purge.due_at - purge.closed_at == timedelta(days=30) and purge.closed_at >= before
    assert purge.contact_email == acme.owner.email  # the one personal value used after closing (CON-6)
    with tenant_context(acme.company.pk):
        connection_ = BankConnection.objects.get(pk=acme.bank_connection.pk)
        assert connection_.credentials == "" and connection_.login_name == ""
        assert connection_.status == BankConnection.Status.DISCONNECTED
        assert Invoice.objects.values().get(pk=acme.invoice.pk) == invoice_before  # history not rewritten
        assert Contact.objects.filter(pk=acme.contact.pk).exists()  # deleted by the purge, not now
    assert not AuthToken.objects.filter(user=bob).exists()  # bob has no other company
    closed = AuditEvent.objects.get(event=AuditEvent.Event.COMPANY_CLOSED)
    assert closed.actor_id == acme.owner.pk and closed.data["reason"] == "owner"

    client.force_login(bob)
    assert client.get(f"/companies/{acme.company.pk}/").status_code == 404
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {bob_token}")
    assert api_client.get(f"/api/v1/companies/{acme.company.pk}/contacts/").status_code in (401, 404)

    outbox.sweep()
    confirmation = mail.outbox[-1]
    assert confirmation.to == [acme.owner.email]
    assert f"{purge.due_at:%Y-%m-%d}" in confirmation.subject and f"{purge.due_at:%Y-%m-%d}" in confirmation.body
    selection = client.get("/companies/")
    assert "No longer available" in selection.content.decode()


def test_members_of_another_company_keep_their_tokens_but_lose_this_one(client, api_client, acme, globex):
    dora = add_member(acme.company, email="dora@example.com", role=Membership.Role.MEMBER)
    Membership.objects.create(user=dora, company=globex.company, role=Membership.Role.GUEST)
    _, token = AuthToken.objects.create(user=dora)
    client.post(ask_for_shutdown(client, acme))
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert api_client.get(f"/api/v1/companies/{acme.company.pk}/contacts/").status_code == 404
    assert api_client.get(f"/api/v1/companies/{globex.company.pk}/contacts/").status_code == 200


def test_pending_request_is_shown_and_can_be_cancelled_from_manage(client, acme):
    ask_for_shutdown(client, acme)
    page = client.get(f"/companies/{acme.company.pk}/shutdown/").content.decode()
    assert "Waiting for your confirmation" in page and "Cancel shutdown" in page
    client.post(f"/companies/{acme.company.pk}/shutdown/cancel/")
    page = client.get(f"/companies/{acme.company.pk}/shutdown/").content.decode()
    assert "Waiting for your confirmation" not in page


def test_link_email_is_not_sent_once_replaced(client, acme):
    client.force_login(acme.owner)
    client.post(f"/companies/{acme.company.pk}/shutdown/", {"password": PASSWORD})
    client.post(f"/companies/{acme.company.pk}/shutdown/", {"password": PASSWORD})
    outbox.sweep()
    assert len([m for m in mail.outbox if "Confirm: close" in m.subject]) == 1
    assert latest_link(acme.owner.email)
