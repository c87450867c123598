"""Where people give and withdraw consent: sign-up, Your consents, unsubscribe links, support access,
and invitations (sent by owners, opened, accepted or removed by invitees, removed by the officer)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required, permission_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from accounts import login_limits
from accounts import services as account_services
from accounts.access import AuthenticatedRequest, CompanyRequest, company_view
from accounts.exceptions import EmailAlreadyRegistered
from accounts.forms import SignUpForm
from accounts.models import Company, Membership, User
from accounts.tenancy import tenant_context
from consent import analytics, invitations, purposes, selectors, services, support, tokens
from consent.exceptions import (
    InvitationQuotaExceeded,
    InvitationRefused,
    InvitationUnavailable,
    SupportAccessRefused,
    UnknownUnsubscribeLink,
)
from consent.forms import (
    InvitationForm,
    InvitedSignUpForm,
    MessageConsentsForm,
    RemoveInviteeForm,
    SupportAccessForm,
)
from consent.models import Method

STAFF_VIEW_ROWS = 50
ONE_CLICK_BODY = ("List-Unsubscribe", "One-Click")  # RFC 8058: what a mail provider POSTs


@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    """Sign-up with the message purposes as unticked boxes: only ticked ones are granted (CON-1)."""
    if request.user.is_authenticated:
        return redirect("accounts:company-selection")
    form = SignUpForm(request.POST or None)
    consents = MessageConsentsForm(request.POST or None)
    valid = request.method == "POST" and form.is_valid() and consents.is_valid()
    if valid and login_limits.signup_limited(request):  # only complete sign-ups count: typos do not use it up
        form.add_error(None, "Too many sign-ups from your network in the last hour. Try again later.")
        return render(request, "accounts/signup.html", {"form": form, "consents": consents}, status=429)
    if valid:
        try:
            with transaction.atomic():
                user = account_services.sign_up(**form.cleaned_data)
                services.record_signup_consents(user=user, granted=[p for p, on in consents.choices().items() if on])
        except EmailAlreadyRegistered:
            form.add_error("email", "An account with this email already exists. Log in instead.")
        except ValidationError as exc:
            form.add_error("password", exc)
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, "Welcome to Soft Helpers. Your company is ready.")
            return redirect("accounts:company-selection")
    return render(request, "accounts/signup.html", {"form": form, "consents": consents})


@login_required
@require_http_methods(["GET", "POST"])
def your_consents(request: AuthenticatedRequest) -> HttpResponse:
    """Each message purpose with its state, what it means, a save button, and the user's own history."""
    if request.method == "POST":
        form = MessageConsentsForm(request.POST)
        if form.is_valid():
            changed = services.set_user_consents(user=request.user, choices=form.choices(),
                                                 method=Method.SETTINGS_FORM, actor=request.user)
            messages.success(request, f"Your choices are saved ({len(changed)} changed)." if changed
                             else "Nothing changed: these were already your choices.")
            return redirect("consent:your-consents")
    states = selectors.message_consents_of(request.user)
    form = MessageConsentsForm(initial_granted={s.purpose.id for s in states if s.granted})
    return render(request, "consent/your_consents.html", {
        "rows": [(s, form[f"consent_{s.purpose.id}"]) for s in states],
        "history": selectors.history_of(request.user)[:100],
    })


@csrf_exempt  # the token in the URL is the authority; mail providers POST with no cookie (RFC 8058)
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows the button and changes nothing (mail scanners open links); POST withdraws one purpose.

    Touches no session and sets no cookie: the answer is the same for anyone holding the link,
    so the page is ``bare`` (no form with a CSRF token, no messages, no cookie banner).
    """
    row = tokens.find(token)
    if row is None:
        raise Http404
    if request.method == "GET":
        return render(request, "consent/unsubscribe.html", {"purpose": purposes.get(row.purpose),
                                                            "token": token, "done": False, "bare": True})
    one_click = request.POST.get(ONE_CLICK_BODY[0]) == ONE_CLICK_BODY[1]
    try:
        purpose = services.unsubscribe(token=token, method=Method.ONE_CLICK if one_click else Method.UNSUBSCRIBE_PAGE)
    except UnknownUnsubscribeLink as exc:
        raise Http404 from exc
    return render(request, "consent/unsubscribe.html", {"purpose": purpose, "token": token, "done": True,
                                                        "bare": True})


@company_view(roles={Membership.Role.OWNER})
@require_POST
def support_access(request: CompanyRequest) -> HttpResponse:
    """Grant or end staff support access to this company's data (PUR-3)."""
    if request.POST.get("action") == "revoke":
        services.revoke_support_access(company=request.company, actor=request.user)
        messages.success(request, "Support access ended.")
        return redirect("accounts:manage", company_id=request.company.pk)
    form = SupportAccessForm(request.POST)
    try:
        if not form.is_valid():
            raise SupportAccessRefused(" ".join(str(e) for e in form.errors.get("days", ["Choose how many days."])))
        grant = services.grant_support_access(company=request.company, actor=request.user,
                                              days=form.cleaned_data["days"])
    except SupportAccessRefused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Support may view this company's data until {grant.expires_at:%Y-%m-%d %H:%M} UTC.")
    return redirect("accounts:manage", company_id=request.company.pk)


