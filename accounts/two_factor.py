"""Two-factor sign-in (SAF-3): an authenticator app (TOTP) and one-time recovery codes, by django-otp.

Optional for everyone; staff and the Privacy Officer reach the admin only with it, verified in
the session (``accounts.middleware.admin_two_factor``, ``accounts.admin_site``).

- A user has at most one TOTP device ("Authenticator app") and one static device holding
  ``RECOVERY_CODES`` codes. Setting up makes an *unconfirmed* TOTP device; a correct code from
  the app confirms it, and only then do the recovery codes exist and the second step apply.
- A code is checked against one device chosen by its shape: six digits is the app's code,
  anything else a recovery code. Trying every device would count a failure on each.
- Throttling is django-otp's own: each wrong code doubles the wait before the device accepts
  another (1 s, 2 s, 4 s …); a correct one resets it. The failed attempt is committed even though
  the caller is told "wrong code" (the check runs in its own atomic block and raises after it).
- The app's code is accepted once: a code of a time step at or before the last accepted one is
  refused. A recovery code is deleted when used, so it never works twice.
- The secret and the codes are stored as django-otp stores them (credentials in the PI
  registry, deleted when the user is anonymised); the codes are shown once, when made.
- A session is verified by ``django_otp.login`` (the device id in the session); the sign-in's
  second step, the setup's confirmation and turning off all go through here.
"""

from __future__ import annotations

import base64
from collections.abc import Collection
from typing import cast
from urllib.parse import quote, urlencode

import qrcode
import qrcode.image.svg
from django.contrib.auth import update_session_auth_hash
from django.db import transaction
from django.db.models import F
from django.http import HttpRequest
from django_otp import login as otp_login
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import api_tokens
from accounts.audit import record_event
from accounts.exceptions import TooManyCodeAttempts, WrongCode
from accounts.models import AuditEvent, User

RECOVERY_CODES = 10
APP_DEVICE_NAME = "Authenticator app"
RECOVERY_DEVICE_NAME = "Recovery codes"
ISSUER = "Soft Helpers"


def app_device(user: User, *, confirmed: bool | None = True) -> TOTPDevice | None:
    devices = TOTPDevice.objects.filter(user=user)
    if confirmed is not None:
        devices = devices.filter(confirmed=confirmed)
    return devices.order_by("pk").first()


def is_on(user: User) -> bool:
    """The user has a confirmed authenticator app: sign-in asks for a code."""
    return user.is_authenticated and TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def recovery_codes_left(user: User) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def required_for_admin(user: User) -> bool:
    """Staff, superusers and Privacy Officers (a staff group) need it before any admin page."""
    from accounts.officers import GROUP_NAME

    return bool(user.is_authenticated and user.is_active and (
        user.is_staff or user.is_superuser or user.groups.filter(name=GROUP_NAME).exists()))


def is_verified(request: HttpRequest) -> bool:
    """This session passed a second step (django_otp.middleware.OTPMiddleware sets it)."""
    verified = getattr(request.user, "is_verified", None)
    return bool(verified and verified())


@transaction.atomic
def start_setup(*, user: User) -> TOTPDevice:
    """The unconfirmed app device to show as a QR code; the same one until confirmed (a reload shows the same key)."""
    device = app_device(user, confirmed=False)
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=APP_DEVICE_NAME, confirmed=False)
    return device


def confirm_setup(*, request: HttpRequest, user: User, token: str) -> list[str]:
    """A correct code from the app turns two-factor sign-in on; returns the new recovery codes (shown once).

    Raise WrongCode or TooManyCodeAttempts. The session becomes verified: setting up is proof enough.
    """
    device = app_device(user, confirmed=False)
    if device is None:
        raise WrongCode("Start again: open the setup page and scan the new code.")
    _check(device, _digits(token))
    with transaction.atomic():
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
        codes = _new_recovery_codes(user)
        ended = _end_other_sign_ins(user)
        record_event(event=AuditEvent.Event.TWO_FACTOR_ENABLED, company_id=None, actor_id=user.pk, subject=user,
                     data={"recovery_codes": len(codes), "api_tokens_ended": ended})
    update_session_auth_hash(request, user)  # this session stays; every other one ends at its next request
    otp_login(request, device)
    return codes


def _end_other_sign_ins(user: User) -> int:
    """Sessions, API tokens and known devices made before the change: they never passed this second step.

    Moving ``session_epoch`` changes the session auth hash (and the known-device mark built on it).
    Returns the API tokens ended.
    """
    User.objects.filter(pk=user.pk).update(session_epoch=F("session_epoch") + 1)
    user.refresh_from_db(fields=["session_epoch"])
    return api_tokens.revoke(user=user)


