"""PUR-1, CON-6: messages for a purpose go only to who consents at send time, each with a one-click unsubscribe."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from email import policy as email_policy
from email.parser import BytesParser
from pathlib import Path

import pytest
from django.conf import settings
from django.core import mail
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test import override_settings
from django.test.client import MULTIPART_CONTENT

from accounts import outbox
from accounts.mail import list_mail_files
from accounts.models import AuditEvent, User
from consent import services, tokens
from consent.models import ConsentEvent, Method, PurposeMessage, UnsubscribeToken
from tests.conftest import PASSWORD, verified_login

pytestmark = [pytest.mark.django_db]

NOW = datetime(2031, 3, 4, 10, 0, tzinfo=UTC)
UNSUBSCRIBE = re.compile(r"https?://[^/\s<>]+/email/unsubscribe/([0-9a-f]{64})/")


def _users(count: int, *, purpose: str = "newsletter") -> list[User]:
    users = []
    for n in range(count):
        user = User.objects.create_user(email=f"{purpose}-reader{n}@example.com", password=PASSWORD)
        services.set_user_consents(user=user, choices={purpose: True}, method=Method.SETTINGS_FORM, actor=user, now=NOW)
        users.append(user)
    return users


def _send(purpose: str = "newsletter", subject: str = "Spring news") -> PurposeMessage:
    message = services.create_message(purpose=purpose, subject=subject, text="Hello from Soft Helpers.", actor=None)
    return services.queue_message(message=message, actor=None, now=NOW)


@pytest.fixture
def eml_dir(tmp_path: Path):
    with override_settings(EMAIL_BACKEND="accounts.mail.EmlFileBackend", MAIL_DIR=tmp_path / "mail"):
        yield tmp_path / "mail"


@pytest.mark.policy("PUR-1")
def test_fifty_queued_five_withdraw_before_the_worker_runs_exactly_45_emails(eml_dir):
    users = _users(50)
    outsider = User.objects.create_user(email="never@example.com", password=PASSWORD)
    message = _send()
    assert message.recipients == 50 and message.status == PurposeMessage.Status.SENDING
    for user in users[:5]:
        services.set_user_consents(user=user, choices={"newsletter": False}, method=Method.SETTINGS_FORM, actor=user)
    outbox.sweep()
    files = list_mail_files()
    assert len(files) == 45
    recipients = {BytesParser(policy=email_policy.default).parsebytes(f.read_bytes())["to"] for f in files}
    assert recipients == {u.email for u in users[5:]} and outsider.email not in recipients
    message.refresh_from_db()
    assert (message.sent, message.skipped, message.status, message.progress) == (45, 5, PurposeMessage.Status.SENT, 100)
    assert AuditEvent.objects.filter(event=AuditEvent.Event.MESSAGE_QUEUED, subject_id=message.pk,
                                     data__recipients=50).exists()


@pytest.mark.policy("PUR-1")
def test_outbox_rows_hold_ids_only():
    _users(2)
    message = _send()
    payloads = [m.payload for m in outbox.OutboxMessage.objects.filter(handler="consent.deliver_message")]
    assert sorted(p["user_id"] for p in payloads) == sorted(User.objects.values_list("pk", flat=True))
    assert all(set(p) == {"message_id", "user_id"} and p["message_id"] == message.pk for p in payloads)


def _one_line(raw: bytes, name: bytes) -> bytes:
    lines = [line for line in raw.split(b"\r\n\r\n", 1)[0].replace(b"\r\n", b"\n").split(b"\n")
             if line.lower().startswith(name.lower() + b":")]
    assert len(lines) == 1, (name, lines)
    return lines[0]


@pytest.mark.policy("PUR-1")
def test_the_email_carries_rfc_8058_headers_once_each_on_one_line_and_the_link_in_both_bodies(eml_dir):
    (user,) = _users(1)
    _send()
    outbox.sweep()
    (path,) = list_mail_files()
    raw = path.read_bytes()
    header = raw.split(b"\n\n", 1)[0].split(b"\r\n\r\n", 1)[0]
    site = settings.SITE_URL.rstrip("/").encode()
    unsubscribe = _one_line(raw, b"List-Unsubscribe")
    match = re.fullmatch(rb"List-Unsubscribe: <" + re.escape(site) + rb"/email/unsubscribe/([0-9a-f]{64})/>", unsubscribe)
    assert match, unsubscribe
    token = match.group(1).decode()
    assert _one_line(raw, b"List-Unsubscribe-Post") == b"List-Unsubscribe-Post: List-Unsubscribe=One-Click"
    assert re.fullmatch(rb"List-Id: Soft Helpers Newsletter <newsletter\.[a-z0-9.-]+>", _one_line(raw, b"List-Id"))
    assert not re.search(rb"^\s+", header.split(b"List-Unsubscribe:", 1)[1].split(b"\n", 1)[1], re.M)  # not folded
    parsed = BytesParser(policy=email_policy.default).parsebytes(raw)
    text = parsed.get_body(("plain",)).get_content()
    html = parsed.get_body(("html",)).get_content()
    link = f"{settings.SITE_URL.rstrip('/')}/email/unsubscribe/{token}/"
    assert link in text and f'href="{link}"' in html and f">{link}<" in html
    # The token names no one: no email, no id, and the database holds only its hash.
    assert user.email.split("@")[0] not in token and str(user.pk) != token
    row = UnsubscribeToken.objects.get(user=user, purpose="newsletter")
    assert token not in {row.salt, row.token_hash} and len(token) * 4 >= 128


@pytest.mark.policy("CON-6")
def test_administrative_mail_carries_no_unsubscribe(client, eml_dir):
    client.post("/accounts/signup/", {"full_name": "Erin", "email": "erin@example.com", "password": PASSWORD,
                                      "company_name": "Erin Ltd", "consent_newsletter": "on"})
    outbox.sweep()
    (welcome,) = list_mail_files()
    raw = welcome.read_bytes()
    assert b"List-Unsubscribe" not in raw and b"/email/unsubscribe/" not in raw


def _token(user: User, purpose: str = "newsletter") -> str:
    return tokens.token_for(user_id=user.pk, purpose=purpose)


@pytest.mark.policy("PUR-1")
def test_get_shows_the_button_and_changes_nothing(client):
    (user,) = _users(1)
    response = client.get(f"/email/unsubscribe/{_token(user)}/")
    assert response.status_code == 200 and "Stop these emails" in response.content.decode()
    assert ConsentEvent.objects.filter(user=user).count() == 1 and not response.cookies


@pytest.mark.policy("PUR-1")
@pytest.mark.parametrize("encoding", ["urlencoded", "multipart"])
def test_one_click_post_without_cookies_withdraws_that_purpose_only(encoding):
    from django.test import Client

    (user,) = _users(1)
    services.set_user_consents(user=user, choices={"product_info": True}, method=Method.API, actor=user, now=NOW)
    client = Client(enforce_csrf_checks=True)  # as a mail provider: no cookie, no CSRF token
    url = f"/email/unsubscribe/{_token(user)}/"
    if encoding == "urlencoded":
        response = client.post(url, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded")
    else:
        response = client.post(url, {"List-Unsubscribe": "One-Click"}, content_type=MULTIPART_CONTENT)
    assert response.status_code == 200 and not response.cookies and "Set-Cookie" not in response.headers
    newest = ConsentEvent.objects.filter(user=user).order_by("-id").first()
    assert (newest.purpose, newest.granted, newest.method) == ("newsletter", False, Method.ONE_CLICK)
    assert services.selectors.has_consent(user_id=user.pk, purpose="product_info")
    client.post(url, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded")
    assert ConsentEvent.objects.filter(user=user).count() == 3  # the repeat changed nothing


@pytest.mark.policy("PUR-1")
def test_the_page_button_withdraws_with_its_own_method(client):
    (user,) = _users(1)
    response = client.post(f"/email/unsubscribe/{_token(user)}/")
    assert response.status_code == 200 and "no more" in response.content.decode()
    assert ConsentEvent.objects.filter(user=user).order_by("-id").first().method == Method.UNSUBSCRIBE_PAGE


@pytest.mark.parametrize("token", ["0" * 64, "not-a-token", "A" * 64, "0" * 63])
def test_unknown_or_malformed_tokens_answer_404(client, token):
    _users(1)
    assert client.get(f"/email/unsubscribe/{token}/").status_code == 404
    assert client.post(f"/email/unsubscribe/{token}/", {"List-Unsubscribe": "One-Click"}).status_code == 404


@pytest.mark.policy("PUR-1")
def test_send_message_command_queues_for_the_consenting_only(tmp_path, capsys):
    _users(3)
    _users(1, purpose="product_info")  # consents to another purpose only
    text = tmp_path / "news.txt"
    text.write_text("Our spring newsletter.")
    call_command("send_message", purpose="newsletter", subject="Spring", text_file=text)
    assert "queued to 3 consenting user(s)" in capsys.readouterr().out
    outbox.sweep()
    assert len([m for m in mail.outbox if m.subject == "Spring"]) == 3


def test_send_message_command_errors_in_one_line(tmp_path):
    with pytest.raises(CommandError, match="Cannot read the text file"):
        call_command("send_message", purpose="newsletter", subject="S", text_file=tmp_path / "missing.txt")
    with pytest.raises(CommandError):
        call_command("send_message", purpose="support_access", subject="S", text_file=tmp_path / "x")


@pytest.mark.policy("PUR-1")
def test_the_officer_composes_and_sends_from_the_admin_and_sees_progress(client, staff):
    _users(2)
    verified_login(client, staff)
    response = client.post("/admin/consent/purposemessage/add/",
                           {"purpose": "newsletter", "subject": "Admin news", "text": "Hello"})
    assert response.status_code == 302, response.content
    message = PurposeMessage.objects.get(subject="Admin news")
    assert message.created_by_id == staff.pk and message.status == PurposeMessage.Status.DRAFT
    response = client.post("/admin/consent/purposemessage/", {"action": "send", "_selected_action": [message.pk]},
                           follow=True)
    assert "2 recipient(s) queued" in response.content.decode()
    outbox.sweep()
    page = client.get("/admin/consent/purposemessage/").content.decode()
    assert "100%" in page and len([m for m in mail.outbox if m.subject == "Admin news"]) == 2
    services.queue_message(message=message, actor=None)  # sending again sends nothing more
    outbox.sweep()
    assert len([m for m in mail.outbox if m.subject == "Admin news"]) == 2


@pytest.mark.policy("PUR-1")
def test_no_api_response_and_no_admin_action_hands_out_email_addresses(client, staff, superuser):
    from django.contrib import admin
    from django.test import RequestFactory

    schema = client.get("/api/schema/?format=json").json()

    def walk(node, path):
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "properties" and isinstance(value, dict):
                    yield from ((f"{path}.{name}", name) for name in value)
                yield from walk(value, f"{path}.{key}")
        elif isinstance(node, list):
            for item in node:
                yield from walk(item, path)

    components = schema["components"]["schemas"]
    request_only = {"TokenRequest", "TokenRequestRequest"}  # the login body: the caller's own email
    emails = [where for name, body in components.items() if name not in request_only
              for where, prop in walk(body, name) if "email" in prop.lower()]
    # Only the caller's own tenant records carry an email: their contacts, and the pending invitations
    # an owner sent (each deleted at expiry), within their company.
    assert all(where.split(".")[0].startswith(("Contact", "PatchedContact", "Invitation")) for where in emails), emails
    for user in (staff, superuser):
        request = RequestFactory().get("/admin/")
        request.user = user
        actions = {name for model_admin in admin.site._registry.values() for name in model_admin.get_actions(request)}
        assert actions <= {"release", "send", "publish", "delete_selected"}, actions
    with connection.cursor() as cursor:  # and no table of ours keeps a copy of a recipient list
        cursor.execute("SELECT table_name, column_name FROM information_schema.columns "
                       "WHERE table_name LIKE 'consent_%%' AND column_name LIKE '%%email%%'")
        # An invitation's own invitee (sealed) and its keyed blind index: one person each, not a list.
        assert set(cursor.fetchall()) == {("consent_invitation", "email"), ("consent_invitationlocator", "email_index")}


@pytest.mark.policy("PUR-1")
@override_settings(GA_MEASUREMENT_ID="G-TEST1234")
def test_the_unsubscribe_answers_set_no_cookie_even_with_analytics_on_and_a_session(client):
    (user,) = _users(1)
    client.force_login(user)
    url = f"/email/unsubscribe/{_token(user)}/"
    for response in (client.get(url), client.post(url, {"List-Unsubscribe": "One-Click"})):
        assert response.status_code == 200 and not response.cookies, response.cookies
        assert "Accept analytics cookies" not in response.content.decode()
