"""GST-1..4: invitations by name and email, one email with a one-time link, kept only as long as allowed."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from email import policy as email_policy
from email.parser import BytesParser
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client, override_settings
from knox.models import AuthToken

from accounts import outbox
from accounts.mail import list_mail_files
from accounts.models import AuditEvent, Membership, OutboxMessage, User
from accounts.tenancy import tenant_context
from consent import invitations
from consent.checks import check_invitation_settings
from consent.emails import INVITATION_HEADER
from consent.invitations import LinkState
from consent.models import Invitation, InvitationLink, InvitationLocator
from consent.tasks import purge_expired_invitations_task
from tests.conftest import PASSWORD, add_member, verified_login
from tests.retention.test_purge import _pg_dump

pytestmark = [pytest.mark.django_db]

NOW = datetime(2031, 7, 8, 9, 10, 11, tzinfo=UTC)  # services take the moment explicitly
LONG_AGO = datetime(2020, 2, 3, 4, 5, 6, tzinfo=UTC)  # a link made then has expired on any day the suite runs
INVITEE, INVITEE_NAME = "Dana.Guest@Example.com", "Dana Zyxwv"
ACCEPT = re.compile(r"https?://[^/\s<>\"]+(/invitations/([0-9]+-[0-9a-f]{64})/)(?!remove)")
REMOVE = re.compile(r"https?://[^/\s<>\"]+(/invitations/[0-9]+-[0-9a-f]{64}/remove/)")


@pytest.fixture
def eml_dir(tmp_path: Path):
    with override_settings(EMAIL_BACKEND="accounts.mail.EmlFileBackend", MAIL_DIR=tmp_path / "mail"):
        yield tmp_path / "mail"


def _invite(tenant, *, email: str = INVITEE, name: str = INVITEE_NAME, role: str = "guest", now=None) -> Invitation:
    return invitations.invite(company=tenant.company, name=name, email=email, role=role, actor=tenant.owner, now=now)


def _token(invitation: Invitation) -> str:
    """The invitation's current link, as its email carries it."""
    with tenant_context(invitation.company_id):
        link = InvitationLink.objects.filter(company_id=invitation.company_id,
                                             invitation_id=invitation.pk).order_by("-id").first()
        return invitations.link_token(link)


def _state(invitation: Invitation) -> tuple[str, int, int]:
    """What an invitation's links could change: its status, how many links, how many memberships exist."""
    with tenant_context(invitation.company_id):
        row = Invitation.objects.filter(pk=invitation.pk).first()
        links = InvitationLink.objects.filter(company_id=invitation.company_id, invitation_id=invitation.pk).count()
    return (row.status if row else "gone", links, Membership.objects.count())


def _invitation_mails() -> list:
    """The invitation emails in the local mailbox (the owners' welcome emails are there too)."""
    messages = [BytesParser(policy=email_policy.default).parsebytes(f.read_bytes()) for f in list_mail_files()]
    return [m for m in messages if m[INVITATION_HEADER]]


def _api(user: User, client=None):
    from rest_framework.test import APIClient

    api = client or APIClient()
    _, token = AuthToken.objects.create(user=user)
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return api


def _rows_of(invitation_id: int, company_id: int) -> tuple[int, int, int]:
    """The invitation's rows: itself, its links, its locator."""
    with tenant_context(company_id):
        return (Invitation.objects.filter(pk=invitation_id).count(),
                InvitationLink.objects.filter(company_id=company_id, invitation_id=invitation_id).count(),
                InvitationLocator.objects.filter(company_id=company_id, invitation_id=invitation_id).count())


def _emails_queued_for(invitation: Invitation) -> int:
    """Outbox rows of the invitation's emails (found by the link ids they name)."""
    with tenant_context(invitation.company_id):
        link_ids = list(InvitationLink.objects.filter(company_id=invitation.company_id, invitation_id=invitation.pk)
                        .values_list("pk", flat=True))
    return OutboxMessage.objects.filter(handler=invitations.EMAIL_HANDLER, payload__company_id=invitation.company_id,
                                        payload__link_id__in=link_ids).count()


# --- GST-1: name and email, both required -----------------------------------------------------------

@pytest.mark.policy("GST-1")
@pytest.mark.parametrize("body, field", [({"email": INVITEE}, "name"), ({"name": INVITEE_NAME}, "email"),
                                         ({"name": " ", "email": INVITEE}, "name"),
                                         ({"name": INVITEE_NAME, "email": "not-an-email"}, "email")])
def test_missing_name_or_email_is_a_400_naming_the_field_and_sends_nothing(acme, body, field):
    response = _api(acme.owner).post(f"/api/v1/companies/{acme.company.pk}/invitations/", body, format="json")
    assert response.status_code == 400 and field in response.json(), response.content
    assert not OutboxMessage.objects.filter(handler=invitations.EMAIL_HANDLER).exists()
    with tenant_context(acme.company.pk):
        assert not Invitation.objects.exists()


