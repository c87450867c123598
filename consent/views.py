"""Where people give and withdraw consent: sign-up, Your consents, unsubscribe links, support access."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from accounts import services as account_services
from accounts.access import AuthenticatedRequest, CompanyRequest, company_view
from accounts.exceptions import EmailAlreadyRegistered
from accounts.forms import SignUpForm
from accounts.models import Company, Membership
from consent import analytics, purposes, selectors, services, support, tokens
from consent.exceptions import SupportAccessRefused, UnknownUnsubscribeLink
from consent.forms import MessageConsentsForm, SupportAccessForm
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
    if request.method == "POST" and form.is_valid() and consents.is_valid():
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
            "analytics_cookie": settings.ANALYTICS_COOKIE_NAME, "error": error}
