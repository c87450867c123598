"""CON-1, CON-7: the consent ledger is append-only, hash-chained, and its state always equals the newest event."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, connections, transaction

from accounts.models import User
from consent import ledger, services
from consent.models import Consent, ConsentEvent, Method
from privacy import policy
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.django_db]

NOW = datetime(2031, 5, 6, 7, 8, 9, tzinfo=UTC)
USER_PURPOSES = ["product_info", "service_updates", "notifications", "newsletter", "tailored_savings"]


def _signup(client, **ticked):
    return client.post("/accounts/signup/", {
        "full_name": "Erin Example", "email": "erin@example.com", "password": PASSWORD, "company_name": "Erin Ltd",
        **{f"consent_{p}": "on" for p, on in ticked.items() if on}})


@pytest.mark.policy("CON-1")
def test_signup_shows_every_user_purpose_unticked(client):
    page = client.get("/accounts/signup/").content.decode()
    for purpose in USER_PURPOSES:
        assert f'name="consent_{purpose}"' in page
    assert "checked" not in page


@pytest.mark.policy("CON-1")
def test_signup_with_nothing_ticked_writes_no_grant(client):
    assert _signup(client).status_code == 302
    user = User.objects.get(email="erin@example.com")
    assert not ConsentEvent.objects.filter(user=user).exists() and not Consent.objects.filter(user=user).exists()


@pytest.mark.policy("CON-1")
def test_signup_grants_only_the_ticked_purposes_with_who_how_when_and_policy(client):
    _signup(client, newsletter=True, service_updates=True)
    user = User.objects.get(email="erin@example.com")
    events = list(ConsentEvent.objects.filter(user=user).order_by("purpose"))
    assert [(e.purpose, e.granted, e.method, e.actor_id, e.policy_version) for e in events] == [
        ("newsletter", True, Method.SIGNUP_FORM, user.pk, policy.current_label()),
        ("service_updates", True, Method.SIGNUP_FORM, user.pk, policy.current_label())]


@pytest.mark.policy("CON-7")
def test_grant_withdraw_grant_leaves_three_events_and_the_first_two_unchanged(bob):
    def change(granted, minutes):
        services.set_user_consents(user=bob, choices={"newsletter": granted}, method=Method.SETTINGS_FORM,
                                   actor=bob, now=NOW + timedelta(minutes=minutes))

    change(True, 0)
    change(False, 1)
    first_two = list(ConsentEvent.objects.filter(user=bob).order_by("id").values())
    change(True, 2)
    events = list(ConsentEvent.objects.filter(user=bob).order_by("id").values())
    assert len(events) == 3 and events[:2] == first_two
    assert [e["granted"] for e in events] == [True, False, True]
    assert [e["at"] for e in events] == [NOW, NOW + timedelta(minutes=1), NOW + timedelta(minutes=2)]
    assert events[1]["prev_hash"] == events[0]["hash"] and events[2]["prev_hash"] == events[1]["hash"]


@pytest.mark.policy("CON-7")
def test_repeating_the_current_state_writes_nothing(bob):
    services.set_user_consents(user=bob, choices={"newsletter": False}, method=Method.API, actor=bob, now=NOW)
    assert not ConsentEvent.objects.exists()  # withdrawing what was never granted is no decision
    services.set_user_consents(user=bob, choices={"newsletter": True}, method=Method.API, actor=bob, now=NOW)
    services.set_user_consents(user=bob, choices={"newsletter": True}, method=Method.API, actor=bob, now=NOW)
    assert ConsentEvent.objects.count() == 1


@pytest.mark.policy("CON-7")
@pytest.mark.parametrize("statement", [
    "UPDATE consent_consentevent SET granted = NOT granted",
    "DELETE FROM consent_consentevent",
    "TRUNCATE consent_consentevent CASCADE",
    "DELETE FROM consent_consent",
])
def test_the_app_role_cannot_rewrite_or_delete_the_ledger(bob, statement):
    services.set_user_consents(user=bob, choices={"newsletter": True}, method=Method.API, actor=bob, now=NOW)
    with pytest.raises(DatabaseError, match="permission denied"), transaction.atomic(), connection.cursor() as cur:
        cur.execute(statement)
    assert ConsentEvent.objects.filter(user=bob, granted=True).count() == 1


def _assert_state_is_newest_event():
    for state in Consent.objects.all():
        newest = ConsentEvent.objects.filter(user_id=state.user_id, company_id=state.company_id,
                                             purpose=state.purpose).order_by("-id").first()
        assert state.event_id == newest.pk
        assert (state.granted, state.since, state.expires_at) == (newest.granted, newest.at, newest.expires_at)


@pytest.mark.policy("CON-1")
def test_state_equals_the_newest_event_after_every_change(bob, guest):
    for minute, (user, granted) in enumerate([(bob, True), (guest, True), (bob, False), (bob, True), (guest, False)]):
        services.set_user_consents(user=user, choices={"newsletter": granted, "product_info": not granted},
                                   method=Method.API, actor=user, now=NOW + timedelta(minutes=minute))
        _assert_state_is_newest_event()


@pytest.mark.policy("CON-1")
@pytest.mark.django_db(transaction=True)
def test_state_equals_the_newest_event_under_concurrent_changes(bob):
    barrier = threading.Barrier(2)
    errors = []

    def flip(granted):
        try:
            barrier.wait()
            for _ in range(10):
                services.set_user_consents(user=User.objects.get(pk=bob.pk), choices={"newsletter": granted},
                                           method=Method.API, actor=None)
                granted = not granted
        except Exception as exc:  # surfaced by the assertion below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=flip, args=(g,)) for g in (True, False)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    _assert_state_is_newest_event()
    assert Consent.objects.filter(user=bob).count() == 1
    assert not [b for b in ledger.verify_chains() if not isinstance(b, int)]


@pytest.mark.policy("CON-1")
@pytest.mark.django_db(transaction=True, databases=["default", "owner"])
def test_verify_audit_reports_a_tampered_consent_event(bob, capsys):
    for minute, granted in enumerate([True, False, True]):
        services.set_user_consents(user=bob, choices={"newsletter": granted}, method=Method.API, actor=bob,
                                   now=NOW + timedelta(minutes=minute))
    call_command("verify_audit", verbosity=1)
    assert "consent ledger intact" in capsys.readouterr().out
    victim = ConsentEvent.objects.order_by("id")[1]
    with connections["owner"].cursor() as cursor:  # someone with the owner's password rewrites a withdrawal
        cursor.execute("UPDATE consent_consentevent SET granted = true WHERE id = %s", [victim.pk])
    with pytest.raises(CommandError, match="tampered"):
        call_command("verify_audit", verbosity=0)
    assert f"Consent event {victim.pk} " in capsys.readouterr().err


def test_a_purpose_of_another_subject_is_refused(bob):
    with pytest.raises(services.ConsentError):
        services.set_user_consents(user=bob, choices={"support_access": True}, method=Method.API, actor=bob)
    assert not ConsentEvent.objects.exists()