@pytest.mark.policy("GST-1")
def test_the_invite_form_without_an_email_says_so_and_keeps_the_name(acme, client):
    client.force_login(acme.owner)
    response = client.post(f"/companies/{acme.company.pk}/invitations/", {"name": INVITEE_NAME, "role": "guest"})
    assert response.status_code == 400
    assert b"This field is required" in response.content and INVITEE_NAME.encode() in response.content
    assert not OutboxMessage.objects.filter(handler=invitations.EMAIL_HANDLER).exists()


@pytest.mark.policy("GST-1")
def test_owner_invites_from_the_members_page_and_sees_it_pending(acme, client):
    client.force_login(acme.owner)
    response = client.post(f"/companies/{acme.company.pk}/invitations/",
                           {"name": INVITEE_NAME, "email": INVITEE, "role": "member"}, follow=True)
    assert b"Invitation sent." in response.content
    page = response.content.decode()
    assert "Pending invitations" in page and INVITEE in page and "Resend" in page and "Revoke" in page


@pytest.mark.policy("GST-1")
def test_an_email_already_pending_or_a_members_gets_a_clear_answer_and_no_second_email(acme, bob):
    api = _api(acme.owner)
    url = f"/api/v1/companies/{acme.company.pk}/invitations/"
    assert api.post(url, {"name": INVITEE_NAME, "email": INVITEE}, format="json").status_code == 201
    again = api.post(url, {"name": "Other", "email": INVITEE.upper()}, format="json")
    assert again.status_code == 409 and "already has a pending invitation" in again.json()["detail"]
    member = api.post(url, {"name": "Bob", "email": "BOB@acme.example"}, format="json")
    assert member.status_code == 409 and "already a member" in member.json()["detail"]
    assert OutboxMessage.objects.filter(handler=invitations.EMAIL_HANDLER).count() == 1
    listed = api.get(url).json()
    assert [(i["name"], i["email"], i["role"], i["status"]) for i in listed] == [(INVITEE_NAME, INVITEE, "guest",
                                                                                 "pending")]


@pytest.mark.policy("GST-1")
@pytest.mark.policy("SAF-3")
def test_members_and_guests_cannot_manage_invitations(acme, bob, guest, client):
    url = f"/api/v1/companies/{acme.company.pk}/invitations/"
    for user in (bob, guest):
        assert _api(user).post(url, {"name": INVITEE_NAME, "email": INVITEE}, format="json").status_code == 403
        assert _api(user).get(url).status_code == 403
        client.force_login(user)
        assert client.post(f"/companies/{acme.company.pk}/invitations/",
                           {"name": INVITEE_NAME, "email": INVITEE}).status_code == 403
    assert not OutboxMessage.objects.filter(handler=invitations.EMAIL_HANDLER).exists()


@pytest.mark.policy("SAF-3")
def test_answers_do_not_tell_whether_an_email_has_an_account_with_us(acme, globex):
    """charlie has an account (at globex); nobody has the other address: acme's owner cannot tell them apart."""
    api = _api(acme.owner)
    url = f"/api/v1/companies/{acme.company.pk}/invitations/"
    known = api.post(url, {"name": "Charlie", "email": globex.owner.email}, format="json")
    unknown = api.post(url, {"name": "Nobody", "email": "nobody@nowhere.example"}, format="json")
    assert known.status_code == unknown.status_code == 201
    assert known.json().keys() == unknown.json().keys()
    assert {k: v for k, v in known.json().items() if k not in ("id", "name", "email", "created_at", "sent_at",
                                                                 "expires_at")} == \
           {k: v for k, v in unknown.json().items() if k not in ("id", "name", "email", "created_at", "sent_at",
                                                                   "expires_at")}


@pytest.mark.policy("SAF-3")
def test_beyond_the_daily_allowance_a_clear_429_and_no_email(acme, settings, client):
    settings.INVITATIONS_PER_COMPANY_PER_DAY = 2
    api = _api(acme.owner)
    url = f"/api/v1/companies/{acme.company.pk}/invitations/"
    first = api.post(url, {"name": "One", "email": "one@guest.example"}, format="json").json()
    assert api.post(url, {"name": "Two", "email": "two@guest.example"}, format="json").status_code == 201
    refused = api.post(url, {"name": "Three", "email": "three@guest.example"}, format="json")
    assert refused.status_code == 429 and "24 hours" in refused.json()["detail"]
    assert api.post(f"{url}{first['id']}/resend/").status_code == 429  # a resend is an email too
    client.force_login(acme.owner)
    page = client.post(f"/companies/{acme.company.pk}/invitations/", {"name": "Four", "email": "four@guest.example",
                                                                       "role": "guest"})
    assert page.status_code == 429 and b"24 hours" in page.content
    assert OutboxMessage.objects.filter(handler=invitations.EMAIL_HANDLER).count() == 2


