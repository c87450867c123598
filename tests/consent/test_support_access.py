"""PUR-3: staff see no tenant personal data unless the company granted time-limited access; every view audited."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from accounts.models import AuditEvent
from consent import services
from consent.models import Consent, ConsentEvent
from tests.conftest import verified_login

pytestmark = [pytest.mark.django_db, pytest.mark.policy("PUR-3")]


def _staff_view(client, staff, company_id):
    verified_login(client, staff)
    return client.get(f"/admin/support/{company_id}/")


def _grant(client, owner, company_id, days="2"):
    client.force_login(owner)
    return client.post(f"/companies/{company_id}/support-access/", {"action": "grant", "days": days}, follow=True)


def test_staff_without_a_grant_see_nothing_and_nothing_is_recorded(client, acme, staff):
    response = _staff_view(client, staff, acme.company.pk)
    assert response.status_code == 403 and b"has not granted support access" in response.content
    assert b"ACMESECRET" not in response.content
    assert not AuditEvent.objects.filter(event=AuditEvent.Event.STAFF_VIEWED_PI).exists()


def test_owner_grants_access_and_every_staff_view_is_audited(client, acme, globex, staff):
    page = _grant(client, acme.owner, acme.company.pk).content.decode()
    assert "Soft Helpers support may view this company" in page
    response = _staff_view(client, staff, acme.company.pk)
    body = response.content.decode()
    assert response.status_code == 200
    assert "ACMESECRET Contact" in body and "acmesecret@client.example" in body
    assert "ACMESECRET-bank-password" not in body and "GLOBEXSECRET" not in body
    _staff_view(client, staff, acme.company.pk)
    views = AuditEvent.objects.filter(event=AuditEvent.Event.STAFF_VIEWED_PI, company_id=acme.company.pk)
    assert views.count() == 2 and {v.actor_id for v in views} == {staff.pk}
    assert _staff_view(client, staff, globex.company.pk).status_code == 403  # the grant is acme's only


def test_access_ends_when_the_grant_expires_or_is_revoked(client, acme, staff):
    services.grant_support_access(company=acme.company, actor=acme.owner, days=1,
                                  now=timezone.now() - timedelta(days=1, seconds=1))
    assert _staff_view(client, staff, acme.company.pk).status_code == 403  # expired, before any sweep
    _grant(client, acme.owner, acme.company.pk)
    assert _staff_view(client, staff, acme.company.pk).status_code == 200
    client.force_login(acme.owner)
    client.post(f"/companies/{acme.company.pk}/support-access/", {"action": "revoke"})
    assert _staff_view(client, staff, acme.company.pk).status_code == 403
    assert AuditEvent.objects.filter(company_id=acme.company.pk, event="support.revoked").exists()


def test_grant_is_time_limited_and_only_for_owners(client, acme, bob):
    page = _grant(client, acme.owner, acme.company.pk, days="99").content.decode()
    assert "Select a valid choice" in page and not ConsentEvent.objects.exists() and not Consent.objects.exists()
    client.force_login(bob)
    assert client.post(f"/companies/{acme.company.pk}/support-access/", {"days": "1"}).status_code == 403


def test_ordinary_users_cannot_open_the_staff_view(client, acme, alice):
    _grant(client, acme.owner, acme.company.pk)
    response = client.get(f"/admin/support/{acme.company.pk}/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_admin_pages_show_no_tenant_personal_data(client, acme, bob, staff):
    verified_login(client, staff)
    for url in ["/admin/accounts/company/", f"/admin/accounts/company/{acme.company.pk}/change/",
                "/admin/accounts/membership/", "/admin/accounts/auditevent/", "/admin/consent/consent/", "/admin/consent/consentevent/"]:
        response = client.get(url)
        assert response.status_code == 200, url
        assert b"ACMESECRET" not in response.content and b"Acme" not in response.content, url


def test_staff_outside_the_officer_group_cannot_open_the_view_even_under_a_grant(client, acme):
    from accounts.models import User

    clerk = User.objects.create_user(email="clerk@softhelpers.example", password="x" * 12, is_staff=True)
    _grant(client, acme.owner, acme.company.pk)
    response = _staff_view(client, clerk, acme.company.pk)
    assert response.status_code == 403 and b"ACMESECRET" not in response.content
    assert not AuditEvent.objects.filter(event=AuditEvent.Event.STAFF_VIEWED_PI).exists()


GRANTED_AT = datetime(2031, 7, 1, 9, 0, tzinfo=UTC)


def test_grant_revoke_and_expiry_are_ledger_events_with_their_method(acme):
    services.grant_support_access(company=acme.company, actor=acme.owner, days=2, now=GRANTED_AT)
    services.revoke_support_access(company=acme.company, actor=acme.owner, now=GRANTED_AT + timedelta(hours=1))
    services.grant_support_access(company=acme.company, actor=acme.owner, days=1, now=GRANTED_AT + timedelta(hours=2))
    assert services.expire_support_access(now=GRANTED_AT + timedelta(hours=3)) == 0  # not yet due
    assert services.expire_support_access(now=GRANTED_AT + timedelta(days=1, hours=2)) == 1
    assert services.expire_support_access(now=GRANTED_AT + timedelta(days=1, hours=3)) == 0  # safe to run twice
    events = list(ConsentEvent.objects.filter(company=acme.company).order_by("id"))
    assert [(e.purpose, e.granted, e.method, e.actor_id) for e in events] == [
        ("support_access", True, "settings_form", acme.owner.pk),
        ("support_access", False, "settings_form", acme.owner.pk),
        ("support_access", True, "settings_form", acme.owner.pk),
        ("support_access", False, "expiry", None)]
    assert events[0].expires_at == GRANTED_AT + timedelta(days=2) and events[1].expires_at is None
    state = Consent.objects.get(company=acme.company, purpose="support_access")
    assert not state.granted and state.event_id == events[-1].pk
    assert AuditEvent.objects.filter(company_id=acme.company.pk, event="support.revoked", data__expired=True).exists()


def test_the_expiry_task_is_on_the_beat_and_every_beat_entry_names_a_registered_task(settings):
    from softhelpers.celery import app

    app.loader.import_default_modules()
    beat = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "consent.expire_support_access" in beat
    assert beat - set(app.tasks) == set()
