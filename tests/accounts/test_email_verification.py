"""CON-4: the owner's address is proven before Shutdown Company or the export can use it."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from django.test import Client, override_settings

from accounts import outbox, services, verification
from accounts.mail import list_mail_files
from accounts.models import AuditEvent, Membership, User
from consent import invitations
from privacy.models import DataExport
from retention.models import ShutdownRequest
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.django_db]

LINK = re.compile(r"https?://[^/\s]+(/accounts/verify/[^/\s]+/)")
BANNER = "Please confirm your email address"


@pytest.fixture
def eml_dir(tmp_path: Path):
    with override_settings(EMAIL_BACKEND="accounts.mail.EmlFileBackend", MAIL_DIR=tmp_path / "mail"):
        yield tmp_path / "mail"


def _sign_up(client: Client, email: str = "erin@example.com") -> User:
    response = client.post("/accounts/signup/", {"full_name": "Erin", "email": email, "password": PASSWORD,
                                                 "company_name": "Erin's Ltd"})
    assert response.status_code == 302
    return User.objects.get(email=email)


def _links() -> list[str]:
    return [m.group(1) for f in list_mail_files() if (m := LINK.search(f.read_text()))]


@pytest.mark.policy("CON-4")
def test_the_welcome_link_survives_a_scanner_and_proves_the_address_once(client, eml_dir):
    user = _sign_up(client)
    outbox.sweep()
    (link,) = _links()
    scanner = Client()
    assert "Confirm my email address" in scanner.get(link).content.decode()
    user.refresh_from_db()
    assert not user.email_verified
    assert BANNER in client.get("/companies/").content.decode()
    done = client.post(link)
    assert done.status_code == 200 and "your email address is confirmed" in done.content.decode()
    user.refresh_from_db()
    assert user.email_verified
    assert BANNER not in client.get("/companies/").content.decode()
    assert "There is nothing more to do with this link." in Client().get(link).content.decode()
    client.post(link)
    assert AuditEvent.objects.filter(event=AuditEvent.Event.EMAIL_VERIFIED, subject_id=user.pk).count() == 1


@pytest.mark.policy("CON-4")
def test_an_expired_link_or_one_made_for_an_older_address_proves_nothing(client, monkeypatch, settings):
    user = User.objects.create_user(email="old@example.com", password=PASSWORD)
    real = time.time()
    monkeypatch.setattr(time, "time", lambda: real - (settings.ACCOUNTS_VERIFY_EMAIL_DAYS * 86400 + 60))
    expired = verification.make_token(user)
    monkeypatch.setattr(time, "time", lambda: real)
    fresh = verification.make_token(user)
    User.objects.filter(pk=user.pk).update(email="new@example.com")
    for token in (expired, fresh, "made-up"):
        page = client.get(f"/accounts/verify/{token}/")
        assert page.status_code == 410 and "This link no longer works" in page.content.decode()
        assert client.post(f"/accounts/verify/{token}/").status_code == 410
    user.refresh_from_db()
    assert not user.email_verified


@pytest.mark.policy("CON-4")
def test_an_unverified_owner_can_use_the_app_but_not_shut_down_or_export(client, eml_dir):
    user = _sign_up(client)
    company_id = Membership.objects.get(user=user).company_id
    assert client.get(f"/c/{company_id}/contacts/").status_code == 200
    refused = client.post(f"/companies/{company_id}/shutdown/", {"password": PASSWORD}, follow=True)
    assert "Confirm your email address first" in refused.content.decode()
    refused = client.post(f"/companies/{company_id}/export/", follow=True)
    assert "Confirm your email address first" in refused.content.decode()
    assert not ShutdownRequest.objects.exists() and not DataExport.objects.exists()
    outbox.sweep()
    client.post(_links()[0])
    client.post(f"/companies/{company_id}/shutdown/", {"password": PASSWORD})
    assert ShutdownRequest.objects.filter(owner=user).count() == 1


@pytest.mark.policy("CON-4")
def test_a_new_link_on_request_at_most_three_an_hour_with_the_welcome(client, eml_dir):
    user = _sign_up(client)
    for _ in range(4):
        assert client.post("/accounts/verify/resend/", {"next": "/companies/"})["Location"] == "/companies/"
    outbox.sweep()
    assert len(_links()) == 3  # the welcome email's and two more
    client.post(_links()[-1])
    user.refresh_from_db()
    assert user.email_verified and not services.send_email_verification(user=user)


@pytest.mark.policy("CON-4")
def test_an_invitee_who_signs_up_through_the_link_has_a_proven_address(acme):
    from tests.consent.test_invitations import _token

    invitation = invitations.invite(company=acme.company, name="Gil Guest", email="gil@guest.example",
                                    role="guest", actor=acme.owner)
    token = _token(invitation)
    user = invitations.accept_with_new_account(token=token, password=PASSWORD, full_name="Gil Guest", consents=[])
    assert user.email_verified