@pytest.mark.policy("SAF-3")
def test_the_allowance_counts_the_last_24_hours_only(acme, settings):
    settings.INVITATIONS_PER_COMPANY_PER_DAY = 1
    _invite(acme, email="early@guest.example", now=NOW)
    with pytest.raises(invitations.InvitationQuotaExceeded):
        _invite(acme, email="soon@guest.example", now=NOW + timedelta(hours=23, minutes=59))
    assert _invite(acme, email="later@guest.example", now=NOW + timedelta(hours=24, seconds=1)).pk


# --- GST-2: one email, one-time link, resend replaces ---------------------------------------------

@pytest.mark.policy("GST-2")
@pytest.mark.policy("CON-6")
def test_one_email_per_invitation_and_per_resend_with_ids_only_in_the_outbox(acme, eml_dir):
    invitation = _invite(acme)
    payloads = [m.payload for m in OutboxMessage.objects.filter(handler=invitations.EMAIL_HANDLER)]
    assert len(payloads) == 1 and set(payloads[0]) == {"company_id", "link_id"}
    outbox.sweep()
    (message,) = _invitation_mails()
    assert message["to"] == INVITEE and "Alice Acme invited you to Acme" in message["subject"]
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert f"Hello {INVITEE_NAME}" in text and "Acme" in text
    assert f"{invitation.expires_at:%-d %B %Y, %H:%M} UTC" in text
    assert ACCEPT.search(text) and REMOVE.search(text) and ACCEPT.search(html) and REMOVE.search(html)
    assert "Remove my information" in text and "Remove my information" in html
    assert "<img" not in html.lower()  # no tracking pixel
    assert message["List-Unsubscribe"] is None and message["List-Unsubscribe-Post"] is None  # administrative
    outbox.sweep()
    assert len(_invitation_mails()) == 1  # delivered once
    invitations.resend(company=acme.company, invitation=invitation, actor=acme.owner)
    outbox.sweep()
    assert len(_invitation_mails()) == 2
    assert AuditEvent.objects.filter(event=AuditEvent.Event.INVITATION_SENT, subject_id=invitation.pk).count() == 1
    assert AuditEvent.objects.filter(event=AuditEvent.Event.INVITATION_RESENT, subject_id=invitation.pk).count() == 1


@pytest.mark.policy("GST-2")
def test_resend_replaces_the_link_and_runs_the_full_period_again(acme, settings):
    invitation = _invite(acme, now=NOW)
    old = _token(invitation)
    later = NOW + timedelta(days=5)
    resent = invitations.resend(company=acme.company, invitation=invitation, actor=acme.owner, now=later)
    new = _token(invitation)
    assert new != old and resent.expires_at == later + timedelta(days=settings.INVITATION_LINK_DAYS)
    with tenant_context(acme.company.pk):
        assert invitations.open_link(old, now=later).state is LinkState.REPLACED
        assert invitations.open_link(new, now=later).state is LinkState.CURRENT
        # the old expiry has passed, the new one has not: the full period runs from the resend
        assert invitations.open_link(new, now=NOW + timedelta(days=8)).state is LinkState.CURRENT
        assert Invitation.objects.count() == 1
        assert InvitationLocator.objects.get(invitation_id=invitation.pk).expires_at == resent.expires_at


@pytest.mark.policy("GST-2")
def test_an_email_queued_before_a_resend_is_not_sent(acme, eml_dir):
    """The first email's link was replaced before the worker ran: only the new link goes out."""
    invitation = _invite(acme)
    invitations.resend(company=acme.company, invitation=invitation, actor=acme.owner)
    assert OutboxMessage.objects.filter(handler=invitations.EMAIL_HANDLER, delivered_at__isnull=True).count() == 2
    outbox.sweep()
    (message,) = _invitation_mails()
    assert ACCEPT.search(message.get_body(("plain",)).get_content())[2] == _token(invitation)


@pytest.mark.policy("GST-2")
@pytest.mark.policy("GST-4")
def test_opening_any_link_changes_nothing(acme, globex, client):
    invitation = _invite(acme)
    token = _token(invitation)
    before, audit = _state(invitation), AuditEvent.objects.count()
    invitee = User.objects.create_user(email=INVITEE.lower(), password=PASSWORD)
    for user in (None, invitee, globex.owner):
        visitor = Client()
        if user:
            visitor.force_login(user)
        assert visitor.get(f"/invitations/{token}/").status_code == 200
        assert visitor.get(f"/invitations/{token}/remove/").status_code == 200
        assert visitor.head(f"/invitations/{token}/").status_code == 200
    assert _state(invitation) == before and AuditEvent.objects.count() == audit


