"""ACC-1: the Privacy Officer's contact is published, seeded from the policy, and edited by the officer (audited)."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from accounts.models import AuditEvent, User
from privacy import officer_contact, selectors
from privacy.models import OfficerContact
from tests.conftest import PASSWORD, verified_login

pytestmark = [pytest.mark.django_db, pytest.mark.policy("ACC-1")]

POLICY = ["Privacy Officer", "Gohadpur Marala Road 51310", "Sialkot", "Punjab", "Pakistan", "info@softhelpers.com",
          "+92 300 961 5103"]
URL = "/privacy/officer/"


def _change_url() -> str:
    return f"/admin/privacy/officercontact/{OfficerContact.objects.get().pk}/change/"


def _form(**changes: str) -> dict[str, str]:
    contact = OfficerContact.objects.get()
    return {**{name: getattr(contact, name) for name in officer_contact.EDITABLE}, **changes}


def test_the_public_page_shows_the_officers_contact_from_the_policy_to_anyone(client, alice):
    assert OfficerContact.objects.count() == 1
    for who in (None, alice):
        if who is not None:
            client.force_login(who)
        response = client.get(URL)
        assert response.status_code == 200
        page = response.content.decode()
        for value in POLICY:
            assert value in page, value
        assert 'href="mailto:info@softhelpers.com"' in page and 'href="tel:+923009615103"' in page
        assert 'href="/privacy/contact/"' in page  # no dead end: the way to write to the officer
        assert "Office of the Privacy Commissioner of Canada" in page and "https://www.priv.gc.ca/" in page


def test_the_seed_is_the_policys_words_and_the_selector_reads_the_record():
    contact = OfficerContact.objects.get()
    assert {name: getattr(contact, name) for name in officer_contact.SEED} == officer_contact.SEED
    assert contact.postal_address.splitlines() == ["Gohadpur Marala Road 51310", "Sialkot, Punjab", "Pakistan"]
    assert selectors.officer_contact().pk == contact.pk


def test_the_database_refuses_a_second_record():
    for singleton in (True, False):  # the unique column, then the check that it is constant
        with pytest.raises(IntegrityError), transaction.atomic():
            OfficerContact.objects.create(**{**officer_contact.SEED, "singleton": singleton})
    assert OfficerContact.objects.count() == 1


def test_the_officer_edits_the_contact_in_the_admin_and_the_edit_is_audited(client, staff):
    verified_login(client, staff)
    assert client.get(_change_url()).status_code == 200
    response = client.post(_change_url(), _form(phone="+92 300 000 0000", email="privacy@softhelpers.com"))
    assert response.status_code == 302, response.content
    contact = OfficerContact.objects.get()
    assert (contact.phone, contact.email) == ("+92 300 000 0000", "privacy@softhelpers.com")
    (event,) = AuditEvent.objects.filter(event=AuditEvent.Event.OFFICER_CONTACT_CHANGED)
    assert (event.actor_id, event.subject_type, event.subject_id) == (staff.pk, "privacy.OfficerContact", contact.pk)
    assert event.data == {"fields": "email,phone"}
    assert AuditEvent.objects.filter(event=AuditEvent.Event.ADMIN_CHANGED, actor_id=staff.pk,
                                     subject_id=contact.pk).count() == 1
    page = client.get(URL).content.decode()
    assert "+92 300 000 0000" in page and "privacy@softhelpers.com" in page and "+92 300 961 5103" not in page

    client.post(_change_url(), _form())  # saved unchanged: nothing to audit
    assert AuditEvent.objects.filter(event=AuditEvent.Event.OFFICER_CONTACT_CHANGED).count() == 1


def test_a_bad_value_is_refused_with_the_field_named(client, staff):
    verified_login(client, staff)
    response = client.post(_change_url(), _form(email="not an address", regulator_url="nowhere"))
    assert response.status_code == 200
    assert b"Enter a valid email address." in response.content and b"Enter a valid URL." in response.content
    assert OfficerContact.objects.get().email == "info@softhelpers.com"
    assert not AuditEvent.objects.filter(event=AuditEvent.Event.OFFICER_CONTACT_CHANGED).exists()


@pytest.mark.parametrize("who", ["staff", "superuser"])
def test_the_admin_adds_no_second_record_and_deletes_none(client, who, request):
    verified_login(client, request.getfixturevalue(who))
    pk = OfficerContact.objects.get().pk
    assert client.get("/admin/privacy/officercontact/add/").status_code == 403
    assert client.post(f"/admin/privacy/officercontact/{pk}/delete/", {"post": "yes"}).status_code == 403
    assert OfficerContact.objects.count() == 1


def test_staff_outside_the_officer_group_cannot_open_or_edit_it(client):
    plain = User.objects.create_user(email="plain.staff@softhelpers.example", password=PASSWORD, is_staff=True)
    verified_login(client, plain)
    assert client.get(_change_url()).status_code == 403
    assert client.post(_change_url(), _form(phone="+1 555 0000")).status_code == 403
    assert OfficerContact.objects.get().phone == "+92 300 961 5103"
