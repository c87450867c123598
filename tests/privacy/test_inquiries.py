"""ACC-2, CHL-1: anyone's privacy inquiry or complaint reaches the officer, is acknowledged, answered on time,
tracked to its resolution, and its identifying details are destroyed a year after it closes."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone

from accounts import outbox
from accounts.mail import list_mail_files
from accounts.models import AuditEvent, OutboxMessage, User
from privacy import inquiries
from privacy.checks import check_inquiry_settings
from privacy.emails import INQUIRY_HEADER
from privacy.exceptions import InquiryRateLimited, InquiryRefused
from privacy.models import Inquiry, InquiryEvent
from privacy.tasks import erase_closed_inquiries_task, inquiry_digest_task
from retention import services as retention_services
from retention.models import ScheduledPurge
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.django_db, pytest.mark.policy("ACC-2"), pytest.mark.policy("CHL-1")]

NOW = datetime(2031, 3, 4, 10, 20, 30, tzinfo=UTC)  # services take the moment explicitly
LONG_AGO = datetime(2020, 2, 3, 4, 5, 6, tzinfo=UTC)  # for the beat's tasks, which read the clock
URL = "/privacy/contact/"
REFERENCE = re.compile(r"INQ-[A-Z2-7]{4}-[A-Z2-7]{4}-[A-Z2-7]{4}")
MESSAGE = "Quixotic-Zebra-4471: what do you keep about my payroll?"  # distinctive: must never be echoed
NAME = "Zoë O'Brien & \"Sons\""  # plain-text mail must not turn these into &#x27; &amp; &quot;
EMAIL = "zoe.obrien@requester.example"


def _post(client, *, email: str = EMAIL, address: str = "198.51.100.7", **fields: str):
    data = {"name": NAME, "email": email, "kind": Inquiry.Kind.COMPLAINT, "message": MESSAGE, "website": "", **fields}
    return client.post(URL, data, REMOTE_ADDR=address)


def _submit(*, now: datetime = NOW, kind: str = Inquiry.Kind.QUESTION, email: str = EMAIL, user: User | None = None,
            address: str | None = "203.0.113.9") -> Inquiry:
    return inquiries.submit(name=NAME, email=email, kind=kind, message=MESSAGE, user=user, client_address=address,
                            now=now)


def _sent_to(address: str) -> list:
    return [m for m in mail.outbox if m.to == [address]]


def _html(message) -> str:
    return message.alternatives[0][0]


def _whats(inquiry: Inquiry) -> list[str]:
    return list(InquiryEvent.objects.filter(inquiry=inquiry).order_by("pk").values_list("what", flat=True))


def _inquiry_mail_files() -> list[Path]:
    return [path for path in list_mail_files() if INQUIRY_HEADER.encode() in path.read_bytes()]


def _events(event: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(event=event).order_by("pk"))


@pytest.fixture
def plain_staff(db) -> User:
    return User.objects.create_user(email="plain.staff@softhelpers.example", password=PASSWORD, is_staff=True)


# --- the form, the reference and the acknowledgement ------------------------------------------------

def test_anyone_sends_an_inquiry_and_gets_its_reference_and_an_acknowledgement_without_their_message(client):
    response = _post(client)
    assert response.status_code == 200, response.content
    page = response.content.decode()
    inquiry = Inquiry.objects.get()
    assert REFERENCE.fullmatch(inquiry.reference) and inquiry.reference in page
    assert f"{inquiry.due_at:%-d %B %Y}" in page and 'href="/privacy/officer/"' in page and 'href="/"' in page
    assert "no-store" in response["Cache-Control"]  # MOB-1: the page names the sender's reference
    assert (inquiry.name, inquiry.email, inquiry.message, inquiry.kind, inquiry.user) == (
        NAME, EMAIL, MESSAGE, Inquiry.Kind.COMPLAINT, None)
    assert inquiry.status == Inquiry.Status.NEW and inquiry.due_at == inquiry.received_at + timedelta(days=30)
    assert OutboxMessage.objects.get(handler="privacy.inquiry_acknowledgement").payload == {"inquiry_id": inquiry.pk}

    outbox.sweep()
    (ack,) = _sent_to(EMAIL)
    assert inquiry.reference in ack.subject and inquiry.reference in ack.body and inquiry.reference in _html(ack)
    assert f"We will answer by {inquiry.due_at:%-d %B %Y}" in ack.body
    for value in ("Privacy Officer", "Gohadpur Marala Road 51310", "info@softhelpers.com", "+92 300 961 5103",
                  "right to complain", "Office of the Privacy Commissioner of Canada", "https://www.priv.gc.ca/"):
        assert value in ack.body and value in _html(ack), value
    for echoed in (MESSAGE, "Quixotic", "Zoë", "O'Brien", "O&#x27;Brien"):  # neither the message nor the name
        assert echoed not in ack.subject + ack.body + _html(ack), echoed
    assert ack.extra_headers[INQUIRY_HEADER] == inquiry.reference
    assert "List-Unsubscribe" not in ack.extra_headers  # administrative mail
    (received,) = _events(AuditEvent.Event.INQUIRY_RECEIVED)
    assert (received.subject_id, received.actor_id, received.data) == (inquiry.pk, None, {"kind": "complaint"})
    assert _whats(inquiry) == ["received"]


def test_the_reference_carries_at_least_40_random_bits():
    assert len(inquiries.REFERENCE_ALPHABET) == 32 and inquiries.REFERENCE_CHARACTERS * 5 >= 40
    references = {inquiries.new_reference() for _ in range(2000)}
    assert len(references) == 2000 and all(REFERENCE.fullmatch(r) for r in references)
    assert len({r[4] for r in references}) == 32  # every character of the alphabet turns up


def test_the_form_is_for_everyone_and_a_logged_in_sender_is_linked_with_name_and_email_filled_in(client, bob):
    anonymous = client.get(URL).content.decode()
    assert 'name="email"' in anonymous and 'value="bob@acme.example"' not in anonymous
    for label in Inquiry.Kind.labels:
        assert label in anonymous
    assert 'tabindex="-1"' in anonymous and 'autocomplete="off"' in anonymous and "Leave this field empty" in anonymous
    client.force_login(bob)
    filled = client.get(URL).content.decode()
    assert 'value="bob@acme.example"' in filled and 'value="Bob"' in filled
    assert _post(client, email="bob@acme.example", name="Bob").status_code == 200
    assert Inquiry.objects.get().user == bob


def test_a_form_with_missing_fields_says_which_and_stores_nothing(client):
    response = client.post(URL, {"name": "", "email": "not-an-address", "message": ""})
    assert response.status_code == 400
    page = response.content.decode()
    assert page.count("This field is required.") == 3 and "Enter a valid email address." in page
    assert not Inquiry.objects.exists() and not OutboxMessage.objects.filter(handler__startswith="privacy.").exists()


def test_the_service_checks_every_field_too():
    with pytest.raises(ValidationError) as refused:
        inquiries.submit(name=" ", email="x", kind="gossip", message="", user=None, client_address=None, now=NOW)
    assert set(refused.value.message_dict) == {"name", "email", "kind", "message"}


@pytest.mark.parametrize("days", [30, 10])
def test_the_answer_is_due_the_configured_days_after_receipt(settings, days):
    settings.PRIVACY_INQUIRY_DAYS = days
    assert _submit().due_at == NOW + timedelta(days=days)


@pytest.mark.parametrize(("days", "ok"), [(1, True), (30, True), (31, False), (0, False)])
def test_a_system_check_refuses_more_than_30_days_to_answer(days, ok):
    with override_settings(PRIVACY_INQUIRY_DAYS=days):
        errors = [e for e in check_inquiry_settings() if e.id == "privacy.E004"]
    assert (errors == []) is ok


# --- abuse: the hourly limit and the honeypot -----------------------------------------------------------

def test_the_sixth_inquiry_from_one_email_within_an_hour_is_a_429_and_stores_nothing(client):
    for number in range(5):
        assert _post(client, address=f"198.51.100.{number}").status_code == 200
    refused = _post(client, email=EMAIL.upper(), address="198.51.100.99")
    assert refused.status_code == 429
    assert "5 inquiries from you in the last hour" in refused.content.decode()
    assert "info@softhelpers.com" in refused.content.decode()  # the way to the officer stays open
    assert Inquiry.objects.count() == 5
    assert OutboxMessage.objects.filter(handler="privacy.inquiry_acknowledgement").count() == 5
    assert _post(client, email="someone.else@requester.example", address="198.51.100.98").status_code == 200


def test_the_sixth_inquiry_from_one_client_address_within_an_hour_is_a_429(client):
    for number in range(5):
        assert _post(client, email=f"sender{number}@requester.example").status_code == 200
    assert _post(client, email="sender5@requester.example").status_code == 429
    assert Inquiry.objects.count() == 5
    assert "198.51.100.7" not in set(Inquiry.objects.values_list("client_index", flat=True))  # a keyed hash only


def test_the_hour_is_a_sliding_window_and_the_client_address_is_forgotten_after_it():
    for minute in range(5):
        _submit(now=NOW + timedelta(minutes=minute), email=f"s{minute}@requester.example")
    with pytest.raises(InquiryRateLimited):
        _submit(now=NOW + timedelta(minutes=59), email="s9@requester.example")
    assert Inquiry.objects.count() == 5
    later = _submit(now=NOW + timedelta(minutes=60, seconds=1), email="s9@requester.example")
    assert later.client_index != ""
    assert list(Inquiry.objects.exclude(pk=later.pk).values_list("client_index", flat=True).distinct()) != [""]
    _submit(now=NOW + timedelta(hours=2, minutes=10), email="s10@requester.example")
    assert Inquiry.objects.exclude(client_index="").count() == 1  # only the last hour's


def test_a_filled_honeypot_looks_like_success_but_stores_and_sends_nothing(client):
    response = _post(client, website="https://spam.example")
    assert response.status_code == 200
    assert REFERENCE.search(response.content.decode())
    assert not Inquiry.objects.exists() and not InquiryEvent.objects.exists()
    assert not OutboxMessage.objects.filter(handler__startswith="privacy.").exists()
    assert not AuditEvent.objects.filter(event=AuditEvent.Event.INQUIRY_RECEIVED).exists()
    outbox.sweep()
    assert mail.outbox == []


# --- due dates: the one extension, overdue, due soon -----------------------------------------------------

def test_the_officer_extends_once_by_at_most_30_days_before_the_due_date_with_a_reason(staff):
    inquiry = _submit()
    reason = "We must ask the bank that sent your data; it answers within two weeks. It's \"routine\" & usual."
    extended = inquiries.extend(inquiry=inquiry, days=14, reason=reason, actor=staff, now=NOW + timedelta(days=5))
    new_due = NOW + timedelta(days=44)
    assert (extended.due_at, extended.extended_at, extended.extended_by, extended.extension_reason) == (
        new_due, NOW + timedelta(days=5), staff, reason)
    (event,) = InquiryEvent.objects.filter(inquiry=inquiry, what=InquiryEvent.What.EXTENDED)
    assert (event.actor_id, event.text, event.detail) == (staff.pk, reason, "2031-04-03 → 2031-04-17 (+14 days)")
    (audited,) = _events(AuditEvent.Event.INQUIRY_EXTENDED)
    assert (audited.actor_id, audited.subject_id, audited.data) == (staff.pk, inquiry.pk, {"days": 14})

    outbox.sweep()
    (ack, notice) = _sent_to(EMAIL)
    assert "17 April 2031" in notice.subject and "We will answer by 17 April 2031" in notice.body
    assert inquiry.reference in notice.body and reason in notice.body  # plain text: not HTML-escaped
    assert "It&#x27;s &quot;routine&quot; &amp; usual." in _html(notice) and MESSAGE not in notice.body

    with pytest.raises(InquiryRefused, match="already extended once"):
        inquiries.extend(inquiry=inquiry, days=1, reason="Again", actor=staff, now=NOW + timedelta(days=6))
    assert Inquiry.objects.get().due_at == new_due


@pytest.mark.parametrize(("days", "reason", "at", "error"), [
    (31, "More work", NOW + timedelta(days=1), "1 to 30 days"),
    (0, "More work", NOW + timedelta(days=1), "1 to 30 days"),
    (10, "  ", NOW + timedelta(days=1), "Give the reason"),
    (10, "More work", NOW + timedelta(days=30), "The due date has passed"),
])
def test_an_extension_too_long_without_a_reason_or_after_the_due_date_is_refused(staff, days, reason, at, error):
    inquiry = _submit()
    with pytest.raises((InquiryRefused, ValidationError), match=error):
        inquiries.extend(inquiry=inquiry, days=days, reason=reason, actor=staff, now=at)
    inquiry.refresh_from_db()
    assert (inquiry.due_at, inquiry.extended_at) == (NOW + timedelta(days=30), None)
    assert not OutboxMessage.objects.filter(handler="privacy.inquiry_extension").exists()


def test_overdue_is_past_the_due_date_without_an_answer_and_due_soon_is_the_next_7_days(staff):
    late = _submit(now=NOW - timedelta(days=31), email="late@requester.example")
    soon = _submit(now=NOW - timedelta(days=25), email="soon@requester.example")
    fresh = _submit(now=NOW, email="fresh@requester.example")
    answered = _submit(now=NOW - timedelta(days=40), email="answered@requester.example")
    inquiries.answer(inquiry=answered, text="Here it is.", actor=staff, now=NOW - timedelta(days=35))
    closed = _submit(now=NOW - timedelta(days=45), email="closed@requester.example")
    inquiries.close(inquiry=closed, resolution=Inquiry.Resolution.WITHDRAWN, actor=staff, now=NOW - timedelta(days=44))
    assert list(Inquiry.objects.overdue(now=NOW)) == [late]
    assert list(Inquiry.objects.due_within(now=NOW, days=7)) == [soon]
    flags = dict(Inquiry.objects.with_overdue(now=NOW).values_list("pk", "is_overdue"))
    assert flags == {late.pk: True, soon.pk: False, fresh.pk: False, answered.pk: False, closed.pk: False}
    assert list(Inquiry.objects.overdue(now=NOW - timedelta(days=2))) == []  # a day before its due date


def test_the_admin_lists_overdue_and_due_soon_with_their_filters(client, staff):
    now = timezone.now()  # the admin reads the clock; these inquiries are placed around it
    late = _submit(now=now - timedelta(days=31), email="late@requester.example")
    soon = _submit(now=now - timedelta(days=25), email="soon@requester.example")
    fresh = _submit(now=now - timedelta(minutes=1), email="fresh@requester.example")
    client.force_login(staff)
    listing = client.get("/admin/privacy/inquiry/").content.decode()
    assert all(i.reference in listing for i in (late, soon, fresh))
    assert "Overdue" in listing and "Due within 7 days" in listing
    for value in (NAME, EMAIL, "late@requester.example", MESSAGE):  # references only in the list
        assert value not in listing
    overdue = client.get("/admin/privacy/inquiry/?due=overdue").content.decode()
    assert late.reference in overdue and soon.reference not in overdue and fresh.reference not in overdue
    due_soon = client.get("/admin/privacy/inquiry/?due=soon&status__exact=new").content.decode()
    assert soon.reference in due_soon and late.reference not in due_soon and fresh.reference not in due_soon
    assert client.get("/admin/privacy/inquiry/?email__startswith=late").status_code in (400, 403)
    found = client.get(f"/admin/privacy/inquiry/?q={late.reference.lower()}").content.decode()
    assert late.reference in found and soon.reference not in found


# --- answering and closing, in the admin -------------------------------------------------------------

def test_the_officer_assigns_answers_and_closes_in_the_admin_and_each_step_is_on_the_timeline(client, staff):
    inquiry = _submit(kind=Inquiry.Kind.ACCESS, now=timezone.now())  # the admin's buttons read the clock
    client.force_login(staff)
    base = f"/admin/privacy/inquiry/{inquiry.pk}"
    page = client.get(f"{base}/change/")
    assert page.status_code == 200
    body = page.content.decode()
    assert MESSAGE in body and EMAIL in body and "Assign to me" in body and "Send answer" in body
    (viewed,) = _events(AuditEvent.Event.INQUIRY_VIEWED)
    assert (viewed.actor_id, viewed.subject_type, viewed.subject_id) == (staff.pk, "privacy.Inquiry", inquiry.pk)

    assert client.post(f"{base}/assign/").status_code == 302
    assert client.post(f"{base}/start/").status_code == 302
    answer = "We hold your invoices from 2030. It's all there & nothing \"else\"."
    followed = client.post(f"{base}/answer/", {"text": answer}, follow=True)
    assert "Answer sent to the requester by email." in followed.content.decode()
    inquiry.refresh_from_db()
    assert (inquiry.assignee, inquiry.status) == (staff, Inquiry.Status.ANSWERED) and inquiry.answered_at

    refused = client.post(f"{base}/close/", {"resolution": "", "note": "done"}, follow=True)
    assert "Choose the resolution" in refused.content.decode()
    assert Inquiry.objects.get().status == Inquiry.Status.ANSWERED
    assert client.post(f"{base}/close/", {"resolution": "access_given", "note": "Sent the copy."}).status_code == 302
    inquiry.refresh_from_db()
    assert (inquiry.status, inquiry.resolution, inquiry.resolution_note) == ("closed", "access_given", "Sent the copy.")
    assert _whats(inquiry) == ["received", "assigned", "status", "status", "answered", "status", "closed"]
    details = list(InquiryEvent.objects.filter(inquiry=inquiry, what="status").order_by("pk")
                   .values_list("detail", flat=True))
    assert details == ["New → In progress", "In progress → Answered", "Answered → Closed"]
    changes = AuditEvent.objects.filter(subject_type="privacy.Inquiry").exclude(event=AuditEvent.Event.INQUIRY_VIEWED)
    assert [e.event for e in changes.order_by("pk")] == [
        "inquiry.received", "inquiry.assigned", "inquiry.status_changed", "inquiry.status_changed",
        "inquiry.answered", "inquiry.status_changed", "inquiry.closed"]
    assert len(_events(AuditEvent.Event.INQUIRY_VIEWED)) == 3  # the first look and the two pages followed to

    outbox.sweep()
    (ack, answered) = _sent_to(EMAIL)
    assert inquiry.reference in answered.subject and answer in answered.body and MESSAGE not in answered.body
    assert "It&#x27;s all there &amp; nothing &quot;else&quot;." in _html(answered)
    closed_page = client.get(f"{base}/change/").content.decode()
    assert "Send answer" not in closed_page and "We hold your invoices from 2030." in closed_page  # timeline stays


def test_closing_without_a_resolution_is_refused_and_a_closed_inquiry_takes_no_more_work(staff):
    inquiry = _submit()
    with pytest.raises(ValidationError, match="Choose the resolution"):
        inquiries.close(inquiry=inquiry, resolution="", actor=staff, now=NOW)
    assert Inquiry.objects.get().status == Inquiry.Status.NEW
    inquiries.close(inquiry=inquiry, resolution=Inquiry.Resolution.NOT_PRIVACY, actor=staff, now=NOW)
    for work in (lambda: inquiries.answer(inquiry=inquiry, text="Late", actor=staff, now=NOW),
                 lambda: inquiries.extend(inquiry=inquiry, days=3, reason="x", actor=staff, now=NOW),
                 lambda: inquiries.assign(inquiry=inquiry, assignee=staff, actor=staff, now=NOW),
                 lambda: inquiries.close(inquiry=inquiry, resolution="answered", actor=staff, now=NOW)):
        with pytest.raises(InquiryRefused, match="closed"):
            work()
    with pytest.raises(InquiryRefused):
        inquiries.set_status(inquiry=inquiry, status=Inquiry.Status.CLOSED, actor=staff, now=NOW)


def test_the_officer_extends_from_the_admin_and_the_requester_is_told(client, staff):
    inquiry = _submit(now=NOW)  # due 3 April 2031: the admin's clock is before it
    client.force_login(staff)
    response = client.post(f"/admin/privacy/inquiry/{inquiry.pk}/extend/", {"days": "20", "reason": "A long copy."},
                           follow=True)
    assert "Due date extended to 23 April 2031" in response.content.decode()
    assert "Extend due date" not in client.get(f"/admin/privacy/inquiry/{inquiry.pk}/change/").content.decode()
    outbox.sweep()
    assert "A long copy." in _sent_to(EMAIL)[-1].body


def test_staff_outside_the_officer_group_see_no_inquiry_and_cannot_work_on_one(client, plain_staff):
    inquiry = _submit()
    client.force_login(plain_staff)
    base = "/admin/privacy/inquiry/"
    assert client.get(base).status_code == 403
    assert client.get(f"{base}{inquiry.pk}/change/").status_code == 403
    for work in ("assign", "start", "answer", "close"):
        assert client.post(f"{base}{inquiry.pk}/{work}/", {"text": "x", "resolution": "answered"}).status_code == 403
    assert MESSAGE.encode() not in client.get("/admin/").content
    assert Inquiry.objects.get().status == Inquiry.Status.NEW
    assert not AuditEvent.objects.filter(event=AuditEvent.Event.INQUIRY_VIEWED).exists()


def test_inquiries_are_assigned_only_to_staff_who_may_handle_them(staff, plain_staff, bob):
    inquiry = _submit()
    for person in (plain_staff, bob):
        with pytest.raises(InquiryRefused):
            inquiries.assign(inquiry=inquiry, assignee=person, actor=staff, now=NOW)
    assert inquiries.assign(inquiry=inquiry, assignee=staff, actor=staff, now=NOW).assignee == staff


# --- the daily digest and the erasure -----------------------------------------------------------------

def test_the_daily_digest_lists_references_and_due_dates_to_each_active_officer_once_a_day(staff):
    from accounts.officers import create_officer

    away = create_officer(email="away@softhelpers.example", password=PASSWORD, actor=None)
    User.objects.filter(pk=away.pk).update(is_active=False)
    assert inquiries.queue_daily_digest(now=NOW) == 0  # nothing open: no email
    first, second = _submit(email="one@requester.example"), _submit(email="two@requester.example")
    inquiries.close(inquiry=_submit(email="three@requester.example"), resolution="withdrawn", actor=staff, now=NOW)
    assert inquiries.queue_daily_digest(now=NOW) == 1
    assert inquiries.queue_daily_digest(now=NOW + timedelta(hours=5)) == 0  # beat ran twice: still one a day
    outbox.sweep()
    (digest,) = [m for m in mail.outbox if m.to != ["one@requester.example"] and "requester" not in m.to[0]]
    assert digest.to == [staff.email]
    assert first.reference in digest.body and second.reference in digest.body and f"{first.due_at:%Y-%m-%d}" in digest.body
    assert Inquiry.objects.get(email="three@requester.example").reference not in digest.body
    for personal in (NAME, "O'Brien", "one@requester.example", MESSAGE):
        assert personal not in digest.body + _html(digest)
    (queued,) = _events(AuditEvent.Event.INQUIRY_DIGEST_QUEUED)
    assert queued.data == {"officers": 1, "open": 2}
    assert inquiries.queue_daily_digest(now=NOW + timedelta(days=1)) == 1


@pytest.fixture
def eml_dir(tmp_path: Path):
    with override_settings(EMAIL_BACKEND="accounts.mail.EmlFileBackend", MAIL_DIR=tmp_path / "mail"):
        yield tmp_path / "mail"


def test_identifying_details_are_destroyed_keep_days_after_closing_and_the_record_stays(staff, bob, eml_dir):
    inquiry = _submit(user=bob, kind=Inquiry.Kind.REMOVAL)
    kept_open = _submit(email="open@requester.example", now=NOW - timedelta(days=800))
    inquiries.extend(inquiry=inquiry, days=5, reason="Checking backups", actor=staff, now=NOW + timedelta(days=1))
    inquiries.answer(inquiry=inquiry, text="Removed everywhere.", actor=staff, now=NOW + timedelta(days=2))
    closed_at = NOW + timedelta(days=3)
    inquiries.close(inquiry=inquiry, resolution="removed", note="Confirmed by phone", actor=staff, now=closed_at)
    outbox.sweep()
    assert len(_inquiry_mail_files()) == 4  # two acknowledgements, the extension, the answer
    others = set(list_mail_files()) - set(_inquiry_mail_files())  # alice's welcome, which stays

    assert inquiries.erase_expired(now=closed_at + timedelta(days=365, seconds=-1)) == 0
    assert inquiries.erase_expired(now=closed_at + timedelta(days=365)) == 1
    erased = Inquiry.objects.get(pk=inquiry.pk)
    assert (erased.name, erased.email, erased.message, erased.user, erased.client_index, erased.extension_reason,
            erased.resolution_note) == ("", "", "", None, "", "", "")
    assert (erased.reference, erased.kind, erased.status, erased.resolution) == (
        inquiry.reference, "removal", "closed", "removed")
    assert (erased.received_at, erased.due_at, erased.answered_at, erased.closed_at, erased.erased_at) == (
        NOW, NOW + timedelta(days=35), NOW + timedelta(days=2), closed_at, closed_at + timedelta(days=365))
    assert set(InquiryEvent.objects.filter(inquiry=inquiry).values_list("text", flat=True)) == {""}
    assert _whats(inquiry)[-1] == "erased"
    assert Inquiry.objects.get(pk=kept_open.pk).email == "open@requester.example"  # open: never erased
    (mail_left,) = _inquiry_mail_files()  # the open inquiry's acknowledgement; the erased one's copies are gone
    assert kept_open.reference.encode() in mail_left.read_bytes()
    assert others and others <= set(list_mail_files())
    (audited,) = _events(AuditEvent.Event.INQUIRIES_ERASED)
    assert audited.data == {"count": 1, "inquiry_ids": [inquiry.pk]}
    assert inquiries.erase_expired(now=closed_at + timedelta(days=400)) == 0  # safe to run again


def test_an_email_still_queued_for_an_erased_inquiry_is_not_sent(staff):
    inquiry = _submit()
    inquiries.close(inquiry=inquiry, resolution="withdrawn", actor=staff, now=NOW)
    with override_settings(PRIVACY_INQUIRY_KEEP_DAYS=0):
        assert inquiries.erase_expired(now=NOW) == 1
    outbox.sweep()
    assert mail.outbox == []


def test_the_beat_runs_the_digest_and_the_erasure_as_registered_tasks(settings, staff):
    from softhelpers.celery import app

    app.loader.import_default_modules()
    entries = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert {"privacy.inquiry_digest", "privacy.erase_closed_inquiries"} <= entries
    assert entries - set(app.tasks) == set()
    inquiry = _submit(now=LONG_AGO)
    inquiries.close(inquiry=inquiry, resolution="answered", actor=staff, now=LONG_AGO + timedelta(days=1))
    assert erase_closed_inquiries_task.run() == 1
    assert Inquiry.objects.get(pk=inquiry.pk).erased_at is not None
    _submit(email="still.open@requester.example", now=LONG_AGO)
    assert inquiry_digest_task.run() == 1


# --- before a purge ----------------------------------------------------------------------------------

def test_purge_due_dry_run_lists_open_access_inquiries_of_the_closed_companys_members(acme, bob, globex, capsys):
    access = _submit(user=bob, kind=Inquiry.Kind.ACCESS, email="bob@acme.example")
    _submit(user=bob, kind=Inquiry.Kind.QUESTION, email="bob@acme.example")
    answered_and_closed = _submit(user=acme.owner, kind=Inquiry.Kind.ACCESS, email="alice@acme.example")
    inquiries.close(inquiry=answered_and_closed, resolution="access_given", actor=bob, now=NOW)
    other = _submit(user=globex.owner, kind=Inquiry.Kind.ACCESS, email="charlie@globex.example")
    scheduled = retention_services.close_company(company=acme.company, actor=acme.owner,
                                                 reason=ScheduledPurge.Reason.OWNER)
    call_command("purge_due", "--dry-run", as_of=scheduled.due_at.isoformat())
    out = capsys.readouterr().out
    line = next(row for row in out.splitlines() if "open access inquiries" in row)
    assert line.strip() == f"open access inquiries by its members, to answer before the purge: {access.reference}"
    assert other.reference not in out and answered_and_closed.reference not in out
    for personal in ("bob@acme.example", NAME, MESSAGE):
        assert personal not in out


def test_the_inquiry_list_costs_the_same_queries_for_many_rows(client, staff, django_assert_max_num_queries):
    for number in range(25):
        _submit(now=NOW + timedelta(hours=number), email=f"many{number}@requester.example")
    client.force_login(staff)
    with django_assert_max_num_queries(12):
        response = client.get("/admin/privacy/inquiry/")
    assert response.status_code == 200 and response.content.decode().count("INQ-") >= 25
