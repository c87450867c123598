"""Shutdown Company (CON-3, CON-4): ask with the password, confirm from the emailed link."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from accounts.access import AuthenticatedRequest, CompanyRequest, company_view
from accounts.exceptions import EmailNotVerified
from accounts.forms import ReauthenticateForm
from accounts.models import Membership
from retention import selectors, services
from retention.exceptions import CompanyNotActive, ShutdownLinkRefused

OWNER = {Membership.Role.OWNER}
Problem = ShutdownLinkRefused.Problem
# Someone else's link or a made-up one is "not found"; a real link past its use is "gone".
REFUSED_STATUS = {Problem.INVALID: 404, Problem.NOT_YOURS: 403, Problem.EXPIRED: 410, Problem.USED: 410,
                  Problem.REPLACED: 410, Problem.CLOSED: 410}


@company_view(roles=OWNER)
@require_http_methods(["GET", "POST"])
def shutdown(request: CompanyRequest) -> HttpResponse:
    """The confirmation step: password again, then "Yes, Shutdown Now." emails the owner a link."""
    form = ReauthenticateForm(request, data=request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.request_shutdown(company=request.company, actor=request.user)
        except EmailNotVerified as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, "We sent a confirmation link to your email address. Open it and confirm "
                                      "there to close the company; until then nothing changes.")
        return redirect("retention:shutdown", company_id=request.company.pk)
    return render(request, "retention/shutdown.html", {
        "tab": "manage", "company": request.company, "form": form,
        "pending": selectors.pending_shutdown(company=request.company), "now": timezone.now(),
        "grace_days": settings.RETENTION_GRACE_DAYS,
    }, status=400 if form.is_bound else 200)


@company_view(roles=OWNER)
@require_POST
def shutdown_cancel(request: CompanyRequest) -> HttpResponse:
    if services.cancel_shutdown(company=request.company, actor=request.user):
        messages.success(request, "Shutdown cancelled. The link we emailed no longer works.")
    return redirect("accounts:manage", company_id=request.company.pk)


@login_required
@require_http_methods(["GET", "POST"])
def shutdown_confirm(request: AuthenticatedRequest, company_id: int, token: str) -> HttpResponse:
    """The emailed link. GET shows the button and changes nothing; the owner's POST closes the company."""
    try:
        if request.method == "POST":
            purge = services.confirm_shutdown(company_id=company_id, token=token, actor=request.user)
        else:
            shutdown_request = services.check_shutdown_link(company_id=company_id, token=token, user=request.user)
    except (ShutdownLinkRefused, CompanyNotActive) as exc:
        problem = exc.problem if isinstance(exc, ShutdownLinkRefused) else Problem.CLOSED
        return render(request, "retention/shutdown_refused.html", {"problem": problem},
                      status=REFUSED_STATUS[problem])
    if request.method == "POST":
        messages.success(request, f"Your company is closed. Its data will be deleted on {purge.due_at:%Y-%m-%d}; "
                                  "we sent you an email with the details.")
        return redirect("accounts:company-selection")
    return render(request, "retention/shutdown_confirm.html", {
        "company": shutdown_request.company, "shutdown": shutdown_request,
        "grace_days": settings.RETENTION_GRACE_DAYS})
