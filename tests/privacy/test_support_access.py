"""PUR-3: staff see no tenant personal data unless the company granted time-limited access; every view audited."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import AuditEvent
from privacy.models import SupportGrant

pytestmark = [pytest.mark.django_db, pytest.mark.policy("PUR-3")]


def _staff_view(client, staff, company_id):
    client.force_login(staff)
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
    _grant(client, acme.owner, acme.company.pk, days="1")
    SupportGrant.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert _staff_view(client, staff, acme.company.pk).status_code == 403
    _grant(client, acme.owner, acme.company.pk)
    assert _staff_view(client, staff, acme.company.pk).status_code == 200
    client.force_login(acme.owner)
    client.post(f"/companies/{acme.company.pk}/support-access/", {"action": "revoke"})
    assert _staff_view(client, staff, acme.company.pk).status_code == 403
    assert AuditEvent.objects.filter(company_id=acme.company.pk, event="support.revoked").exists()


def test_grant_is_time_limited_and_only_for_owners(client, acme, bob):
    page = _grant(client, acme.owner, acme.company.pk, days="99").content.decode()
    assert "Select a valid choice" in page and not SupportGrant.objects.exists()
    client.force_login(bob)
    assert client.post(f"/companies/{acme.company.pk}/support-access/", {"days": "1"}).status_code == 403


def test_ordinary_users_cannot_open_the_staff_view(client, acme, alice):
    _grant(client, acme.owner, acme.company.pk)
    response = client.get(f"/admin/support/{acme.company.pk}/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_admin_pages_show_no_tenant_personal_data(client, acme, bob, staff):
    client.force_login(staff)
    for url in ["/admin/accounts/company/", f"/admin/accounts/company/{acme.company.pk}/change/",
                "/admin/accounts/membership/", "/admin/accounts/auditevent/", "/admin/privacy/supportgrant/"]:
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
