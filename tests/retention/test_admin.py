"""PUR-4: the staff places and releases holds in the admin and sees upcoming purges and certificates."""

from __future__ import annotations

from datetime import timedelta

import pytest

from accounts.models import AuditEvent
from retention import purge, services
from retention.models import LegalHold, ScheduledPurge
from tests.conftest import verified_login

pytestmark = [pytest.mark.django_db, pytest.mark.policy("PUR-4")]


def test_staff_places_a_hold_sees_it_in_the_purge_list_and_releases_it(client, staff, acme):
    scheduled = services.close_company(company=acme.company, actor=acme.owner, reason=ScheduledPurge.Reason.OWNER)
    verified_login(client, staff)
    review_on = (scheduled.due_at + timedelta(days=90)).date()  # after the purge date, on any day the test runs
    response = client.post("/admin/retention/legalhold/add/", {
        "company": acme.company.pk, "reason": "Tax audit", "reference": "Order 55/2026",
        "review_on": review_on.isoformat()})
    assert response.status_code == 302, response.content.decode()[:2000]
    hold = LegalHold.objects.get()
    assert hold.placed_by_id == staff.pk and hold.review_on == review_on
    assert AuditEvent.objects.filter(event=AuditEvent.Event.LEGAL_HOLD_PLACED, actor_id=staff.pk).exists()

    listing = client.get("/admin/retention/scheduledpurge/").content.decode()
    assert f"{scheduled.due_at:%Y}" in listing and "0 / 0 rows (0%)" in listing and "icon-yes" in listing
    assert acme.owner.email not in listing and "Acme" not in listing
    detail = client.get(f"/admin/retention/scheduledpurge/{scheduled.pk}/change/").content.decode()
    assert acme.owner.email not in detail

    client.post("/admin/retention/legalhold/", {"action": "release", "_selected_action": [hold.pk]})
    hold.refresh_from_db()
    assert hold.released_at is not None and hold.released_by_id == staff.pk


def test_staff_reads_the_certificate_without_personal_data(client, staff, acme):
    scheduled = services.close_company(company=acme.company, actor=acme.owner, reason=ScheduledPurge.Reason.OWNER)
    purge.run_due_purges(as_of=scheduled.due_at)
    verified_login(client, staff)
    certificate = scheduled.certificate
    page = client.get(f"/admin/retention/deletioncertificate/{certificate.pk}/change/").content.decode()
    assert certificate.digest in page and "rows_remaining_total" in page
    assert "ACMESECRET" not in page and "acme.example" not in page
    assert client.get("/admin/retention/retainedaggregate/").status_code == 200
