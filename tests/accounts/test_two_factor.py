"""SAF-3: two-factor sign-in by an authenticator app (TOTP) and one-time recovery codes (django-otp).

Optional for owners and members; staff and the Privacy Officer reach no admin page without it,
verified in the session. Codes are computed by django-otp's own TOTP at a pinned instant.
"""

from __future__ import annotations

import io
import re
from base64 import b32decode

import pytest
from django.core.management import call_command
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from knox.models import AuthToken

from accounts import two_factor
from accounts.models import AuditEvent, User
from accounts.services import anonymise_users
from tests.conftest import PASSWORD, verified_login

pytestmark = [pytest.mark.django_db, pytest.mark.policy("SAF-3")]

CODE = re.compile(r"<code>([a-z2-7]{4}-[a-z2-7]{4})</code>")


def _events(user: User, event: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(event=event, actor_id=user.pk, subject_id=user.pk).order_by("pk"))


def _set_up(client: Client, user: User, clock, *, next_url: str = "") -> tuple[TOTPDevice, list[str]]:
    """Walk the setup page as a person: read the key they would type, confirm with the app's code."""
    page = client.get("/accounts/two-factor/setup/" + (f"?next={next_url}" if next_url else ""))
    assert page.status_code == 200
    key_text = re.search(r'<code id="secret-key"[^>]*>([A-Z2-7 ]+)</code>', page.content.decode()).group(1)
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    assert b32decode(key_text.replace(" ", "")) == device.bin_key
    done = client.post("/accounts/two-factor/setup/", {"otp_token": clock.code(device), "next": next_url})
    assert done.status_code == 200
    return device, CODE.findall(done.content.decode())


def _log_in(client: Client, email: str, next_url: str = ""):
    return client.post("/accounts/login/", {"username": email, "password": PASSWORD, "next": next_url})


def test_setup_shows_a_qr_code_and_the_key_and_is_not_on_until_a_code_confirms_it(client, alice, otp_clock):
    client.force_login(alice)
    page = client.get("/accounts/two-factor/setup/").content.decode()
    assert '<svg role="img" aria-label="QR code to scan with your authenticator app"' in page
    assert "<img" not in page.split("<main", 1)[1]  # inline: no image request anywhere
    again = client.get("/accounts/two-factor/setup/").content.decode()
    device = TOTPDevice.objects.get(user=alice)
    assert two_factor.secret_text(device) in page and two_factor.secret_text(device) in again  # one key per setup
    assert not device.confirmed and not two_factor.is_on(alice)
    assert "otpauth://totp/Soft%20Helpers%3Aalice%40acme.example?secret=" in two_factor.provisioning_uri(device)

    client.logout()
    assert _log_in(client, alice.email)["Location"] == "/companies/"  # an unconfirmed device asks for nothing


def test_a_wrong_code_does_not_turn_it_on(client, alice, otp_clock):
    client.force_login(alice)
    client.get("/accounts/two-factor/setup/")
    device = TOTPDevice.objects.get(user=alice)
    right = otp_clock.code(device)
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    response = client.post("/accounts/two-factor/setup/", {"otp_token": wrong})
    assert response.status_code == 400
    assert "That code is not correct." in response.content.decode()
    device.refresh_from_db()
    assert not device.confirmed and device.throttling_failure_count == 1  # the failure was kept
    assert not StaticDevice.objects.filter(user=alice).exists()
    assert _events(alice, AuditEvent.Event.TWO_FACTOR_ENABLED) == []