@pytest.mark.policy("GST-2")
def test_the_invited_user_accepts_once_and_a_second_post_is_already_used(acme, client):
    invitation = _invite(acme, role="guest")
    invitee = User.objects.create_user(email=INVITEE.lower(), password=PASSWORD, full_name="Dana")
    client.force_login(invitee)
    token = _token(invitation)
    page = client.get(f"/invitations/{token}/")
    assert b"Accept invitation" in page.content and b"Join Acme" in page.content
    response = client.post(f"/invitations/{token}/", {"action": "accept"})
    assert response.status_code == 302 and response["Location"] == f"/c/{acme.company.pk}/"
    membership = Membership.objects.get(company=acme.company, user=invitee)
    assert membership.role == Membership.Role.GUEST
    with tenant_context(acme.company.pk):
        accepted = Invitation.objects.get(pk=invitation.pk)
        assert (accepted.status, accepted.name, accepted.email) == (Invitation.Status.ACCEPTED, "", "")
        assert accepted.accepted_at is not None
        assert not InvitationLocator.objects.filter(invitation_id=invitation.pk).exists()
    again = client.post(f"/invitations/{token}/", {"action": "accept"})
    assert again.status_code == 410 and b"already been used" in again.content
    assert Membership.objects.filter(company=acme.company, user=invitee).count() == 1
    assert AuditEvent.objects.filter(event=AuditEvent.Event.INVITATION_ACCEPTED, actor_id=invitee.pk).count() == 1


@pytest.mark.policy("GST-2")
@pytest.mark.policy("SAF-3")
def test_another_user_never_accepts_and_nothing_changes(acme, globex, client):
    invitation = _invite(acme)
    token = _token(invitation)
    before = _state(invitation)
    client.force_login(globex.owner)
    page = client.get(f"/invitations/{token}/")
    assert b"Accept invitation" not in page.content and b"for another email address" in page.content
    response = client.post(f"/invitations/{token}/", {"action": "accept"})
    assert response.status_code == 403 and b"another email address" in response.content
    signup = client.post(f"/invitations/{token}/", {"action": "signup", "full_name": "X", "password": PASSWORD})
    assert signup.status_code == 403
    assert _state(invitation) == before
    assert not Membership.objects.filter(company=acme.company, user=globex.owner).exists()


@pytest.mark.policy("GST-2")
def test_an_expired_link_is_never_accepted(acme, client):
    invitation = _invite(acme, now=LONG_AGO)
    invitee = User.objects.create_user(email=INVITEE, password=PASSWORD)
    client.force_login(invitee)
    token = _token(invitation)
    assert b"has expired" in client.get(f"/invitations/{token}/").content
    response = client.post(f"/invitations/{token}/", {"action": "accept"})
    assert response.status_code == 410 and b"has expired" in response.content
    assert not Membership.objects.filter(user=invitee).exists()
    with pytest.raises(invitations.InvitationUnavailable) as refused:
        invitations.accept(token=token, user=invitee, now=invitation.expires_at)
    assert refused.value.state == LinkState.EXPIRED
    assert invitations.accept(token=token, user=invitee, now=invitation.expires_at - timedelta(seconds=1)).pk


@pytest.mark.policy("GST-2")
def test_revoked_replaced_and_unknown_links_each_get_a_clear_page(acme, client):
    revoked = _invite(acme, email="revoked@guest.example")
    revoked_token = _token(revoked)
    invitations.revoke(company=acme.company, invitation=revoked, actor=acme.owner)
    replaced = _invite(acme, email="replaced@guest.example")
    replaced_token = _token(replaced)
    invitations.resend(company=acme.company, invitation=replaced, actor=acme.owner)
    cases = {revoked_token: (410, b"withdrawn"), replaced_token: (410, b"replaced by a newer one"),
             f"{acme.company.pk}-{'0' * 64}": (404, b"not valid"), "junk": (404, b"not valid"),
             f"{10 ** 12}-{'a' * 64}": (404, b"not valid")}
    for token, (status, words) in cases.items():
        for method in ("get", "post"):
            response = getattr(client, method)(f"/invitations/{token}/", {"action": "accept"})
            assert response.status_code == status and words in response.content, (token, method)
    with tenant_context(acme.company.pk):
        gone = Invitation.objects.get(pk=revoked.pk)
        assert (gone.status, gone.name, gone.email) == (Invitation.Status.REVOKED, "", "")


