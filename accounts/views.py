from __future__ import annotations

from typing import cast
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm, SetPasswordForm
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST
from django_otp.plugins.otp_static.models import StaticDevice

from accounts import selectors, services, two_factor, verification
from accounts.access import AuthenticatedRequest, CompanyRequest, company_view, safe_next
from accounts.auth import client_ip
from accounts.exceptions import LastOwner, TooManyCodeAttempts, WrongCode
from accounts.forms import (
    AppCodeForm,
    CodeForm,
    CompanyForm,
    EmailAuthenticationForm,
    ReauthenticateForm,
    TurnOffForm,
)
from accounts.models import Membership, User


@login_required
def company_selection(request: AuthenticatedRequest) -> HttpResponse:
    return render(
        request,
        "accounts/company_selection.html",
        {"memberships": selectors.memberships_of(request.user), "tab": "companies", "form": CompanyForm()},
    )


@login_required
@require_http_methods(["POST"])
def company_create(request: AuthenticatedRequest) -> HttpResponse:
    form = CompanyForm(request.POST)
    if not form.is_valid():
        return render(request, "accounts/company_selection.html",
                      {"memberships": selectors.memberships_of(request.user), "tab": "companies", "form": form},
                      status=400)
    company = services.create_company(name=form.cleaned_data["name"], owner=request.user)
    messages.success(request, "Company created.")
    return redirect("ledger:company-home", company_id=company.pk)


@login_required
def manage_first(request: AuthenticatedRequest) -> HttpResponse:
    """The Manage Soft Helpers tab opens on the user's most recent company."""
    membership = selectors.memberships_of(request.user).filter(company__status="active").first()
    if membership is None:
        messages.info(request, "You have no active company to manage yet. Create one below.")
        return redirect("accounts:company-selection")
    return redirect("accounts:manage", company_id=membership.company_id)


@company_view()
def manage(request: CompanyRequest) -> HttpResponse:
    """Manage Soft Helpers: the company's members (roles, last seen), invitations, export, shutdown."""
    return render(
        request,
        "accounts/manage.html",
        {
            "tab": "manage",
            "company": request.company,
            "membership": request.membership,
            "members": selectors.members_of(request.company),
            "roles": Membership.Role.choices,
            "memberships": selectors.memberships_of(request.user).filter(company__status="active"),
        },
    )


@company_view(roles={Membership.Role.OWNER})
@require_http_methods(["POST"])
def member_change(request: CompanyRequest, membership_id: int, action: str) -> HttpResponse:
    """An owner changes a member's role or removes them; their access ends with the next request."""
    membership = selectors.membership_in(request.company, membership_id=membership_id)
    if membership is None:
        raise Http404
    try:
        if action == "remove":
            services.remove_member(company=request.company, membership=membership, actor=request.user)
            messages.success(request, f"{membership.user.full_name or 'The member'} no longer has access.")
        elif request.POST.get("role") in Membership.Role.values:
            services.change_role(company=request.company, membership=membership, role=request.POST["role"],
                                 actor=request.user)
            messages.success(request, "Role changed.")
        else:
            messages.error(request, "Choose owner, member or guest.")
    except LastOwner as exc:
        messages.error(request, str(exc))
    if membership.user_id == request.user.pk and action == "remove":
        return redirect("accounts:company-selection")
    return redirect("accounts:manage", company_id=request.company.pk)


@company_view()
@require_http_methods(["POST"])
def leave(request: CompanyRequest) -> HttpResponse:
    """Leave the company (any role); the last owner is asked to hand over first."""
    try:
        services.remove_member(company=request.company, membership=request.membership, actor=request.user)
    except LastOwner as exc:
        messages.error(request, str(exc))
        return redirect("accounts:manage", company_id=request.company.pk)
    messages.success(request, f"You left {request.company.name}.")
    return redirect("accounts:company-selection")


class _EndsApiTokens:
    """After Django's view saved the new password: every API token of the user ends (sessions end by themselves)."""

    how = ""

    def form_valid(self, form: SetPasswordForm | PasswordChangeForm) -> HttpResponse:
        response = super().form_valid(form)  # type: ignore[misc]
        services.password_changed(user=form.user, how=self.how, client_address=client_ip(self.request))  # type: ignore[attr-defined]
        return response


class PasswordResetConfirmView(_EndsApiTokens, auth_views.PasswordResetConfirmView):
    """Django's scanner-safe confirm view: GET shows the form, POST sets the password."""

    how = "reset"
    success_url = reverse_lazy("accounts:password-reset-complete")