@staff_member_required
def staff_company_data(request: HttpRequest, company_id: int) -> HttpResponse:
    """Staff view of one company's records: only under the company's grant in force, always audited."""
    company = get_object_or_404(Company, pk=company_id)
    try:
        grant, tables = support.view_company_data_as_staff(company=company, staff=request.user,  # type: ignore[arg-type]
                                                           limit=STAFF_VIEW_ROWS)
    except SupportAccessRefused:
        return render(request, "consent/staff_no_access.html", {"company_id": company.pk}, status=403)
    return render(request, "consent/staff_company_data.html",
                  {"company": company, "grant": grant, "tables": tables, "limit": STAFF_VIEW_ROWS})


@require_http_methods(["GET", "POST"])
def cookies(request: HttpRequest) -> HttpResponse:
    """The cookies we set and why; POST records the analytics choice (works without JavaScript, COO-3)."""
    if request.method == "POST" and analytics.enabled():
        choice = request.POST.get("choice")
        if choice not in ("accept", "reject"):
            return render(request, "consent/cookies.html", _cookie_page(request, error=True), status=400)
        accepted = choice == "accept"
        if request.user.is_authenticated:
            services.set_user_consents(user=request.user, choices={purposes.ANALYTICS_COOKIES: accepted},
                                       method=Method.COOKIE_BANNER, actor=request.user)
        target = request.POST.get("next", "")
        if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                               require_https=request.is_secure()):
            target = reverse("consent:cookies")
        response = redirect(target)
        analytics.remember_choice(response, "accepted" if accepted else "rejected")
        if not accepted:
            analytics.expire_google_cookies(request, response)
        return response
    return render(request, "consent/cookies.html", _cookie_page(request))


def _cookie_page(request: HttpRequest, *, error: bool = False) -> dict[str, object]:
    return {"enabled": analytics.enabled(), "choice": analytics.choice_of(request) if analytics.enabled() else None,
            "session_cookie": settings.SESSION_COOKIE_NAME, "csrf_cookie": settings.CSRF_COOKIE_NAME,
            "device_cookie": settings.ACCOUNTS_KNOWN_DEVICE_COOKIE, "device_days": settings.ACCOUNTS_KNOWN_DEVICE_DAYS,
            "analytics_cookie": settings.ANALYTICS_COOKIE_NAME, "error": error}


# --- invitations (GST-1..4) ---------------------------------------------------------------------

@company_view(roles={Membership.Role.OWNER})
@require_http_methods(["GET", "POST"])
def invite(request: CompanyRequest) -> HttpResponse:
    """Invite someone by name and email; a bad form comes back here with the person's input kept."""
    form = InvitationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            invitations.invite(company=request.company, actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        except (InvitationRefused, InvitationQuotaExceeded) as exc:
            form.add_error(None, str(exc))
            return _invite_page(request, form, status=429 if isinstance(exc, InvitationQuotaExceeded) else 400)
        else:
            messages.success(request, "Invitation sent.")
            return redirect("accounts:manage", company_id=request.company.pk)
    return _invite_page(request, form, status=400 if form.errors else 200)


def _invite_page(request: CompanyRequest, form: InvitationForm, *, status: int) -> HttpResponse:
    return render(request, "consent/invite.html", {"form": form, "company": request.company, "tab": "manage",
                                                   "link_days": settings.INVITATION_LINK_DAYS}, status=status)


@company_view(roles={Membership.Role.OWNER})
@require_POST
def invitation_action(request: CompanyRequest, pk: int, action: str) -> HttpResponse:
    """Resend (a new link, the old one replaced) or revoke a pending invitation."""
    invitation = selectors.invitation_in(request.company, invitation_id=pk)
    if invitation is None:
        raise Http404
    change = invitations.resend if action == "resend" else invitations.revoke
    try:
        change(company=request.company, invitation=invitation, actor=request.user)
    except (InvitationRefused, InvitationQuotaExceeded) as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "Invitation sent again with a new link." if action == "resend"
                         else "Invitation revoked; its link no longer works.")
    return redirect("accounts:manage", company_id=request.company.pk)