@pytest.mark.policy("GST-2")
def test_signing_up_through_the_link_uses_the_invited_email_and_accepts_in_the_same_step(acme, client):
    invitation = _invite(acme, role="member")
    token = _token(invitation)
    page = client.get(f"/invitations/{token}/").content.decode()
    assert f'value="{INVITEE}" readonly' in page and f'value="{INVITEE_NAME}"' in page  # fixed, prefilled
    assert "Log in to accept" in page
    response = client.post(f"/invitations/{token}/", {"action": "signup", "full_name": "Dana G", "password": PASSWORD,
                                                      "email": "someone-else@example.com",
                                                      "consent_newsletter": "on"})
    assert response.status_code == 302 and response["Location"] == f"/c/{acme.company.pk}/"
    user = User.objects.get(email=INVITEE.lower())
    assert user.full_name == "Dana G" and not User.objects.filter(email="someone-else@example.com").exists()
    assert Membership.objects.get(company=acme.company, user=user).role == Membership.Role.MEMBER
    assert client.get(f"/c/{acme.company.pk}/").status_code == 200  # logged in, in the company
    from consent.selectors import message_consents_of

    assert {s.purpose.id for s in message_consents_of(user) if s.granted} == {"newsletter"}


@pytest.mark.policy("GST-2")
def test_a_weak_password_or_an_existing_account_accepts_nothing(acme, globex, client):
    invitation = _invite(acme, email=globex.owner.email)
    token = _token(invitation)
    taken = client.post(f"/invitations/{token}/", {"action": "signup", "full_name": "C", "password": PASSWORD})
    assert taken.status_code == 400 and b"Log in to accept" in taken.content
    other = _invite(acme)
    weak = client.post(f"/invitations/{_token(other)}/", {"action": "signup", "full_name": "D", "password": "123"})
    assert weak.status_code == 400 and not User.objects.filter(email=INVITEE.lower()).exists()
    assert _state(invitation)[0] == _state(other)[0] == Invitation.Status.PENDING


# --- GST-3: kept only as long as allowed ---------------------------------------------------------

@pytest.mark.policy("GST-3")
@pytest.mark.policy("RET-1")
@pytest.mark.django_db(transaction=True, databases=["default", "owner"])
def test_a_full_database_dump_after_inviting_holds_neither_the_email_nor_the_name(acme):
    invitation = _invite(acme)
    dump = _pg_dump()
    rows = dump.split(b"COPY public.consent_invitation ", 1)[1].split(b"\\.", 1)[0].splitlines()[1:]
    assert [row.split(b"\t")[0] for row in rows] == [str(invitation.pk).encode()]  # the row is there, sealed
    for value in (INVITEE, INVITEE.lower(), INVITEE_NAME, "Zyxwv"):
        assert value.encode() not in dump, value


@pytest.mark.policy("GST-3")
def test_the_beat_job_at_expiry_plus_one_second_leaves_no_row_and_no_mail_file(acme, globex, eml_dir):
    invitation = _invite(acme)
    kept = _invite(globex, email="kept@guest.example")
    accepted = _invite(acme, email="accepted@guest.example")
    outbox.sweep()
    assert len(_invitation_mails()) == 3
    invitations.accept(token=_token(accepted), user=add_member(globex.company, email="accepted@guest.example",
                                                               role="guest"))
    assert invitations.purge_expired(as_of=invitation.expires_at - timedelta(seconds=1)) == 0
    assert _rows_of(invitation.pk, acme.company.pk) == (1, 1, 1) and _emails_queued_for(invitation) == 1
    with tenant_context(acme.company.pk):
        (link_id,) = InvitationLink.objects.filter(invitation_id=invitation.pk).values_list("pk", flat=True)
    kept = invitations.resend(company=globex.company, invitation=kept, actor=globex.owner,  # a later expiry
                              now=invitation.expires_at - timedelta(seconds=1))
    assert invitations.purge_expired(as_of=invitation.expires_at + timedelta(seconds=1)) == 1
    assert _rows_of(invitation.pk, acme.company.pk) == (0, 0, 0)
    assert not OutboxMessage.objects.filter(payload__company_id=acme.company.pk, payload__link_id=link_id).exists()
    recipients = {m["to"] for m in _invitation_mails()}
    assert INVITEE not in recipients and "kept@guest.example" in recipients
    assert _rows_of(kept.pk, globex.company.pk) == (1, 2, 1)
    with tenant_context(acme.company.pk):
        assert Invitation.objects.get(pk=accepted.pk).status == Invitation.Status.ACCEPTED  # no PI, kept
    (counted,) = AuditEvent.objects.filter(event=AuditEvent.Event.INVITATIONS_EXPIRED)
    assert (counted.company_id, counted.subject_id, counted.data) == (None, None, {"count": 1})