def test_a_confirmed_setup_shows_ten_recovery_codes_once_and_is_audited(client, alice, otp_clock):
    client.force_login(alice)
    device, codes = _set_up(client, alice, otp_clock)
    device.refresh_from_db()
    assert device.confirmed and two_factor.is_on(alice)
    assert len(codes) == len(set(codes)) == two_factor.RECOVERY_CODES == 10
    assert sorted(StaticToken.objects.filter(device__user=alice).values_list("token", flat=True)) == sorted(
        c.replace("-", "") for c in codes)
    assert client.session[DEVICE_ID_SESSION_KEY] == device.persistent_id  # this session is verified
    (event,) = _events(alice, AuditEvent.Event.TWO_FACTOR_ENABLED)
    assert event.company_id is None and event.data == {"recovery_codes": 10, "api_tokens_ended": 0}
    settings_page = client.get("/accounts/two-factor/").content.decode()
    assert "Two-factor sign-in is on" in settings_page and "Recovery codes left: 10." in settings_page
    assert not any(code in settings_page for code in codes)  # shown once
    assert client.get("/accounts/two-factor/setup/")["Location"] == "/accounts/two-factor/"


def test_login_asks_for_the_code_after_the_password_and_only_then_logs_in(client, alice, otp_clock):
    device = TOTPDevice.objects.create(user=alice, name="Authenticator app", confirmed=True)
    response = _log_in(client, alice.email, next_url="/accounts/consents/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/code/?next=%2Faccounts%2Fconsents%2F"
    assert "_auth_user_id" not in client.session  # not logged in yet
    assert client.get("/companies/")["Location"].startswith("/accounts/login/")
    page = client.get(response["Location"])
    assert "Two-factor sign-in" in page.content.decode()

    otp_clock.advance(seconds=40)
    done = client.post("/accounts/login/code/", {"otp_token": otp_clock.code(device), "next": "/accounts/consents/"})
    assert done.status_code == 302 and done["Location"] == "/accounts/consents/"
    assert int(client.session["_auth_user_id"]) == alice.pk
    assert client.session[DEVICE_ID_SESSION_KEY] == device.persistent_id
    assert client.get("/companies/").status_code == 200


def test_a_wrong_code_is_refused_and_the_next_try_waits_as_django_otp_throttles(client, alice, otp_clock):
    device = TOTPDevice.objects.create(user=alice, name="Authenticator app", confirmed=True)
    _log_in(client, alice.email)
    right = otp_clock.code(device)
    wrong = client.post("/accounts/login/code/", {"otp_token": f"{(int(right) + 1) % 1_000_000:06d}"})
    assert wrong.status_code == 400 and "That code is not correct." in wrong.content.decode()
    throttled = client.post("/accounts/login/code/", {"otp_token": right})  # at once: the device waits 1 s
    assert throttled.status_code == 429 and "Too many wrong codes" in throttled.content.decode()
    assert "_auth_user_id" not in client.session
    otp_clock.advance(seconds=2)
    assert client.post("/accounts/login/code/", {"otp_token": right})["Location"] == "/companies/"


def test_the_same_app_code_works_once(client, alice, otp_clock):
    device = TOTPDevice.objects.create(user=alice, name="Authenticator app", confirmed=True)
    code = otp_clock.code(device)
    _log_in(client, alice.email)
    assert client.post("/accounts/login/code/", {"otp_token": code}).status_code == 302
    other = Client()
    _log_in(other, alice.email)
    assert other.post("/accounts/login/code/", {"otp_token": code}).status_code == 400


def test_the_code_step_expires_five_minutes_after_the_password(client, alice, otp_clock):
    device = TOTPDevice.objects.create(user=alice, name="Authenticator app", confirmed=True)
    _log_in(client, alice.email)
    otp_clock.advance(minutes=5, seconds=30)
    late = client.post("/accounts/login/code/", {"otp_token": otp_clock.code(device)})
    assert late.status_code == 302 and late["Location"].startswith("/accounts/login/?next=")
    assert "_auth_user_id" not in client.session


def test_a_wrong_password_never_reaches_the_code_step(client, alice, otp_clock):
    TOTPDevice.objects.create(user=alice, name="Authenticator app", confirmed=True)
    response = client.post("/accounts/login/", {"username": alice.email, "password": "not-the-password-1"})
    assert response.status_code == 200 and "two_factor_pending" not in client.session
    assert client.get("/accounts/login/code/")["Location"].startswith("/accounts/login/")


def test_a_recovery_code_logs_in_once_and_is_audited(client, alice, otp_clock):
    client.force_login(alice)
    _, codes = _set_up(client, alice, otp_clock)
    client.logout()
    _log_in(client, alice.email)
    typed = codes[3].upper().replace("-", " ")  # as a person might type it off paper
    response = client.post("/accounts/login/code/", {"otp_token": typed})
    assert response.status_code == 302 and int(client.session["_auth_user_id"]) == alice.pk
    assert client.session[DEVICE_ID_SESSION_KEY].startswith("otp_static.staticdevice/")
    assert "You used a recovery code; 9 left." in client.get("/companies/").content.decode()
    (event,) = _events(alice, AuditEvent.Event.RECOVERY_CODE_USED)
    assert event.data == {"how": "login", "left": 9}

    other = Client()
    _log_in(other, alice.email)
    assert other.post("/accounts/login/code/", {"otp_token": codes[3]}).status_code == 400
    assert "_auth_user_id" not in other.session
    assert StaticToken.objects.filter(device__user=alice).count() == 9


def test_new_recovery_codes_need_the_password_and_replace_the_old_ones(client, alice, otp_clock):
    client.force_login(alice)
    _, old = _set_up(client, alice, otp_clock)
    refused = client.post("/accounts/two-factor/codes/", {"codes-password": "not-the-password-1"})
    assert refused.status_code == 400 and "That password is not correct." in refused.content.decode()
    page = client.post("/accounts/two-factor/codes/", {"codes-password": PASSWORD})
    new = CODE.findall(page.content.decode())
    assert page.status_code == 200 and len(new) == 10 and not set(new) & set(old)
    assert sorted(StaticToken.objects.filter(device__user=alice).values_list("token", flat=True)) == sorted(
        c.replace("-", "") for c in new)
    (event,) = _events(alice, AuditEvent.Event.RECOVERY_CODES_REGENERATED)
    assert event.data == {"recovery_codes": 10}


def test_turning_it_off_takes_the_password_and_a_code(client, alice, otp_clock):
    client.force_login(alice)
    device, _ = _set_up(client, alice, otp_clock)
    otp_clock.advance(seconds=30)
    code = otp_clock.code(device)
    no_password = client.post("/accounts/two-factor/off/", {"off-password": "not-the-password-1", "off-otp_token": code})
    assert no_password.status_code == 400 and two_factor.is_on(alice)
    no_code = client.post("/accounts/two-factor/off/", {"off-password": PASSWORD, "off-otp_token": "000000"
                                                        if code != "000000" else "111111"})
    assert no_code.status_code == 400 and two_factor.is_on(alice)
    assert _events(alice, AuditEvent.Event.TWO_FACTOR_DISABLED) == []

    otp_clock.advance(seconds=30)
    done = client.post("/accounts/two-factor/off/", {"off-password": PASSWORD, "off-otp_token": otp_clock.code(device)})
    assert done.status_code == 302 and done["Location"] == "/accounts/two-factor/"
    assert not TOTPDevice.objects.filter(user=alice).exists() and not StaticDevice.objects.filter(user=alice).exists()
    assert len(_events(alice, AuditEvent.Event.TWO_FACTOR_DISABLED)) == 1
    assert "Two-factor sign-in is off" in client.get("/accounts/two-factor/").content.decode()
    client.logout()
    assert _log_in(client, alice.email)["Location"] == "/companies/"


def test_settings_of_a_session_not_yet_verified_ask_for_the_code_first(client, alice, otp_clock):
    TOTPDevice.objects.create(user=alice, name="Authenticator app", confirmed=True)
    client.force_login(alice)  # a session from before two-factor sign-in was turned on elsewhere
    for response in (client.get("/accounts/two-factor/"),
                     client.post("/accounts/two-factor/codes/", {"codes-password": PASSWORD})):
        assert response["Location"].startswith("/accounts/login/code/?next=%2Faccounts%2Ftwo-factor%2F")
    assert not StaticDevice.objects.filter(user=alice).exists()


def test_anonymising_a_user_deletes_their_devices_and_codes(alice, otp_clock):
    TOTPDevice.objects.create(user=alice, name="Authenticator app", confirmed=True)
    two_factor.regenerate_codes(user=alice)
    anonymise_users(user_ids=[alice.pk], now=otp_clock.now)
    assert not TOTPDevice.objects.filter(user=alice).exists()
    assert not StaticDevice.objects.filter(user=alice).exists() and not StaticToken.objects.exists()


# --- The admin: staff and the Privacy Officer -------------------------------------------------

@pytest.mark.parametrize("who", ["staff", "superuser"])
def test_staff_without_two_factor_are_sent_to_set_it_up_before_any_admin_page(client, who, request, acme):
    user = request.getfixturevalue(who)
    client.force_login(user)
    for url in ("/admin/", "/admin/retention/legalhold/", f"/admin/support/{acme.company.pk}/", "/admin/reports/",
                "/admin/invitations/remove/"):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/accounts/two-factor/setup/?next="), url
    refused = client.post("/admin/retention/legalhold/add/", {"company": acme.company.pk, "reason": "x"})
    assert refused.status_code == 302 and refused["Location"].startswith("/accounts/two-factor/setup/")
    page = client.get("/accounts/two-factor/setup/?next=/admin/").content.decode()
    assert "Staff accounts need two-factor sign-in before the admin opens." in page


def test_staff_with_a_device_must_verify_this_session_first(client, staff, otp_clock):
    device = TOTPDevice.objects.create(user=staff, name="Authenticator app", confirmed=True)
    client.force_login(staff)  # logged in, but this session never passed the second step
    response = client.get("/admin/privacy/inquiry/")
    assert response["Location"] == "/accounts/login/code/?next=%2Fadmin%2Fprivacy%2Finquiry%2F"
    done = client.post("/accounts/login/code/", {"otp_token": otp_clock.code(device),
                                                 "next": "/admin/privacy/inquiry/"})
    assert done["Location"] == "/admin/privacy/inquiry/"
    assert client.get("/admin/privacy/inquiry/").status_code == 200


def test_a_new_officers_first_admin_login_leads_to_setup_then_the_admin(client, tmp_path, otp_clock):
    secret = tmp_path / "password"
    secret.write_text("an-officer-password-42\n")
    call_command("create_officer", "--email", "olive@softhelpers.example", "--password-file", str(secret),
                 stdout=(out := io.StringIO()))
    assert "the first login sets up two-factor sign-in" in out.getvalue()
    officer = User.objects.get(email="olive@softhelpers.example")
    login = client.post("/admin/login/?next=/admin/", {"username": officer.email,
                                                      "password": "an-officer-password-42", "next": "/admin/"})
    assert login["Location"] == "/admin/"
    assert client.get("/admin/")["Location"] == "/accounts/two-factor/setup/?next=%2Fadmin%2F"
    _, codes = _set_up(client, officer, otp_clock, next_url="/admin/")
    assert len(codes) == 10
    assert client.get("/admin/").status_code == 200  # verified by the setup itself

    client.logout()  # the next time, the admin login asks for the code after the password
    second = client.post("/admin/login/?next=/admin/", {"username": officer.email,
                                                       "password": "an-officer-password-42", "next": "/admin/"})
    assert second["Location"] == "/accounts/login/code/?next=%2Fadmin%2F"
    assert client.get("/admin/")["Location"].startswith("/admin/login/")
    otp_clock.advance(seconds=30)
    device = TOTPDevice.objects.get(user=officer)
    assert client.post("/accounts/login/code/", {"otp_token": otp_clock.code(device),
                                                 "next": "/admin/"})["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_a_verified_officer_reads_the_admin_and_a_customer_is_still_sent_to_the_admin_login(client, staff, alice):
    verified_login(client, staff)
    assert client.get("/admin/").status_code == 200
    assert "Two-factor sign-in" in client.get("/admin/").content.decode()
    customer = Client()
    customer.force_login(alice)  # not staff: the admin's own rule, not the two-factor one
    assert customer.get("/admin/")["Location"].startswith("/admin/login/")
    login = customer.get("/admin/login/?next=/admin/")
    assert login.status_code == 200 and 'name="password"' in login.content.decode()  # no redirect loop


def test_devices_are_not_in_the_admin(client, superuser):
    verified_login(client, superuser)
    for url in ("/admin/otp_totp/totpdevice/", "/admin/otp_static/staticdevice/"):
        assert client.get(url).status_code == 404


# --- API tokens -------------------------------------------------------------------------------

def test_api_token_needs_the_code_when_two_factor_is_on(api_client, alice, otp_clock):
    device = TOTPDevice.objects.create(user=alice, name="Authenticator app", confirmed=True)
    codes = two_factor.regenerate_codes(user=alice)
    body = {"email": alice.email, "password": PASSWORD}
    missing = api_client.post("/api/v1/auth/token/", body, format="json")
    assert missing.status_code == 400 and missing.json()["code"] == "otp_required"
    assert "send the 6-digit code from your authenticator app (or a recovery code) as otp" in missing.json()["detail"]
    wrong_password = api_client.post("/api/v1/auth/token/", {**body, "password": "not-it-at-all-1"}, format="json")
    assert wrong_password.json() == {"detail": "Email or password is not correct."}  # says nothing of 2FA
    right = otp_clock.code(device)
    wrong = api_client.post("/api/v1/auth/token/", {**body, "otp": f"{(int(right) + 1) % 1_000_000:06d}"},
                            format="json")
    assert wrong.status_code == 400 and wrong.json()["code"] == "otp_invalid"
    assert api_client.post("/api/v1/auth/token/", {**body, "otp": right}, format="json").status_code == 429
    assert not AuthToken.objects.filter(user=alice).exists()

    otp_clock.advance(seconds=2)
    issued = api_client.post("/api/v1/auth/token/", {**body, "otp": right}, format="json")
    assert issued.status_code == 200 and "token" in issued.json()
    by_recovery = api_client.post("/api/v1/auth/token/", {**body, "otp": codes[0]}, format="json")
    assert by_recovery.status_code == 200
    assert api_client.post("/api/v1/auth/token/", {**body, "otp": codes[0]}, format="json").status_code == 400
    (event,) = _events(alice, AuditEvent.Event.RECOVERY_CODE_USED)
    assert event.data == {"how": "api", "left": 9}
    assert AuthToken.objects.filter(user=alice).count() == 2


def test_api_token_without_two_factor_needs_no_code(api_client, alice):
    response = api_client.post("/api/v1/auth/token/", {"email": alice.email, "password": PASSWORD}, format="json")
    assert response.status_code == 200 and "token" in response.json()


def test_turning_two_factor_on_ends_every_other_session_and_api_token(alice, client, otp_clock):
    """Sessions and tokens made before it never passed the second step (issue 14 review)."""
    from django.test import Client
    from knox.models import AuthToken

    other = Client()
    other.force_login(alice)
    AuthToken.objects.create(user=alice)
    assert other.get("/companies/").status_code == 200
    client.force_login(alice)
    _set_up(client, alice, otp_clock)
    assert other.get("/companies/").status_code == 302  # sent to log in again
    assert client.get("/companies/").status_code == 200  # the session that turned it on stays
    assert not AuthToken.objects.filter(user=alice).exists()
