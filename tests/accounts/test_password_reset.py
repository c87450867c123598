"""SAF-3: a locked-out owner gets back in by an emailed one-time link, and the old sessions and tokens end."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from django.contrib.auth.tokens import PasswordResetTokenGenerator, default_token_generator
from django.test import Client, override_settings
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from knox.models import AuthToken

from accounts import outbox
from accounts.mail import list_mail_files
from accounts.models import AuditEvent, User
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.django_db]

NEW_PASSWORD = "a-brand-new-password-77"
LINK = re.compile(r"https?://[^/\s]+(/accounts/password/reset/[^/\s]+/[^/\s]+/)")


@pytest.fixture
def eml_dir(tmp_path: Path):
    with override_settings(EMAIL_BACKEND="accounts.mail.EmlFileBackend", MAIL_DIR=tmp_path / "mail"):
        yield tmp_path / "mail"


def _ask(client: Client, email: str):
    return client.post("/accounts/password/reset/", {"email": email})


def _reset_mails() -> list[Path]:
    return [f for f in list_mail_files() if "Subject: Choose a new password" in f.read_text(errors="replace")]


def _link(user: User) -> str:
    (mail,) = [f for f in _reset_mails() if user.email in f.read_text(errors="replace")]
    match = LINK.search(mail.read_text())
    assert match, mail.read_text()
    return match.group(1)


@pytest.mark.policy("SAF-3")
def test_the_same_answer_whether_or_not_the_address_has_an_account(client, alice, eml_dir):
    known, unknown = _ask(client, alice.email), _ask(client, "nobody-here@example.com")
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"] == "/accounts/password/reset/sent/"
    outbox.sweep()
    assert len(_reset_mails()) == 1
    page = client.get("/accounts/password/reset/sent/").content.decode()
    assert "If an account uses that address" in page


@pytest.mark.policy("SAF-3")
def test_the_link_survives_a_scanner_then_sets_the_password_once_and_ends_other_sessions_and_tokens(
        client, alice, eml_dir):
    elsewhere = Client()
    elsewhere.force_login(alice)
    assert elsewhere.get("/companies/").status_code == 200
    AuthToken.objects.create(user=alice)
    _ask(client, alice.email)
    outbox.sweep()
    link = _link(alice)
    scanner = Client()
    assert scanner.get(link, follow=True).status_code == 200  # a mail scanner opens it: nothing changes
    alice.refresh_from_db()
    assert alice.check_password(PASSWORD)
    form = client.get(link, follow=True)
    assert "Choose a new password" in form.content.decode()
    saved = client.post(form.redirect_chain[-1][0], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert saved.status_code == 302 and saved["Location"] == "/accounts/password/reset/done/"
    alice.refresh_from_db()
    assert alice.check_password(NEW_PASSWORD)
    assert elsewhere.get("/companies/").status_code == 302  # the other session is logged out
    assert not AuthToken.objects.filter(user=alice).exists()
    assert AuditEvent.objects.filter(event=AuditEvent.Event.PASSWORD_CHANGED, subject_id=alice.pk,
                                     data__how="reset", data__api_tokens_ended=1).exists()
    again = Client().get(link, follow=True).content.decode()
    assert "This link no longer works" in again


@pytest.mark.policy("SAF-3")
def test_an_expired_link_no_longer_works(client, alice):
    class Earlier(PasswordResetTokenGenerator):
        def _now(self) -> datetime:
            return super()._now() - timedelta(seconds=3601)  # PASSWORD_RESET_TIMEOUT is one hour

    old = Earlier().make_token(alice)
    assert not default_token_generator.check_token(alice, old)
    uid = urlsafe_base64_encode(force_bytes(alice.pk))
    page = client.get(f"/accounts/password/reset/{uid}/{old}/", follow=True).content.decode()
    assert "This link no longer works" in page and "new_password1" not in page


@pytest.mark.policy("SAF-3")
def test_no_link_for_an_anonymised_account_and_at_most_three_an_hour(client, alice, eml_dir):
    for _ in range(5):
        _ask(client, alice.email)
    gone = User.objects.create_user(email="gone@example.com", password=PASSWORD)
    gone.set_unusable_password()
    gone.save()
    _ask(client, gone.email)
    outbox.sweep()
    assert len(_reset_mails()) == 3


@pytest.mark.policy("SAF-3")
def test_changing_the_password_keeps_this_session_and_ends_the_others_and_the_tokens(client, alice):
    elsewhere = Client()
    elsewhere.force_login(alice)
    AuthToken.objects.create(user=alice)
    client.force_login(alice)
    changed = client.post("/accounts/password/change/", {
        "old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert changed.status_code == 302
    assert client.get("/companies/").status_code == 200
    assert elsewhere.get("/companies/").status_code == 302
    assert not AuthToken.objects.filter(user=alice).exists()


def test_login_and_lockout_pages_link_the_reset(client):
    assert 'href="/accounts/password/reset/">Forgot your password?' in client.get("/accounts/login/").content.decode()


@pytest.mark.policy("SAF-3")
def test_a_locked_out_owner_who_resets_the_password_can_log_in_at_once(client, alice, eml_dir):
    address = "203.0.113.50"
    for _ in range(5):
        client.post("/accounts/login/", {"username": alice.email, "password": "wrong-password-1"}, REMOTE_ADDR=address)
    locked = client.post("/accounts/login/", {"username": alice.email, "password": PASSWORD}, REMOTE_ADDR=address)
    assert "Too many failed log-in attempts" in locked.content.decode()
    assert 'href="/accounts/password/reset/"' in locked.content.decode()
    _ask(client, alice.email)
    outbox.sweep()
    form = client.get(_link(alice), follow=True, REMOTE_ADDR=address)
    client.post(form.redirect_chain[-1][0], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
                REMOTE_ADDR=address)
    logged_in = client.post("/accounts/login/", {"username": alice.email, "password": NEW_PASSWORD},
                            REMOTE_ADDR=address)
    assert logged_in.status_code == 302 and logged_in["Location"] == "/companies/"