@pytest.mark.policy("GST-3")
def test_the_beat_entry_runs_the_registered_task(acme, settings):
    from softhelpers.celery import app

    entry = settings.CELERY_BEAT_SCHEDULE["purge-expired-invitations"]
    assert entry["task"] in app.tasks and entry["schedule"] <= 300
    _invite(acme, now=LONG_AGO)
    assert purge_expired_invitations_task.run() == 1
    with tenant_context(acme.company.pk):
        assert not Invitation.objects.exists()


@pytest.mark.policy("GST-3")
def test_purge_invitations_command_takes_as_of_and_refuses_a_bad_one(acme, capsys):
    invitation = _invite(acme, now=NOW)
    call_command("purge_invitations", as_of=(invitation.expires_at - timedelta(seconds=1)).isoformat())
    assert "Deleted 0 expired invitations." in capsys.readouterr().out
    call_command("purge_invitations", as_of=(invitation.expires_at + timedelta(seconds=1)).isoformat())
    assert "Deleted 1 expired invitation." in capsys.readouterr().out
    for bad in ("yesterday", "2031-07-08T09:10:11"):
        with pytest.raises(CommandError, match="time zone"):
            call_command("purge_invitations", as_of=bad)


@pytest.mark.policy("GST-3")
def test_last_seen_moves_at_most_once_an_hour_and_shows_to_the_owner(acme, bob, client,
                                                                     django_capture_on_commit_callbacks):
    from accounts.services import note_usage

    membership = Membership.objects.get(user=bob)
    with django_capture_on_commit_callbacks(execute=True):  # written after the request commits
        note_usage(membership, now=NOW)
    with django_capture_on_commit_callbacks(execute=True):
        note_usage(Membership.objects.get(user=bob), now=NOW + timedelta(minutes=59))
    membership.refresh_from_db()
    assert membership.last_seen_at == NOW
    with django_capture_on_commit_callbacks(execute=True):
        note_usage(membership, now=NOW + timedelta(hours=1))
    membership.refresh_from_db()
    assert membership.last_seen_at == NOW + timedelta(hours=1)
    client.force_login(acme.owner)
    assert f"{NOW + timedelta(hours=1):%Y-%m-%d %H}:00".encode() in client.get(
        f"/companies/{acme.company.pk}/manage/").content


@pytest.mark.policy("GST-3")
def test_invitation_link_days_above_30_are_refused_by_a_system_check(settings):
    for days, ok in ((1, True), (30, True), (31, False), (0, False)):
        settings.INVITATION_LINK_DAYS = days
        assert (check_invitation_settings() == []) is ok, days


# --- GST-4: removal at once, by the invitee or the officer ------------------------------------

@pytest.mark.policy("GST-4")
def test_remove_my_information_by_post_without_a_session(acme, eml_dir):
    invitation = _invite(acme)
    outbox.sweep()
    (message,) = _invitation_mails()
    remove_path = REMOVE.search(message.get_body(("plain",)).get_content())[1]
    accept_path = ACCEPT.search(message.get_body(("plain",)).get_content())[1]
    anonymous = Client(enforce_csrf_checks=True)
    page = anonymous.get(remove_path)
    assert page.status_code == 200 and b"Remove my information" in page.content and not page.cookies
    response = anonymous.post(remove_path)
    assert response.status_code == 200 and b"Your information is removed" in response.content
    assert not response.cookies
    assert _rows_of(invitation.pk, acme.company.pk) == (0, 0, 0) and _invitation_mails() == []
    assert not OutboxMessage.objects.filter(handler=invitations.EMAIL_HANDLER).exists()
    assert anonymous.get(accept_path).status_code == 404
    assert anonymous.post(remove_path).status_code == 404  # nothing left to remove
    (event,) = AuditEvent.objects.filter(event=AuditEvent.Event.INVITATION_REMOVED)
    assert (event.company_id, event.actor_id, event.data) == (acme.company.pk, None, {"by": "invitee"})
    assert INVITEE.lower() not in str(event.data).lower()


@pytest.mark.policy("GST-4")
def test_a_replaced_link_still_removes_the_information(acme, client):
    invitation = _invite(acme)
    old = _token(invitation)
    invitations.resend(company=acme.company, invitation=invitation, actor=acme.owner)
    assert client.post(f"/invitations/{old}/remove/").status_code == 200
    assert _rows_of(invitation.pk, acme.company.pk) == (0, 0, 0)


