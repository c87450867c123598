"""Accounts pages: password change, the Manage tab without a company, error pages."""

from __future__ import annotations

import pytest

from accounts.models import Membership, User
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def test_password_change_replaces_the_old_password(acme, client):
    client.force_login(acme.owner)
    response = client.post("/accounts/password/change/", {
        "old_password": PASSWORD, "new_password1": "another-long-password-77", "new_password2": "another-long-password-77",
    })
    assert response.status_code == 302
    user = User.objects.get(pk=acme.owner.pk)
    assert user.check_password("another-long-password-77") and not user.check_password(PASSWORD)
    assert client.get("/companies/").status_code == 200  # the session survives its own password change


def test_manage_tab_without_a_company_leads_back_to_company_selection(client):
    user = User.objects.create_user(email="lone@example.com", password=PASSWORD)
    client.force_login(user)
    response = client.get("/companies/manage/", follow=True)
    assert response.redirect_chain[-1][0] == "/companies/"
    assert b"no active company to manage yet" in response.content


def test_left_member_loses_access_at_once(acme, bob, client):
    client.force_login(bob)
    assert client.get(f"/c/{acme.company.pk}/contacts/").status_code == 200
    Membership.objects.filter(user=bob).delete()
    assert client.get(f"/c/{acme.company.pk}/contacts/").status_code == 404


def test_not_found_page_is_the_sites_own(acme, globex, client):
    client.force_login(acme.owner)
    response = client.get(f"/c/{globex.company.pk}/contacts/")
    assert response.status_code == 404
    assert b"Back to Company Selection" in response.content and b"GLOBEX" not in response.content.upper()


def test_a_closed_company_cannot_be_opened_even_by_its_owner(acme, client, api_client):
    from django.utils import timezone
    from knox.models import AuthToken

    acme.company.status, acme.company.closed_at = "closed", timezone.now()
    acme.company.save()
    client.force_login(acme.owner)
    assert client.get(f"/c/{acme.company.pk}/").status_code == 404
    page = client.get("/companies/")
    assert b"No longer available" in page.content
    _, token = AuthToken.objects.create(user=acme.owner)
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert api_client.get(f"/api/v1/companies/{acme.company.pk}/contacts/").status_code == 404


def test_visitors_get_a_front_door_and_users_their_companies(client, alice):
    page = client.get("/")
    body = page.content.decode()
    assert page.status_code == 200 and "What we promise about your data" in body
    assert 'href="/accounts/signup/"' in body and 'href="/accounts/login/"' in body and 'href="/privacy/"' in body
    client.force_login(alice)
    assert client.get("/")["Location"] == "/companies/"
