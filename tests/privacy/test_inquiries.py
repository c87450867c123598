"""ACC-2, CHL-1: anyone's privacy inquiry or complaint reaches the officer, is acknowledged, answered on time,
tracked to its resolution, and its identifying details are destroyed a year after it closes."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.test import Client, override_settings
from django.utils import timezone

from accounts import outbox
from accounts.mail import list_mail_files
from accounts.models import AuditEvent, OutboxMessage, User
from privacy import inquiries, reports
from privacy.checks import check_inquiry_settings
from privacy.emails import INQUIRY_HEADER
from privacy.exceptions import InquiryRateLimited, InquiryRefused
from privacy.models import Inquiry, InquiryEvent
from privacy.tasks import erase_closed_inquiries_task, inquiry_digest_task
from retention import services as retention_services
from retention.models import ScheduledPurge
from tests.conftest import PASSWORD, verified_login

pytestmark = [pytest.mark.django_db, pytest.mark.policy("ACC-2"), pytest.mark.policy("CHL-1")]

NOW = datetime(2031, 3, 4, 10, 20, 30, tzinfo=UTC)  # the clock of every test (``clock``)
TODAY = timezone.localdate(NOW)
DUE = TODAY + timedelta(days=30)  # what an inquiry received at NOW is due on (PRIVACY_INQUIRY_DAYS)
URL = "/privacy/contact/"
THANKS = "/privacy/contact/thanks/"
REFERENCE = re.compile(r"INQ-[A-Z2-7]{4}-[A-Z2-7]{4}-[A-Z2-7]{4}")
MESSAGE = "Quixotic-Zebra-4471: what do you keep about my payroll?"  # distinctive: must never be echoed
NAME = "Zoë O'Brien & \"Sons\""  # plain-text mail must not turn these into &#x27; &amp; &quot;
EMAIL = "zoe.obrien@requester.example"


@dataclass
class Clock:
    now: datetime


@pytest.fixture(autouse=True)
def clock(monkeypatch) -> Clock:
    """Every ``timezone.now()`` of the code under test (views, admin, tasks) reads this clock: NOW until moved."""
    pinned = Clock(NOW)
    monkeypatch.setattr("django.utils.timezone.now", lambda: pinned.now)
    return pinned


def _at(day: date, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute, second), tzinfo=timezone.get_default_timezone())


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
    posted = _post(client)
    assert (posted.status_code, posted["Location"]) == (302, THANKS), posted.content
    response = client.get(THANKS)
    assert response.status_code == 200
    page = response.content.decode()
    inquiry = Inquiry.objects.get()
    assert REFERENCE.fullmatch(inquiry.reference) and inquiry.reference in page
    assert f"We will answer by <strong>{DUE:%-d %B %Y}</strong>" in page
    assert 'href="/privacy/officer/"' in page and 'href="/"' in page
    assert "no-store" in response["Cache-Control"]  # MOB-1: the page names the sender's reference
    assert (inquiry.name, inquiry.email, inquiry.message, inquiry.kind, inquiry.user) == (
        NAME, EMAIL, MESSAGE, Inquiry.Kind.COMPLAINT, None)
    assert (inquiry.status, inquiry.received_at, inquiry.due_on) == (Inquiry.Status.NEW, NOW, DUE)
    assert OutboxMessage.objects.get(handler="privacy.inquiry_acknowledgement").payload == {"inquiry_id": inquiry.pk}

    outbox.sweep()
    (ack,) = _sent_to(EMAIL)
    assert inquiry.reference in ack.subject and inquiry.reference in ack.body and inquiry.reference in _html(ack)
    assert f"We will answer by {DUE:%-d %B %Y}" in ack.body
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


def test_the_thanks_page_follows_a_redirect_and_reloading_it_sends_nothing_again(client):
    posted = _post(client)
    assert posted.status_code == 302 and posted["Location"] == THANKS  # the reference is never in the URL
    inquiry = Inquiry.objects.get()
    for _reload in range(2):
        page = client.get(THANKS)
        assert page.status_code == 200 and inquiry.reference in page.content.decode()
        assert f"{DUE:%-d %B %Y}" in page.content.decode()
    assert Inquiry.objects.count() == 1 and InquiryEvent.objects.count() == 1
    assert OutboxMessage.objects.filter(handler="privacy.inquiry_acknowledgement").count() == 1
    assert len(_events(AuditEvent.Event.INQUIRY_RECEIVED)) == 1
    assert client.post(THANKS).status_code == 405


def test_the_thanks_page_without_an_inquiry_of_this_session_sends_to_the_form(client):
    _post(client)
    response = Client().get(THANKS)  # another browser: nothing of this one's
    assert (response.status_code, response["Location"]) == (302, URL)


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
    assert _post(client, email="bob@acme.example", name="Bob").status_code == 302
    inquiry = Inquiry.objects.get()
    assert inquiry.user == bob
    # The link is Inquiry.user alone (erased later): neither the timeline nor the audit trail names the sender.
    assert list(InquiryEvent.objects.filter(inquiry=inquiry).values_list("what", "actor_id")) == [("received", None)]
    (received,) = _events(AuditEvent.Event.INQUIRY_RECEIVED)
    assert (received.subject_id, received.actor_id) == (inquiry.pk, None)


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
    assert _submit().due_on == TODAY + timedelta(days=days)


def test_the_due_date_is_a_day_whatever_the_time_of_receipt():
    early = _submit(now=_at(TODAY, 0, 0, 1), email="early@requester.example")
    late = _submit(now=_at(TODAY, 23, 59, 59), email="late@requester.example")
    assert early.due_on == late.due_on == DUE and isinstance(late.due_on, date)
    assert inquiries.due_date(_at(TODAY, 23, 59, 59)) == DUE


@pytest.mark.parametrize(("days", "ok"), [(1, True), (30, True), (31, False), (0, False)])
def test_a_system_check_refuses_more_than_30_days_to_answer(days, ok):
    with override_settings(PRIVACY_INQUIRY_DAYS=days):
        errors = [e for e in check_inquiry_settings() if e.id == "privacy.E004"]
    assert (errors == []) is ok


# --- abuse: the hourly limit and the honeypot -----------------------------------------------------------

def test_the_sixth_inquiry_from_one_email_within_an_hour_is_a_429_and_stores_nothing(client):
    for number in range(5):
        assert _post(client, address=f"198.51.100.{number}").status_code == 302
    refused = _post(client, email=EMAIL.upper(), address="198.51.100.99")
    assert refused.status_code == 429
    assert "5 inquiries from you in the last hour" in refused.content.decode()
    assert "info@softhelpers.com" in refused.content.decode()  # the way to the officer stays open
    assert Inquiry.objects.count() == 5
    assert OutboxMessage.objects.filter(handler="privacy.inquiry_acknowledgement").count() == 5
    assert _post(client, email="someone.else@requester.example", address="198.51.100.98").status_code == 302


def test_the_sixth_inquiry_from_one_client_address_within_an_hour_is_a_429(client):
    for number in range(5):
        assert _post(client, email=f"sender{number}@requester.example").status_code == 302
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


def test_client_addresses_older_than_an_hour_are_forgotten_by_the_hourly_run(clock):
    old = _submit(now=NOW - timedelta(minutes=90), email="old@requester.example")
    edge = _submit(now=NOW - timedelta(hours=1), email="edge@requester.example")
    recent = _submit(now=NOW - timedelta(minutes=59), email="recent@requester.example")
    kept = Inquiry.objects.get(pk=recent.pk).client_index
    assert Inquiry.objects.exclude(client_index="").count() == 3 and kept == inquiries.client_index("203.0.113.9")
    assert inquiries.forget_client_addresses(now=NOW) == 2
    indexes = dict(Inquiry.objects.values_list("pk", "client_index"))
    assert indexes == {old.pk: "", edge.pk: "", recent.pk: kept}
    assert inquiries.forget_client_addresses(now=NOW) == 0  # safe to run twice
    clock.now = NOW + timedelta(minutes=1)
    assert inquiries.forget_client_addresses() == 1  # the clock, when no moment is given
    assert set(Inquiry.objects.values_list("client_index", flat=True)) == {""}


def test_a_filled_honeypot_looks_like_success_but_stores_and_sends_nothing(client):
    response = _post(client, website="https://spam.example")
    assert (response.status_code, response["Location"]) == (302, THANKS)  # as a person's inquiry
    page = client.get(THANKS).content.decode()
    assert REFERENCE.search(page) and f"We will answer by <strong>{DUE:%-d %B %Y}</strong>" in page
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
    new_due = DUE + timedelta(days=14)
    assert (extended.due_on, extended.extended_at, extended.extended_by, extended.extension_reason) == (
        new_due, NOW + timedelta(days=5), staff, reason)
    (event,) = InquiryEvent.objects.filter(inquiry=inquiry, what=InquiryEvent.What.EXTENDED)
    assert (event.actor_id, event.text, event.detail) == (staff.pk, reason, f"{DUE:%Y-%m-%d} → {new_due:%Y-%m-%d} (+14 days)")
    (audited,) = _events(AuditEvent.Event.INQUIRY_EXTENDED)
    assert (audited.actor_id, audited.subject_id, audited.data) == (staff.pk, inquiry.pk, {"days": 14})

    outbox.sweep()
    (ack, notice) = _sent_to(EMAIL)
    assert f"{new_due:%-d %B %Y}" in notice.subject and f"We will answer by {new_due:%-d %B %Y}" in notice.body
    assert inquiry.reference in notice.body and reason in notice.body  # plain text: not HTML-escaped
    assert "It&#x27;s &quot;routine&quot; &amp; usual." in _html(notice) and MESSAGE not in notice.body

    assert not inquiries.can_extend(extended, now=NOW + timedelta(days=6))
    with pytest.raises(InquiryRefused, match="already extended once"):
        inquiries.extend(inquiry=inquiry, days=1, reason="Again", actor=staff, now=NOW + timedelta(days=6))
    assert Inquiry.objects.get().due_on == new_due


@pytest.mark.parametrize(("days", "reason", "at", "error"), [
    (31, "More work", NOW + timedelta(days=1), "1 to 30 days"),
    (0, "More work", NOW + timedelta(days=1), "1 to 30 days"),
    (10, "  ", NOW + timedelta(days=1), "Give the reason"),
    (10, "More work", _at(DUE + timedelta(days=1)), "The due date has passed"),
])
def test_an_extension_too_long_without_a_reason_or_after_the_due_date_is_refused(staff, days, reason, at, error):
    inquiry = _submit()
    with pytest.raises((InquiryRefused, ValidationError), match=error):
        inquiries.extend(inquiry=inquiry, days=days, reason=reason, actor=staff, now=at)
    inquiry.refresh_from_db()
    assert (inquiry.due_on, inquiry.extended_at) == (DUE, None)
    assert not OutboxMessage.objects.filter(handler="privacy.inquiry_extension").exists()


def test_the_due_date_is_a_day_so_it_can_be_extended_until_its_last_second_and_is_overdue_the_day_after(staff):
    inquiry = _submit()  # received at 10:20; the requester was told "by <DUE>"
    last_second, next_day = _at(DUE, 23, 59, 59), _at(DUE + timedelta(days=1))
    assert inquiries.can_extend(inquiry, now=last_second) and not inquiries.can_extend(inquiry, now=next_day)
    assert list(Inquiry.objects.overdue(now=last_second)) == [] and list(Inquiry.objects.overdue(now=next_day)) == [inquiry]
    assert list(Inquiry.objects.due_within(now=last_second, days=7)) == [inquiry]
    with pytest.raises(InquiryRefused, match="The due date has passed"):
        inquiries.extend(inquiry=inquiry, days=3, reason="More work", actor=staff, now=next_day)
    extended = inquiries.extend(inquiry=inquiry, days=3, reason="More work", actor=staff, now=last_second)
    assert extended.due_on == DUE + timedelta(days=3)


def test_an_answered_or_closed_inquiry_cannot_be_extended(staff):
    answered, closed = _submit(email="answered@requester.example"), _submit(email="closed@requester.example")
    inquiries.answer(inquiry=answered, text="Here it is.", actor=staff, now=NOW)
    inquiries.close(inquiry=closed, resolution=Inquiry.Resolution.WITHDRAWN, actor=staff, now=NOW)
    for inquiry, refusal in ((answered, "is answered"), (closed, "is closed")):
        inquiry.refresh_from_db()
        assert not inquiries.can_extend(inquiry, now=NOW)
        with pytest.raises(InquiryRefused, match=refusal):
            inquiries.extend(inquiry=inquiry, days=3, reason="More work", actor=staff, now=NOW)


def test_overdue_is_past_the_due_date_without_an_answer_and_due_soon_is_the_next_7_days(staff):
    late = _submit(now=NOW - timedelta(days=31), email="late@requester.example")
    due_today = _submit(now=NOW - timedelta(days=30), email="today@requester.example")
    soon = _submit(now=NOW - timedelta(days=25), email="soon@requester.example")
    fresh = _submit(now=NOW, email="fresh@requester.example")
    answered = _submit(now=NOW - timedelta(days=40), email="answered@requester.example")
    inquiries.answer(inquiry=answered, text="Here it is.", actor=staff, now=NOW - timedelta(days=35))
    closed = _submit(now=NOW - timedelta(days=45), email="closed@requester.example")
    inquiries.close(inquiry=closed, resolution=Inquiry.Resolution.WITHDRAWN, actor=staff, now=NOW - timedelta(days=44))
    assert (late.due_on, due_today.due_on, soon.due_on) == (TODAY - timedelta(days=1), TODAY, TODAY + timedelta(days=5))
    tonight = _at(TODAY, 23, 59, 59)
    assert list(Inquiry.objects.overdue(now=NOW)) == list(Inquiry.objects.overdue(now=tonight)) == [late]
    assert list(Inquiry.objects.due_within(now=NOW, days=7).order_by("due_on")) == [due_today, soon]
    flags = dict(Inquiry.objects.with_overdue(now=tonight).values_list("pk", "is_overdue"))
    assert flags == {late.pk: True, due_today.pk: False, soon.pk: False, fresh.pk: False, answered.pk: False,
                     closed.pk: False}
    assert list(Inquiry.objects.overdue(now=NOW - timedelta(days=2))) == []  # a day before its due date
    assert list(Inquiry.objects.overdue(now=_at(TODAY + timedelta(days=1))).order_by("due_on")) == [late, due_today]


def test_the_reports_section_counts_unanswered_inquiries_per_due_date_and_overdue_before_today(staff):
    late = _submit(now=NOW - timedelta(days=31), email="late@requester.example")
    _submit(now=NOW - timedelta(days=30), email="today@requester.example")
    _submit(now=NOW - timedelta(days=25), email="soon1@requester.example")
    _submit(now=NOW - timedelta(days=25, hours=-13), email="soon2@requester.example")  # 23:20, the same day
    answered = _submit(now=NOW - timedelta(days=25), email="answered@requester.example")
    inquiries.answer(inquiry=answered, text="Here it is.", actor=staff, now=NOW)
    due = reports.SECTIONS["inquiries"].count(TODAY, TODAY + timedelta(days=29))
    assert due.per_day == [(TODAY, 1), (TODAY + timedelta(days=5), 2)]
    assert due.overdue == Inquiry.objects.overdue(now=NOW).count() == 1 and late.due_on < TODAY
    assert due.link == "/admin/privacy/inquiry/"


def test_the_admin_lists_overdue_and_due_soon_with_their_filters(client, staff):
    late = _submit(now=NOW - timedelta(days=31), email="late@requester.example")
    soon = _submit(now=NOW - timedelta(days=25), email="soon@requester.example")
    fresh = _submit(now=NOW - timedelta(minutes=1), email="fresh@requester.example")
    verified_login(client, staff)
    listing = client.get("/admin/privacy/inquiry/").content.decode()
    assert all(i.reference in listing for i in (late, soon, fresh))
    assert "Overdue" in listing and "Due within 7 days" in listing and "Due date" in listing
    assert f"{DUE.day} {DUE:%b %Y}" in listing  # fresh's due date, as a date in the one format (3 Apr 2031)
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
    inquiry = _submit(kind=Inquiry.Kind.ACCESS)
    verified_login(client, staff)
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
    inquiry = _submit()
    verified_login(client, staff)
    response = client.post(f"/admin/privacy/inquiry/{inquiry.pk}/extend/", {"days": "20", "reason": "A long copy."},
                           follow=True)
    assert f"Due date extended to {DUE + timedelta(days=20):%d %B %Y}" in response.content.decode()
    assert "Extend due date" not in client.get(f"/admin/privacy/inquiry/{inquiry.pk}/change/").content.decode()
    outbox.sweep()
    assert "A long copy." in _sent_to(EMAIL)[-1].body


def test_the_admin_offers_the_extension_by_the_services_rule_through_the_due_date(client, staff, clock, monkeypatch):
    inquiry = _submit()
    page = f"/admin/privacy/inquiry/{inquiry.pk}/change/"
    clock.now = _at(DUE, 23, 59)  # the last minute of the due date: still allowed
    verified_login(client, staff)
    assert "Extend due date" in client.get(page).content.decode()
    clock.now = _at(DUE + timedelta(days=1))  # a minute later: the next day
    assert "Extend due date" not in client.get(page).content.decode()
    refused = client.post(f"/admin/privacy/inquiry/{inquiry.pk}/extend/", {"days": "5", "reason": "Late."}, follow=True)
    assert "The due date has passed" in refused.content.decode() and Inquiry.objects.get().due_on == DUE
    asked = []
    monkeypatch.setattr(inquiries, "can_extend", lambda inquiry, *, now: asked.append((inquiry.pk, now)) or True)
    assert "Extend due date" in client.get(page).content.decode()  # the admin asks the service, not its own rule
    assert asked == [(inquiry.pk, clock.now)]


def test_staff_outside_the_officer_group_see_no_inquiry_and_cannot_work_on_one(client, plain_staff):
    inquiry = _submit()
    verified_login(client, plain_staff)
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
    assert first.reference in digest.body and second.reference in digest.body and f"{DUE:%Y-%m-%d}" in digest.body
    assert first.due_on == DUE and "OVERDUE" not in digest.body
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
    assert (erased.received_at, erased.due_on, erased.answered_at, erased.closed_at, erased.erased_at) == (
        NOW, DUE + timedelta(days=5), NOW + timedelta(days=2), closed_at, closed_at + timedelta(days=365))
    assert set(InquiryEvent.objects.filter(inquiry=inquiry).values_list("text", flat=True)) == {""}
    assert _whats(inquiry)[-1] == "erased"
    assert Inquiry.objects.get(pk=kept_open.pk).email == "open@requester.example"  # open: never erased
    (mail_left,) = _inquiry_mail_files()  # the open inquiry's acknowledgement; the erased one's copies are gone
    assert kept_open.reference.encode() in mail_left.read_bytes()
    assert others and others <= set(list_mail_files())
    (audited,) = _events(AuditEvent.Event.INQUIRIES_ERASED)
    assert audited.data == {"count": 1, "inquiry_ids": [inquiry.pk]}
    assert inquiries.erase_expired(now=closed_at + timedelta(days=400)) == 0  # safe to run again


def test_after_erasure_no_inquiry_timeline_or_audit_row_holds_the_senders_user_id(client, staff, bob):
    client.force_login(bob)
    assert _post(client, email="bob@acme.example", name="Bob", kind=Inquiry.Kind.ACCESS).status_code == 302
    inquiry = Inquiry.objects.get()
    assert inquiry.user_id == bob.pk  # linked while it is handled
    inquiries.assign(inquiry=inquiry, assignee=staff, actor=staff, now=NOW)
    inquiries.extend(inquiry=inquiry, days=2, reason="A copy from backups", actor=staff, now=NOW)
    inquiries.answer(inquiry=inquiry, text="Your copy is attached.", actor=staff, now=NOW)
    inquiries.close(inquiry=inquiry, resolution="access_given", actor=staff, now=NOW)
    assert inquiries.erase_expired(now=NOW + timedelta(days=365)) == 1

    assert Inquiry.objects.filter(user_id=bob.pk).count() == 0 and Inquiry.objects.get().user_id is None
    actors = set(InquiryEvent.objects.filter(inquiry=inquiry).values_list("actor_id", flat=True))
    assert actors == {None, staff.pk}  # the sender: no one; the officer's steps stay theirs
    audit = AuditEvent.objects.filter(event__startswith="inquir")
    assert {e.event for e in audit} >= {"inquiry.received", "inquiry.closed", "inquiry.erased"}
    assert not audit.filter(actor_id=bob.pk).exists()
    assert all(e.data.get(key) != bob.pk for e in audit for key in ("user_id", "actor_id", "sender"))
    assert set(audit.values_list("actor_id", flat=True)) == {None, staff.pk}


def test_the_erasure_clears_a_senders_id_left_on_an_older_received_entry(staff, bob):
    inquiry = _submit(user=bob)
    InquiryEvent.objects.filter(inquiry=inquiry, what="received").update(actor_id=bob.pk)  # as submit wrote it once
    inquiries.assign(inquiry=inquiry, assignee=staff, actor=staff, now=NOW)
    inquiries.close(inquiry=inquiry, resolution="answered", actor=staff, now=NOW)
    assert inquiries.erase_expired(now=NOW + timedelta(days=365)) == 1
    timeline = list(InquiryEvent.objects.filter(inquiry=inquiry).order_by("pk").values_list("what", "actor_id"))
    assert timeline == [("received", None), ("assigned", staff.pk), ("status", staff.pk), ("closed", staff.pk),
                        ("erased", None)]


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
    long_ago = NOW - timedelta(days=400)  # the tasks read the clock: NOW
    inquiry = _submit(now=long_ago)
    inquiries.close(inquiry=inquiry, resolution="answered", actor=staff, now=long_ago + timedelta(days=1))
    assert erase_closed_inquiries_task.run() == 1
    assert Inquiry.objects.get(pk=inquiry.pk).erased_at == NOW
    _submit(email="still.open@requester.example", now=long_ago)
    assert inquiry_digest_task.run() == 1


# --- before a purge ----------------------------------------------------------------------------------

def _dry_run_line(capsys, scheduled: ScheduledPurge) -> tuple[str, str]:
    call_command("purge_due", "--dry-run", as_of=scheduled.due_at.isoformat())
    out = capsys.readouterr().out
    lines = [row.strip() for row in out.splitlines() if "access inquiries" in row]
    return (lines[0] if lines else ""), out


def test_purge_due_dry_run_lists_unanswered_access_inquiries_of_the_closed_companys_members(acme, bob, globex, staff,
                                                                                          capsys):
    access = _submit(user=bob, kind=Inquiry.Kind.ACCESS, email="bob@acme.example")
    _submit(user=bob, kind=Inquiry.Kind.QUESTION, email="bob@acme.example")
    answered_and_closed = _submit(user=acme.owner, kind=Inquiry.Kind.ACCESS, email="alice@acme.example")
    inquiries.close(inquiry=answered_and_closed, resolution="access_given", actor=bob, now=NOW)
    answered_open = _submit(user=bob, kind=Inquiry.Kind.ACCESS, email="bob@acme.example", now=NOW + timedelta(minutes=1))
    inquiries.answer(inquiry=answered_open, text="Your copy.", actor=staff, now=NOW)  # answered: nothing to do
    other = _submit(user=globex.owner, kind=Inquiry.Kind.ACCESS, email="charlie@globex.example")
    scheduled = retention_services.close_company(company=acme.company, actor=acme.owner,
                                                 reason=ScheduledPurge.Reason.OWNER)
    line, out = _dry_run_line(capsys, scheduled)
    assert line == f"unanswered access inquiries by its members, to answer before the purge: {access.reference}"
    for left_out in (other, answered_and_closed, answered_open):
        assert left_out.reference not in out
    for personal in ("bob@acme.example", NAME, MESSAGE):
        assert personal not in out


def test_purge_due_dry_run_also_lists_access_inquiries_members_sent_while_logged_out(acme, bob, globex, capsys):
    by_account = _submit(user=bob, kind=Inquiry.Kind.ACCESS, email="bob.private@requester.example",
                         now=NOW - timedelta(days=2))
    logged_out = _submit(kind=Inquiry.Kind.ACCESS, email="Bob@ACME.example", now=NOW - timedelta(days=1))
    owner_logged_out = _submit(kind=Inquiry.Kind.ACCESS, email=acme.owner.email.upper(), address="198.51.100.1")
    _submit(kind=Inquiry.Kind.ACCESS, email="charlie@globex.example", address="198.51.100.2")  # another company's
    _submit(kind=Inquiry.Kind.ACCESS, email="bob@acme.example.org", address="198.51.100.3")  # not the same address
    _submit(kind=Inquiry.Kind.QUESTION, email="bob@acme.example", address="198.51.100.4")  # not about access
    scheduled = retention_services.close_company(company=acme.company, actor=acme.owner,
                                                 reason=ScheduledPurge.Reason.OWNER)
    line, out = _dry_run_line(capsys, scheduled)
    listed = line.split(": ", 1)[1].split(", ")
    assert listed == [by_account.reference, logged_out.reference, owner_logged_out.reference]  # soonest due first
    assert len(REFERENCE.findall(out)) == 3
    for personal in ("bob@acme.example", "Bob@ACME.example", acme.owner.email, "charlie@globex.example", MESSAGE):
        assert personal.lower() not in out.lower()


def test_the_inquiry_list_costs_the_same_queries_for_many_rows(client, staff, django_assert_max_num_queries):
    for number in range(25):
        _submit(now=NOW + timedelta(hours=number), email=f"many{number}@requester.example")
    verified_login(client, staff)
    with django_assert_max_num_queries(12):
        response = client.get("/admin/privacy/inquiry/")
    assert response.status_code == 200 and response.content.decode().count("INQ-") >= 25
