"""NOT-1, ACC-3: the policy in force and its history; published versions are final; material changes are told."""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, date, datetime, timedelta
from email import policy as email_policy
from email.parser import BytesParser
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, connections, transaction
from django.test import override_settings

from accounts import outbox
from accounts.mail import list_mail_files
from accounts.models import AuditEvent, User
from consent import services as consent_services
from consent.models import ConsentEvent, Method
from privacy import policy
from privacy.exceptions import PolicyError
from privacy.models import PolicyNotice, PolicyVersion
from tests.conftest import PASSWORD, verified_login

pytestmark = [pytest.mark.django_db]

NOW = datetime(2031, 3, 4, 10, 0, tzinfo=UTC)
SHARED_TEXT = Path(__file__).resolve().parents[2] / "privacy" / "policy_texts" / "2013-08-15.txt"


@pytest.fixture
def pinned(monkeypatch):
    """Every ``timezone.now()`` of the code under test returns NOW."""
    monkeypatch.setattr("django.utils.timezone.now", lambda: NOW)
    return NOW


@pytest.fixture
def eml_dir(tmp_path: Path):
    with override_settings(EMAIL_BACKEND="accounts.mail.EmlFileBackend", MAIL_DIR=tmp_path / "mail"):
        yield tmp_path / "mail"


def _draft(label: str, *, effective_on: date, material: bool, text: str = "The new policy text.\n",
           summary: str = "We now explain how long we keep inquiries.") -> PolicyVersion:
    return policy.draft_version(label=label, effective_on=effective_on, text=text, summary=summary,
                                material=material, actor=None, now=NOW)


def _users(count: int, *, joined: datetime, prefix: str = "reader") -> list[User]:
    users = [User.objects.create_user(email=f"{prefix}{n}@example.com", password=PASSWORD) for n in range(count)]
    User.objects.filter(pk__in=[u.pk for u in users]).update(date_joined=joined)
    return users


@pytest.mark.policy("NOT-1")
def test_the_policy_page_shows_the_seeded_version_its_date_and_text(client, pinned):
    response = client.get("/privacy/")
    body = response.content.decode()
    assert response.status_code == 200
    assert "Version <strong>2013-08-15</strong>" in body and "in force since 2013-08-15" in body
    assert "Business Privacy Policy Effective Date: August 15, 2013" in body
    assert "Gohadpur Marala Road 51310" in body


@pytest.mark.policy("NOT-1")
def test_a_version_page_serves_the_exact_text_and_its_sha256(client, pinned):
    exact = SHARED_TEXT.read_bytes()
    expected = hashlib.sha256(exact).hexdigest()
    page = client.get("/privacy/versions/2013-08-15/")
    assert page.status_code == 200 and expected in page.content.decode()
    raw = client.get("/privacy/versions/2013-08-15/text/")
    assert raw.status_code == 200 and raw["Content-Type"] == "text/plain; charset=utf-8"
    assert raw.content == exact and hashlib.sha256(raw.content).hexdigest() == expected
    assert PolicyVersion.objects.get(label="2013-08-15").sha256 == expected
    assert client.get("/privacy/versions/no-such-version/").status_code == 404


@pytest.mark.policy("NOT-1")
def test_history_lists_published_versions_newest_first_with_summaries_and_hides_drafts(client, pinned):
    newer = policy.publish_version(version=_draft("2031-04-01", effective_on=date(2031, 4, 1), material=False,
                                                  summary="Clearer words about cookies."), actor=None, now=NOW)
    _draft("2031-05-01", effective_on=date(2031, 5, 1), material=False, summary="A draft nobody sees yet.")
    body = client.get("/privacy/versions/").content.decode()
    assert body.index("2031-04-01") < body.index("2013-08-15")
    assert "Clearer words about cookies." in body and "A draft nobody sees yet." not in body
    assert client.get("/privacy/versions/2031-05-01/").status_code == 404  # a draft is not public
    # Effective later than today: shown as upcoming; the 2013 text stays in force until then.
    page = client.get("/privacy/").content.decode()
    assert "Upcoming: version 2031-04-01, effective 2031-04-01" in page and "Version <strong>2013-08-15</strong>" in page
    assert policy.current_label(now=NOW) == "2013-08-15"
    assert policy.current_label(now=NOW + timedelta(days=28)) == newer.label


@pytest.mark.policy("ACC-3")
@pytest.mark.django_db(databases=["default", "owner"])
@pytest.mark.parametrize("alias", ["default", "owner"])
def test_an_update_or_delete_of_a_published_version_fails_in_the_database(alias, pinned):
    seeded = PolicyVersion.objects.get(label="2013-08-15")
    statements = [("UPDATE privacy_policyversion SET text = text || ' (edited)' WHERE id = %s", [seeded.pk]),
                  ("UPDATE privacy_policyversion SET summary = 'x', sha256 = sha256 WHERE id = %s", [seeded.pk]),
                  ("DELETE FROM privacy_policyversion WHERE id = %s", [seeded.pk])]
    for sql, params in statements:
        with pytest.raises(DatabaseError, match="published: it can never change"), transaction.atomic(using=alias):
            with connections[alias].cursor() as cursor:
                cursor.execute(sql, params)
    assert PolicyVersion.objects.get(pk=seeded.pk).text == SHARED_TEXT.read_text(encoding="utf-8")


