"""CON-1: Your consents (page and API) shows every message purpose, not granted until granted, and the user's history."""

from __future__ import annotations

import pytest

from consent.models import ConsentEvent, Method

pytestmark = [pytest.mark.django_db, pytest.mark.policy("CON-1")]

PURPOSES = ["product_info", "service_updates", "notifications", "newsletter", "tailored_savings"]


def test_the_header_links_your_consents_and_the_page_starts_with_nothing_granted(client, bob):
    client.force_login(bob)
    assert 'href="/accounts/consents/"' in client.get("/companies/").content.decode()
    page = client.get("/accounts/consents/").content.decode()
    for purpose in PURPOSES:
        assert f'name="consent_{purpose}"' in page
    assert "checked" not in page and page.count("Not granted.") == 5
    assert "Save my choices" in page and "not given or withdrawn any consent yet" in page


def test_saving_records_each_change_once_and_shows_the_history(client, bob):
    client.force_login(bob)
    response = client.post("/accounts/consents/", {"consent_newsletter": "on", "consent_product_info": "on"},
                           follow=True)
    assert "2 changed" in response.content.decode()
    client.post("/accounts/consents/", {"consent_newsletter": "on"})
    events = list(ConsentEvent.objects.filter(user=bob).order_by("id").values_list("purpose", "granted", "method"))
    assert events == [("product_info", True, Method.SETTINGS_FORM), ("newsletter", True, Method.SETTINGS_FORM),
                      ("product_info", False, Method.SETTINGS_FORM)]
    page = client.get("/accounts/consents/").content.decode()
    assert page.count("checked") == 1 and page.count("<td>Withdrawn</td>") == 1 and page.count("<td>Granted</td>") == 2


def test_the_page_needs_a_login_and_shows_only_ones_own_history(client, bob, alice):
    assert client.get("/accounts/consents/").status_code == 302
    client.force_login(alice)
    client.post("/accounts/consents/", {"consent_newsletter": "on"})
    client.force_login(bob)
    assert "<td>Granted</td>" not in client.get("/accounts/consents/").content.decode()


def test_api_lists_every_purpose_and_put_changes_one(api_client, bob):
    api_client.force_authenticate(bob)
    listed = api_client.get("/api/v1/me/consents/").json()
    assert listed == [{"purpose": p, "granted": False, "since": None} for p in PURPOSES]
    response = api_client.put("/api/v1/me/consents/newsletter/", {"granted": True}, format="json")
    assert response.status_code == 200 and response.json()["granted"] is True and response.json()["since"]
    api_client.put("/api/v1/me/consents/newsletter/", {"granted": False}, format="json")
    events = list(ConsentEvent.objects.filter(user=bob).values_list("granted", "method", "actor_id"))
    assert events == [(True, Method.API, bob.pk), (False, Method.API, bob.pk)]


@pytest.mark.parametrize(("purpose", "body", "status"), [
    ("newsletter", {"granted": "maybe"}, 400),
    ("newsletter", {}, 400),
    ("support_access", {"granted": True}, 404),
    ("analytics_cookies", {"granted": True}, 404),
    ("no_such_purpose", {"granted": True}, 404),
])
def test_api_refuses_bad_input_clearly(api_client, bob, purpose, body, status):
    api_client.force_authenticate(bob)
    assert api_client.put(f"/api/v1/me/consents/{purpose}/", body, format="json").status_code == status
    assert not ConsentEvent.objects.exists()


def test_api_needs_authentication(api_client):
    assert api_client.get("/api/v1/me/consents/").status_code in (401, 403)
    assert api_client.put("/api/v1/me/consents/newsletter/", {"granted": True}, format="json").status_code in (401, 403)