@pytest.mark.policy("GST-4")
def test_the_officer_removes_an_invitee_by_email_in_every_company(acme, globex, staff, client, eml_dir):
    at_acme, at_globex = _invite(acme), _invite(globex, email=INVITEE.upper())
    other = _invite(acme, email="other@guest.example")
    outbox.sweep()
    verified_login(client, staff)
    index = client.get("/admin/")
    assert b"Remove an invitee" in index.content
    form = client.get("/admin/invitations/remove/")
    assert form.status_code == 200 and b"Remove their information" in form.content
    response = client.post("/admin/invitations/remove/", {"email": f" {INVITEE.lower()} "})
    assert response.status_code == 200 and b"Removed 2 pending invitations." in response.content
    assert INVITEE.lower().encode() not in response.content.lower()
    assert _rows_of(at_acme.pk, acme.company.pk)== _rows_of(at_globex.pk, globex.company.pk) == (0, 0, 0)
    assert _rows_of(other.pk, acme.company.pk)== (1, 1, 1)
    assert [m["to"] for m in _invitation_mails()] == ["other@guest.example"]
    events = AuditEvent.objects.filter(event=AuditEvent.Event.INVITATION_REMOVED, actor_id=staff.pk)
    assert sorted(e.company_id for e in events) == sorted([acme.company.pk, globex.company.pk])
    again = client.post("/admin/invitations/remove/", {"email": INVITEE})
    assert b"No pending invitation has that email" in again.content


@pytest.mark.policy("GST-4")
@pytest.mark.policy("SAF-3")
def test_staff_without_the_permission_cannot_remove_nor_reach_the_form(acme, client):
    invitation = _invite(acme)
    clerk = User.objects.create_user(email="clerk@softhelpers.example", password=PASSWORD, is_staff=True)
    verified_login(client, clerk)
    assert client.get("/admin/invitations/remove/").status_code == 403
    assert client.post("/admin/invitations/remove/", {"email": INVITEE}).status_code == 403
    assert _rows_of(invitation.pk, acme.company.pk) == (1, 1, 1) and _emails_queued_for(invitation) == 1
    with tenant_context(acme.company.pk):
        (link_id,) = InvitationLink.objects.filter(invitation_id=invitation.pk).values_list("pk", flat=True)
    client.force_login(acme.owner)  # not staff at all: sent to the admin login
    assert client.post("/admin/invitations/remove/", {"email": INVITEE}).status_code == 302
    assert _rows_of(invitation.pk, acme.company.pk) == (1, 1, 1) and _emails_queued_for(invitation) == 1
    with tenant_context(acme.company.pk):
        (link_id,) = InvitationLink.objects.filter(invitation_id=invitation.pk).values_list("pk", flat=True)


@pytest.mark.policy("GST-4")
@pytest.mark.policy("RET-1")
def test_the_company_purge_removes_its_invitations(acme, globex):
    from retention import purge
    from retention import services as retention_services
    from retention.models import ScheduledPurge

    invitation = _invite(acme)
    kept = _invite(globex)
    closing = retention_services.close_company(company=acme.company, actor=None, reason=ScheduledPurge.Reason.OFFICER,
                                               note="letter", now=NOW)
    assert purge.purge_company(purge_id=closing.pk, as_of=closing.due_at) is purge.Result.DONE
    assert _rows_of(invitation.pk, acme.company.pk)== (0, 0, 0)
    assert _rows_of(kept.pk, globex.company.pk)== (1, 1, 1)


# --- members ---------------------------------------------------------------------------------------

@pytest.mark.policy("SAF-3")
def test_owner_changes_a_role_and_removes_a_member_whose_access_stops_at_once(acme, bob, client):
    bob_api = _api(bob)
    contacts = f"/api/v1/companies/{acme.company.pk}/contacts/"
    assert bob_api.post(contacts, {"name": "By Bob"}, format="json").status_code == 201
    membership = Membership.objects.get(user=bob)
    client.force_login(acme.owner)
    client.post(f"/companies/{acme.company.pk}/manage/members/{membership.pk}/role/", {"role": "guest"})
    assert bob_api.post(contacts, {"name": "Again"}, format="json").status_code == 403
    assert bob_api.get(contacts).status_code == 200
    response = client.post(f"/companies/{acme.company.pk}/manage/members/{membership.pk}/remove/", follow=True)
    assert b"no longer has access" in response.content
    assert bob_api.get(contacts).status_code in (401, 404)  # no company left: his tokens went too
    assert not AuthToken.objects.filter(user=bob).exists()
    bob_browser = Client()
    bob_browser.force_login(bob)
    assert bob_browser.get(f"/c/{acme.company.pk}/").status_code == 404
    events = list(AuditEvent.objects.filter(company_id=acme.company.pk, event__in=[
        AuditEvent.Event.MEMBER_ROLE_CHANGED, AuditEvent.Event.MEMBER_REMOVED]).values_list("event", "data"))
    assert events == [(AuditEvent.Event.MEMBER_ROLE_CHANGED, {"user_id": bob.pk, "from": "member", "to": "guest"}),
                      (AuditEvent.Event.MEMBER_REMOVED, {"user_id": bob.pk, "role": "guest"})]