@pytest.mark.policy("ACC-3")
def test_a_draft_can_change_but_not_be_published_without_its_digest_nor_edited_after(pinned):
    draft = _draft("2031-04-01", effective_on=date(2031, 4, 1), material=False)
    policy.update_draft(version=draft, label="2031-04-01", effective_on=date(2031, 4, 2), text="Edited.\n",
                        summary="Edited summary.", material=False, actor=None)
    with pytest.raises(DatabaseError, match="without the digest"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE privacy_policyversion SET published_at = now() WHERE id = %s", [draft.pk])
    published = policy.publish_version(version=draft, actor=None, now=NOW)
    assert published.sha256 == hashlib.sha256(b"Edited.\n").hexdigest() and published.effective_on == date(2031, 4, 2)
    with pytest.raises(PolicyError, match="can never change"):
        policy.update_draft(version=published, label="2031-04-01", effective_on=date(2031, 4, 2), text="Again.\n",
                            summary="Again.", material=False, actor=None)
    assert AuditEvent.objects.filter(event=AuditEvent.Event.POLICY_PUBLISHED, subject_id=draft.pk).count() == 1


@pytest.mark.policy("ACC-3")
def test_a_version_cannot_take_effect_before_the_day_it_is_published(pinned):
    late = _draft("2031-03-01", effective_on=date(2031, 3, 1), material=True)
    with pytest.raises(PolicyError, match="before today"):
        policy.publish_version(version=late, actor=None, now=NOW)
    assert not PolicyVersion.objects.get(pk=late.pk).is_published and not PolicyNotice.objects.exists()


@pytest.mark.policy("ACC-3")
def test_a_material_change_emails_every_active_user_exactly_once_even_when_run_twice(eml_dir, pinned):
    readers = _users(4, joined=NOW - timedelta(days=30))
    gone = _users(1, joined=NOW - timedelta(days=30), prefix="gone")[0]
    User.objects.filter(pk=gone.pk).update(is_active=False)
    consent_services.set_user_consents(user=readers[0], choices={"service_updates": False, "newsletter": False},
                                       method=Method.SETTINGS_FORM, actor=readers[0], now=NOW)
    version = policy.publish_version(version=_draft("2031-04-01", effective_on=date(2031, 4, 1), material=True),
                                     actor=None, now=NOW)
    assert policy.queue_notices(version=version, actor=None, now=NOW) == 0  # the fan-out again: nobody new
    call_command("notify_policy_change", "2031-04-01", verbosity=0)
    outbox.sweep()
    outbox.sweep()
    files = list_mail_files()
    parsed = [BytesParser(policy=email_policy.default).parsebytes(f.read_bytes()) for f in files]
    assert sorted(m["to"] for m in parsed) == sorted(u.email for u in readers)  # whatever their consents
    for message in parsed:
        assert message["subject"] == "Changes to our Privacy Policy (effective 2031-04-01)"
        assert "List-Unsubscribe" not in message  # administrative (CON-6)
        text = message.get_body(("plain",)).get_content()
        assert "We now explain how long we keep inquiries." in text and "/privacy/versions/2031-04-01/" in text
    assert PolicyNotice.objects.filter(version=version, emailed_at__isnull=False).count() == 4
    assert AuditEvent.objects.filter(event=AuditEvent.Event.POLICY_NOTICES_QUEUED, data__recipients=4).count() == 1


@pytest.mark.policy("ACC-3")
def test_a_non_material_change_only_joins_the_history(eml_dir, pinned, client):
    _users(3, joined=NOW - timedelta(days=30))
    policy.publish_version(version=_draft("2031-04-01", effective_on=date(2031, 4, 1), material=False),
                           actor=None, now=NOW)
    outbox.sweep()
    assert list_mail_files() == [] and not PolicyNotice.objects.exists()
    assert "2031-04-01" in client.get("/privacy/versions/").content.decode()


@pytest.mark.policy("ACC-3")
def test_the_banner_shows_until_the_user_opens_the_version_or_dismisses_it(client, pinned):
    alice, bob = _users(2, joined=NOW - timedelta(days=30))
    policy.publish_version(version=_draft("2031-04-01", effective_on=date(2031, 4, 1), material=True),
                           actor=None, now=NOW)
    banner = re.compile(r'class="policy-banner".*?/privacy/versions/2031-04-01/', re.S)
    assert not banner.search(client.get("/privacy/").content.decode())  # visitors are not users
    for user in (alice, bob):
        client.force_login(user)
        assert banner.search(client.get("/companies/").content.decode())
        assert banner.search(client.get("/accounts/consents/").content.decode())
    client.force_login(alice)
    client.get("/privacy/versions/2031-04-01/")
    assert not banner.search(client.get("/companies/").content.decode())
    client.force_login(bob)
    dismissed = client.post("/privacy/versions/2031-04-01/dismiss/", {"next": "/accounts/consents/"})
    assert dismissed.status_code == 302 and dismissed["Location"] == "/accounts/consents/"
    assert not banner.search(client.get("/companies/").content.decode())
    assert client.post("/privacy/versions/2031-04-01/dismiss/", {"next": "https://evil.example/"})["Location"] == "/"
    assert PolicyNotice.objects.filter(read_at__isnull=False).count() == 2


@pytest.mark.policy("ACC-3")
def test_records_name_the_version_in_force_when_they_were_made(pinned):
    user = _users(1, joined=NOW - timedelta(days=30))[0]
    policy.publish_version(version=_draft("2031-04-01", effective_on=date(2031, 4, 1), material=False),
                           actor=None, now=NOW)
    consent_services.set_user_consents(user=user, choices={"newsletter": True}, method=Method.SETTINGS_FORM,
                                       actor=user, now=NOW)
    consent_services.set_user_consents(user=user, choices={"newsletter": False}, method=Method.SETTINGS_FORM,
                                       actor=user, now=NOW + timedelta(days=30))
    assert list(ConsentEvent.objects.filter(user=user).order_by("id").values_list("policy_version", flat=True)) == [
        "2013-08-15", "2031-04-01"]


@pytest.mark.policy("ACC-3")
def test_the_officer_drafts_and_publishes_in_the_admin_and_cannot_edit_it_after(client, pinned):
    from accounts.officers import create_officer

    officer = create_officer(email="officer@softhelpers.test", password=PASSWORD, actor=None)
    verified_login(client, officer)
    added = client.post("/admin/privacy/policyversion/add/", {
        "label": "2031-04-01", "effective_on": "2031-04-01", "text": "New text.\n", "summary": "Why it changed.",
    })
    assert added.status_code == 302, added.content.decode()[:2000]
    version = PolicyVersion.objects.get(label="2031-04-01")
    duplicate = client.post("/admin/privacy/policyversion/add/", {
        "label": "2031-04-01", "effective_on": "2031-04-01", "text": "Other.\n", "summary": "Other."})
    assert duplicate.status_code == 200 and "There is already a version labelled 2031-04-01." in duplicate.content.decode()
    published = client.post("/admin/privacy/policyversion/", {"action": "publish", "_selected_action": [version.pk]})
    assert published.status_code == 302
    version.refresh_from_db()
    assert version.is_published and version.published_by_id == officer.pk
    edit = client.post(f"/admin/privacy/policyversion/{version.pk}/change/", {
        "label": "2031-04-01", "effective_on": "2031-04-01", "text": "Sneaky.\n", "summary": "x"})
    assert edit.status_code == 403
    assert client.post(f"/admin/privacy/policyversion/{version.pk}/delete/", {"post": "yes"}).status_code == 403
    version.refresh_from_db()
    assert version.text == "New text.\n"


@pytest.mark.policy("ACC-3")
def test_the_purge_forgets_the_notices_of_the_users_it_anonymised_only(pinned):
    kept, gone = _users(2, joined=NOW - timedelta(days=30))
    policy.publish_version(version=_draft("2031-04-01", effective_on=date(2031, 4, 1), material=True),
                           actor=None, now=NOW)
    User.objects.filter(pk=gone.pk).update(is_active=False)
    assert policy.forget_users(user_ids=[kept.pk, gone.pk]) == 1
    assert list(PolicyNotice.objects.values_list("user_id", flat=True)) == [kept.pk]


@pytest.mark.policy("NOT-1")
def test_sign_up_links_the_policy(client):
    assert 'href="/privacy/">Privacy policy</a>' in client.get("/accounts/signup/").content.decode()


@pytest.mark.policy("ACC-3")
def test_users_who_sign_up_before_a_material_change_takes_effect_are_told_by_the_daily_beat(eml_dir, pinned):
    from privacy.tasks import notify_policy_changes_task

    (early,) = _users(1, joined=NOW - timedelta(days=30), prefix="early")
    policy.publish_version(version=_draft("2031-04-01", effective_on=date(2031, 4, 1), material=True),
                           actor=None, now=NOW)
    (between,) = _users(1, joined=NOW + timedelta(days=3), prefix="between")
    (after,) = _users(1, joined=datetime(2031, 4, 2, tzinfo=UTC), prefix="after")
    assert notify_policy_changes_task.run() == 1
    assert notify_policy_changes_task.run() == 0  # again: nobody new
    assert sorted(PolicyNotice.objects.values_list("user_id", flat=True)) == sorted([early.pk, between.pk])
    assert not PolicyNotice.objects.filter(user=after).exists()