@require_http_methods(["GET", "HEAD", "POST"])
def invitation(request: HttpRequest, token: str) -> HttpResponse:
    """The emailed link. GET only shows the invitation (mail scanners open links); POST accepts it,
    for the logged-in invitee or through a new account made here with the invited email."""
    company_id = invitations.company_of(token)
    if company_id is None:
        return _unavailable(request, invitations.LinkState.UNKNOWN)
    with tenant_context(company_id):
        opened = invitations.open_link(token)
        if opened.state is not invitations.LinkState.CURRENT or opened.invitation is None:
            return _unavailable(request, opened.state)
        invite_ = opened.invitation
        signup_form = InvitedSignUpForm(request.POST if request.POST.get("action") == "signup" else None,
                                        initial={"full_name": invite_.name})
        consents = MessageConsentsForm(request.POST if request.POST.get("action") == "signup" else None)
        context = {"invitation": invite_, "token": token, "signup_form": signup_form, "consents": consents,
                   "same_email": request.user.is_authenticated and invitations.is_for(invite_, request.user),
                   "error": ""}
    if request.method == "POST":
        try:
            if request.POST.get("action") == "signup":
                if request.user.is_authenticated:
                    raise InvitationRefused("Log out first to create a new account.")
                user = _signup_and_accept(token, signup_form, consents)
                if user is None:
                    return render(request, "consent/invitation.html", context, status=400)
                login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            elif request.user.is_authenticated:
                invitations.accept(token=token, user=request.user)
            else:
                return redirect_to_login(request.get_full_path())
        except InvitationUnavailable as exc:
            return _unavailable(request, invitations.LinkState(exc.state))
        except InvitationRefused as exc:
            return render(request, "consent/invitation.html", {**context, "error": str(exc)}, status=403)
        messages.success(request, f"Welcome to {invite_.company.name}.")
        return redirect("ledger:company-home", company_id=company_id)
    return render(request, "consent/invitation.html", context)


def _signup_and_accept(token: str, form: InvitedSignUpForm, consents: MessageConsentsForm) -> User | None:
    if not (form.is_valid() and consents.is_valid()):
        return None
    try:
        return invitations.accept_with_new_account(
            token=token, consents=[p for p, on in consents.choices().items() if on], **form.cleaned_data)
    except EmailAlreadyRegistered:
        form.add_error(None, "An account with this email already exists. Log in to accept the invitation.")
    except ValidationError as exc:
        form.add_error("password", exc)
    return None


@csrf_exempt  # the token in the URL is the authority; the invitee has no session with us
@require_http_methods(["GET", "HEAD", "POST"])
def invitation_remove(request: HttpRequest, token: str) -> HttpResponse:
    """Remove my information (GST-4): GET asks, POST erases the invitation at once, with no login."""
    if request.method == "POST":
        try:
            invitations.remove_on_request(token=token)
        except InvitationUnavailable as exc:
            return _remove_page(request, exc.state)
        return _remove_page(request, "removed", status=200)
    company_id = invitations.company_of(token)
    opened = invitations.Opened(invitations.LinkState.UNKNOWN)
    if company_id is not None:
        with tenant_context(company_id):
            opened = invitations.open_link(token, closed_too=True)
    if not invitations.removable(opened):
        return _remove_page(request, opened.state)
    return _remove_page(request, "ask", token=token, status=200)


def _remove_page(request: HttpRequest, state: str, *, token: str = "", status: int | None = None) -> HttpResponse:
    """Bare like the unsubscribe page: no session, no messages, no cookie for a visitor with no account."""
    if status is None:
        status = 410 if state == invitations.LinkState.USED else 404
    return render(request, "consent/invitation_remove.html", {"state": state, "token": token, "bare": True},
                  status=status)


def _unavailable(request: HttpRequest, state: invitations.LinkState) -> HttpResponse:
    status = 404 if state is invitations.LinkState.UNKNOWN else 410
    return render(request, "consent/invitation_unavailable.html",
                  {"message": invitations.MESSAGES[state], "state": state}, status=status)


@staff_member_required
@permission_required("consent.remove_invitation", raise_exception=True)
@require_http_methods(["GET", "POST"])
def officer_remove_invitations(request: HttpRequest) -> HttpResponse:
    """The officer's removal of an invitee by email, in every company (GST-4); audited per company."""
    form = RemoveInviteeForm(request.POST or None)
    removed = None
    if request.method == "POST" and form.is_valid():
        removed = invitations.remove_by_email(email=form.cleaned_data["email"], actor=request.user)  # type: ignore[arg-type]
        form = RemoveInviteeForm()
    return render(request, "admin/consent/remove_invitee.html", {
        **admin.site.each_context(request), "title": "Remove an invitee's information", "form": form,
        "removed": removed})