def verify(*, user: User, token: str, how: str) -> Device:
    """Check a sign-in code (the app's or a recovery code) against the user's own device; returns it.

    Raise WrongCode or TooManyCodeAttempts. A recovery code is used up and audited with how many
    are left; ``how`` says where it was used ("login", "api", "turn_off").
    """
    token = token.strip()
    digits = _digits(token)
    if len(digits) == 6 and token.replace(" ", "").isdigit():
        device: Device | None = app_device(user)
    else:
        device = StaticDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        raise WrongCode("That code is not correct.")
    _check(device, digits if isinstance(device, TOTPDevice) else _recovery(token))
    if isinstance(device, StaticDevice):
        with transaction.atomic():
            record_event(event=AuditEvent.Event.RECOVERY_CODE_USED, company_id=None, actor_id=user.pk,
                         subject=user, data={"how": how, "left": device.token_set.count()})
    return device


def login_verified(request: HttpRequest, device: Device) -> None:
    """Mark this (already logged-in) session as having passed the second step."""
    otp_login(request, device)


@transaction.atomic
def regenerate_codes(*, user: User) -> list[str]:
    """New recovery codes replace every old one (lost or used up); returns them to show once."""
    if not is_on(user):
        raise WrongCode("Two-factor sign-in is off: there are no recovery codes to replace.")
    codes = _new_recovery_codes(user)
    record_event(event=AuditEvent.Event.RECOVERY_CODES_REGENERATED, company_id=None, actor_id=user.pk,
                 subject=user, data={"recovery_codes": len(codes)})
    return codes


def turn_off(*, request: HttpRequest, user: User, token: str) -> None:
    """With a current code (the caller checked the password): every device of the user goes, and every
    other session and API token with them (a thief in another session must not keep what the owner ended)."""
    verify(user=user, token=token, how="turn_off")
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        StaticDevice.objects.filter(user=user).delete()
        ended = _end_other_sign_ins(user)
        record_event(event=AuditEvent.Event.TWO_FACTOR_DISABLED, company_id=None, actor_id=user.pk, subject=user,
                     data={"api_tokens_ended": ended})
    update_session_auth_hash(request, user)


def forget(*, user_ids: Collection[int]) -> int:
    """Delete the devices of users who are anonymised (the purge); returns how many."""
    apps, _ = TOTPDevice.objects.filter(user_id__in=user_ids).delete()
    codes, _ = StaticDevice.objects.filter(user_id__in=user_ids).delete()
    return apps + codes


def provisioning_uri(device: TOTPDevice) -> str:
    """The otpauth:// address an authenticator app reads from the QR code (Key Uri Format)."""
    label = quote(f"{ISSUER}:{device.user.get_username()}")
    params = urlencode({"secret": secret_text(device).replace(" ", ""), "issuer": ISSUER, "algorithm": "SHA1",
                        "digits": device.digits, "period": device.step})
    return f"otpauth://totp/{label}?{params}"


def secret_text(device: TOTPDevice) -> str:
    """The key for typing into an app by hand: base32, in groups of four."""
    key = base64.b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(key[i:i + 4] for i in range(0, len(key), 4))


def qr_svg(data: str) -> str:
    """An inline SVG QR code (no image request, nothing sent anywhere), labelled for screen readers."""
    image = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathFillImage, box_size=12, border=2)
    svg = cast(str, image.to_string(encoding="unicode"))
    return svg.replace("<svg ", '<svg role="img" aria-label="QR code to scan with your authenticator app" '
                                'class="qr-code" ', 1)


def format_code(code: str) -> str:
    """``abcdefgh`` shown as ``abcd-efgh``; typed either way."""
    return f"{code[:4]}-{code[4:]}"


def _new_recovery_codes(user: User) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=RECOVERY_DEVICE_NAME, confirmed=True)
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    return codes


def _check(device: Device, token: str) -> None:
    """django-otp's check with its throttling; the failure it records is committed before we raise."""
    with transaction.atomic():
        locked = type(device).objects.select_for_update().get(pk=device.pk)
        allowed, _ = locked.verify_is_allowed()
        accepted = allowed and bool(token) and locked.verify_token(token)
    if not allowed:
        raise TooManyCodeAttempts("Too many wrong codes. Wait a minute, then try again.")
    if not accepted:
        raise WrongCode("That code is not correct.")
    device.refresh_from_db()


def _digits(token: str) -> str:
    return "".join(ch for ch in token if ch.isdigit())


def _recovery(token: str) -> str:
    return "".join(ch for ch in token.lower() if ch.isalnum())