@pytest.mark.policy("SAF-3")
def test_the_last_owner_can_neither_leave_nor_be_removed_nor_demoted(acme, bob, client):
    owner = Membership.objects.get(user=acme.owner)
    client.force_login(acme.owner)
    for url, data in ((f"/companies/{acme.company.pk}/manage/leave/", {}),
                      (f"/companies/{acme.company.pk}/manage/members/{owner.pk}/remove/", {}),
                      (f"/companies/{acme.company.pk}/manage/members/{owner.pk}/role/", {"role": "member"})):
        response = client.post(url, data, follow=True)
        assert b"A company needs an owner" in response.content, url
    owner.refresh_from_db()
    assert owner.role == Membership.Role.OWNER
    bob_membership = Membership.objects.get(user=bob)
    client.post(f"/companies/{acme.company.pk}/manage/members/{bob_membership.pk}/role/", {"role": "owner"})
    response = client.post(f"/companies/{acme.company.pk}/manage/leave/", follow=True)
    assert b"You left Acme" in response.content
    assert not Membership.objects.filter(user=acme.owner, company=acme.company).exists()
    assert AuditEvent.objects.filter(event=AuditEvent.Event.MEMBER_LEFT, actor_id=acme.owner.pk).exists()


@pytest.mark.policy("SAF-3")
def test_a_member_leaves_and_cannot_change_roles(acme, bob, guest, client):
    client.force_login(bob)
    guest_membership = Membership.objects.get(user=guest)
    assert client.post(f"/companies/{acme.company.pk}/manage/members/{guest_membership.pk}/role/",
                       {"role": "owner"}).status_code == 403
    response = client.post(f"/companies/{acme.company.pk}/manage/leave/", follow=True)
    assert b"You left Acme" in response.content
    assert not Membership.objects.filter(user=bob).exists()


@pytest.mark.policy("GST-4")
def test_the_remove_link_of_an_accepted_invitation_says_so_and_deletes_nothing(acme, client):
    invitation = _invite(acme)
    token = _token(invitation)
    invitee = User.objects.create_user(email=INVITEE, password=PASSWORD)
    invitations.accept(token=token, user=invitee)
    for method in ("get", "post"):
        response = getattr(client, method)(f"/invitations/{token}/remove/")
        assert response.status_code == 410 and b"This invitation was accepted" in response.content, method
    assert _rows_of(invitation.pk, acme.company.pk) == (1, 1, 0)
    assert Membership.objects.filter(company=acme.company, user=invitee).exists()


@pytest.mark.policy("GST-4")
def test_remove_my_information_works_at_once_even_after_the_company_closed(acme, client):
    from retention import services as retention_services
    from retention.models import ScheduledPurge

    invitation = _invite(acme)
    token = _token(invitation)
    retention_services.close_company(company=acme.company, actor=None, reason=ScheduledPurge.Reason.OFFICER,
                                     note="letter", now=NOW)
    assert client.get(f"/invitations/{token}/").status_code == 404  # nothing to accept any more
    assert client.get(f"/invitations/{token}/remove/").status_code == 200
    assert client.post(f"/invitations/{token}/remove/").status_code == 200
    assert _rows_of(invitation.pk, acme.company.pk) == (0, 0, 0)


@pytest.mark.policy("SAF-3")
def test_removing_invitations_gives_no_more_room_under_the_daily_allowance(acme, settings, client):
    settings.INVITATIONS_PER_COMPANY_PER_DAY = 1
    invitation = _invite(acme, now=NOW)
    assert client.post(f"/invitations/{_token(invitation)}/remove/").status_code == 200
    with pytest.raises(invitations.InvitationQuotaExceeded):
        _invite(acme, email="next@guest.example", now=NOW + timedelta(hours=1))


@pytest.mark.policy("SAF-3")
def test_a_refused_link_leaves_no_secret_in_the_logs(acme, globex, client, caplog):
    invitation = _invite(acme)
    token = _token(invitation)
    client.force_login(globex.owner)
    with caplog.at_level("WARNING", logger="django.request"):
        assert client.post(f"/invitations/{token}/", {"action": "accept"}).status_code == 403
    from privacy.log_scrubbing import scrub

    logged = " ".join(scrub(r.getMessage()) for r in caplog.records)
    assert "Forbidden" in logged and token.split("-")[1] not in logged


@pytest.mark.policy("COO-2")
def test_a_confirmation_naming_the_company_travels_with_the_session_not_in_a_cookie(acme, bob, client):
    client.force_login(bob)
    response = client.post(f"/companies/{acme.company.pk}/manage/leave/")
    assert response.status_code == 302 and set(response.cookies) <= {"sessionid", "csrftoken"}
    assert all("Acme" not in morsel.value for morsel in response.cookies.values())
    assert b"You left Acme" in client.get(response["Location"]).content