class PasswordChangeView(_EndsApiTokens, auth_views.PasswordChangeView):
    """The current session stays; the others and every API token end."""

    how = "change"
    success_url = reverse_lazy("accounts:password-change-done")


@require_http_methods(["GET", "HEAD", "POST"])
def verify_email(request: HttpRequest, token: str) -> HttpResponse:
    """The emailed link: GET shows the button (mail scanners open links), POST proves the address."""
    user = verification.user_for_token(token)
    if request.method == "POST" and user is not None:
        user = services.confirm_email(token=token)
        return render(request, "accounts/email_verified.html", {"verified_user": user})
    status = 200 if user is not None else 410
    return render(request, "accounts/verify_email.html", {"valid": user is not None,
                                                          "already": bool(user and user.email_verified)}, status=status)


@login_required
@require_POST
def resend_verification(request: AuthenticatedRequest) -> HttpResponse:
    if services.send_email_verification(user=request.user):
        messages.success(request, "We sent you a new link. Open it to confirm your email address.")
    elif not request.user.email_verified:
        messages.error(request, "We already sent you three links this hour. Use the newest one, or try again later.")
    return redirect(safe_next(request, "/companies/"))


# --- Two-factor sign-in (accounts.two_factor) ------------------------------------------------

PENDING_KEY = "two_factor_pending"  # the user id whose password was right, until the code step
PENDING_SECONDS = 300


class TwoStepLoginView(auth_views.LoginView):
    """Django's login; a user with two-factor sign-in on is not logged in yet, but asked for a code next."""

    authentication_form = EmailAuthenticationForm
    redirect_authenticated_user = True

    def form_valid(self, form: AuthenticationForm) -> HttpResponse:
        user = form.get_user()
        if not two_factor.is_on(user):
            return super().form_valid(form)
        self.request.session.cycle_key()
        self.request.session[PENDING_KEY] = {"user": user.pk, "at": int(timezone.now().timestamp()),
                                             "backend": getattr(user, "backend", settings.AUTHENTICATION_BACKENDS[-1])}
        return redirect(_with_next("accounts:login-code", self.get_success_url()))


@require_http_methods(["GET", "HEAD", "POST"])
def login_code(request: HttpRequest) -> HttpResponseBase:
    """The second step: the app's code or a recovery code, after the password (or for a session not yet verified).

    Wrong codes are throttled by django-otp (each one doubles the wait); a used recovery code is gone.
    """
    user, pending = _code_step_user(request)
    staff = user is not None and two_factor.required_for_admin(user)
    next_url = _next_url(request, reverse("admin:index") if staff else settings.LOGIN_REDIRECT_URL)
    if user is None:
        if request.user.is_authenticated:
            return redirect(next_url)
        messages.info(request, "Log in again: the code step waits five minutes after the password.")
        return redirect(_with_next("accounts:login", next_url))
    form = CodeForm(request.POST if request.method == "POST" else None)
    status = 200
    if form.is_bound and not form.is_valid():
        status = 400
    elif form.is_bound:
        try:
            device = two_factor.verify(user=user, token=form.cleaned_data["otp_token"], how="login")
        except WrongCode as exc:
            form.add_error("otp_token", str(exc))
            status = 400
        except TooManyCodeAttempts as exc:
            form.add_error("otp_token", str(exc))
            status = 429
        else:
            if pending is not None:
                del request.session[PENDING_KEY]
                auth_login(request, user, backend=str(pending["backend"]))
            two_factor.login_verified(request, device)
            if isinstance(device, StaticDevice):
                messages.warning(request, f"You used a recovery code; {two_factor.recovery_codes_left(user)} left. "
                                          "Make new ones under Two-factor sign-in if you are running low.")
            return redirect(next_url)
    return render(request, "registration/login_code.html", {"form": form, "next": next_url}, status=status)


@login_required
def two_factor_page(request: AuthenticatedRequest) -> HttpResponseBase:
    """Account settings: turn two-factor sign-in on, make new recovery codes, or turn it off."""
    return _verified_first(request) or _settings_page(request)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def two_factor_setup(request: AuthenticatedRequest) -> HttpResponseBase:
    """The QR code and the key to type by hand; a code from the app turns it on and shows the recovery codes once."""
    if two_factor.is_on(request.user):
        return redirect("accounts:two-factor")
    next_url = _next_url(request, reverse("accounts:two-factor"))
    device = two_factor.start_setup(user=request.user)
    form = AppCodeForm(request.POST if request.method == "POST" else None)
    status = 200
    if form.is_bound and not form.is_valid():
        status = 400
    elif form.is_bound:
        try:
            codes = two_factor.confirm_setup(request=request, user=request.user, token=form.cleaned_data["otp_token"])
        except WrongCode as exc:
            form.add_error("otp_token", str(exc) + " Check the time on your phone, then type the newest code.")
            status = 400
        except TooManyCodeAttempts as exc:
            form.add_error("otp_token", str(exc))
            status = 429
        else:
            return _codes_page(request, codes, next_url, first=True)
    return render(request, "accounts/two_factor_setup.html", {
        "tab": "two-factor", "form": form, "next": next_url, "secret": two_factor.secret_text(device),
        "qr": two_factor.qr_svg(two_factor.provisioning_uri(device)),
        "required": two_factor.required_for_admin(request.user),
    }, status=status)


@login_required
@require_POST
def two_factor_codes(request: AuthenticatedRequest) -> HttpResponseBase:
    """New recovery codes (with the password): the old ones stop working."""
    if (early := _verified_first(request)) is not None:
        return early
    form = ReauthenticateForm(request, request.POST, prefix="codes")
    if not form.is_valid():
        return _settings_page(request, codes_form=form, status=400)
    try:
        codes = two_factor.regenerate_codes(user=request.user)
    except WrongCode as exc:
        messages.error(request, str(exc))
        return redirect("accounts:two-factor")
    return _codes_page(request, codes, reverse("accounts:two-factor"), first=False)


@login_required
@require_POST
def two_factor_off(request: AuthenticatedRequest) -> HttpResponseBase:
    """Turning it off takes the password and a current code (or a recovery code)."""
    if (early := _verified_first(request)) is not None:
        return early
    form = TurnOffForm(request, request.POST, prefix="off")
    if form.is_valid():
        try:
            two_factor.turn_off(request=request, user=request.user, token=form.cleaned_data["otp_token"])
        except WrongCode as exc:
            form.add_error("otp_token", str(exc))
        except TooManyCodeAttempts as exc:
            form.add_error("otp_token", str(exc))
            return _settings_page(request, off_form=form, status=429)
        else:
            messages.success(request, "Two-factor sign-in is off. Signing in now takes only your password.")
            return redirect("accounts:two-factor")
    return _settings_page(request, off_form=form, status=400)


def _settings_page(request: AuthenticatedRequest, *, codes_form: ReauthenticateForm | None = None,
                   off_form: TurnOffForm | None = None, status: int = 200) -> HttpResponse:
    return render(request, "accounts/two_factor.html", {
        "tab": "two-factor", "on": two_factor.is_on(request.user),
        "codes_left": two_factor.recovery_codes_left(request.user),
        "required": two_factor.required_for_admin(request.user),
        "codes_form": codes_form or ReauthenticateForm(request, prefix="codes"),
        "off_form": off_form or TurnOffForm(request, prefix="off"),
    }, status=status)


def _codes_page(request: AuthenticatedRequest, codes: list[str], next_url: str, *, first: bool) -> HttpResponse:
    """The recovery codes, this once: they are not shown again (the page is never cached)."""
    return render(request, "accounts/two_factor_codes.html", {
        "tab": "two-factor", "codes": [two_factor.format_code(code) for code in codes], "next": next_url,
        "first": first,
    })


def _verified_first(request: AuthenticatedRequest) -> HttpResponseBase | None:
    """A session that has not passed the second step of a user who has it on enters the code first."""
    if two_factor.is_on(request.user) and not two_factor.is_verified(request):
        return redirect(_with_next("accounts:login-code", request.get_full_path()))
    return None


def _code_step_user(request: HttpRequest) -> tuple[User | None, dict[str, object] | None]:
    """Whose code this step asks for: a logged-in session not yet verified, or the password just given."""
    if request.user.is_authenticated:
        current = cast(User, request.user)
        needs = two_factor.is_on(current) and not two_factor.is_verified(request)
        return (current if needs else None), None
    pending = request.session.get(PENDING_KEY)
    if not isinstance(pending, dict) or timezone.now().timestamp() - pending.get("at", 0) > PENDING_SECONDS:
        request.session.pop(PENDING_KEY, None)
        return None, None
    user = User.objects.filter(pk=int(pending.get("user", 0)), is_active=True).first()
    return (user, pending) if user is not None else (None, None)


def _next_url(request: HttpRequest, default: str) -> str:
    """``next`` from the form or the address when it points back into this site, else ``default``."""
    wanted = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return wanted
    return default


def _with_next(name: str, next_url: str) -> str:
    return f"{reverse(name)}?{urlencode({'next': next_url})}"
