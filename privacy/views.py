"""Pages of the privacy app: the owner's data export; the policy, the officer's contact and the inquiry
form, for anyone; the officer's Reports page with its CSV (PUR-5)."""

from __future__ import annotations

import csv
from datetime import date

from axes.helpers import get_client_ip_address
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.access import CompanyRequest, company_view, safe_next
from accounts.exceptions import EmailNotVerified
from accounts.models import Membership, User
from privacy import exports, inquiries, policy, reports, selectors, services, statistics
from privacy.exceptions import ExportUnavailable, InquiryRateLimited
from privacy.forms import InquiryForm
from privacy.models import PolicyVersion

OWNER = {Membership.Role.OWNER}


@company_view(roles=OWNER)
@require_http_methods(["GET", "POST"])
def export_page(request: CompanyRequest) -> HttpResponse:
    """The owner's data export: prepare one, watch its progress, download it once."""
    if request.method == "POST":
        try:
            services.request_export(company=request.company, actor=request.user)
        except EmailNotVerified as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, "Your export is being prepared. This page updates by itself.")
        return redirect("privacy:export", company_id=request.company.pk)
    recent = list(selectors.recent_exports(company=request.company))
    links = {e.pk: services.download_token(e) for e in recent if e.status == e.Status.READY}
    return render(request, "privacy/export.html", {
        "tab": "manage", "company": request.company, "exports": recent, "links": links,
        "refresh": any(e.in_progress for e in recent),
    })


@company_view(roles=OWNER)
@require_http_methods(["GET"])
def export_download(request: CompanyRequest, export_id: int, token: str) -> HttpResponseBase:
    if selectors.get_export(company=request.company, export_id=export_id) is None:
        raise Http404  # another company's export, like any other record of theirs
    try:
        handle = services.claim_download(company=request.company, export_id=export_id, token=token,
                                         actor=request.user)
    except ExportUnavailable as exc:
        return render(request, "privacy/export_unavailable.html",
                      {"company": request.company, "message": str(exc), "tab": "manage"}, status=410)
    return FileResponse(handle, as_attachment=True, content_type="application/zip",
                        filename=f"softhelpers-company-{request.company.pk}-export.zip")


# --- the policy, public (NOT-1, ACC-3) --------------------------------------------------------------

@require_http_methods(["GET", "HEAD"])
def policy_page(request: HttpRequest) -> HttpResponse:
    """The policy in force, with any published version that takes effect later."""
    version = policy.in_force()
    if version is None:
        raise Http404
    return render(request, "privacy/policy.html", {"version": version, "upcoming": policy.upcoming()})


@require_http_methods(["GET", "HEAD"])
def policy_history(request: HttpRequest) -> HttpResponse:
    current = policy.in_force()
    return render(request, "privacy/versions.html", {"versions": policy.history(), "current": current})


def _published_or_404(label: str) -> PolicyVersion:
    version = policy.published(label)
    if version is None:
        raise Http404
    return version


@require_http_methods(["GET", "HEAD"])
def policy_version(request: HttpRequest, label: str) -> HttpResponse:
    """One version's exact text and digest; opening it is reading its notice (the banner goes)."""
    version = _published_or_404(label)
    if request.user.is_authenticated and request.method == "GET":
        policy.mark_read(user=request.user, version=version)
    return render(request, "privacy/version.html", {"version": version, "current": policy.in_force()})


@require_http_methods(["GET", "HEAD"])
def policy_version_text(request: HttpRequest, label: str) -> HttpResponse:
    """The text as published, byte for byte: its sha256 is the one the version page shows."""
    version = _published_or_404(label)
    response = HttpResponse(version.text.encode(), content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="privacy-policy-{version.label}.txt"'
    return response


@login_required
@require_POST
def dismiss_policy_notice(request: HttpRequest, label: str) -> HttpResponse:
    version = _published_or_404(label)
    policy.mark_read(user=request.user, version=version)  # type: ignore[arg-type]
    return redirect(safe_next(request, "/"))


# --- the Privacy Officer's public pages (ACC-1, ACC-2, CHL-1) ----------------------------------------

@require_http_methods(["GET", "HEAD"])
def officer(request: HttpRequest) -> HttpResponse:
    """The officer's published contact: no personal information, the same for everyone."""
    return render(request, "privacy/officer.html", {"contact": selectors.officer_contact(),
                                                    "days": settings.PRIVACY_INQUIRY_DAYS})


THANKS_SESSION_KEY = "privacy.inquiry_thanks"  # the last inquiry's reference and due date, never in the URL


@require_http_methods(["GET", "HEAD", "POST"])
def contact(request: HttpRequest) -> HttpResponse:
    """The inquiry form, for anyone; a logged-in sender is linked and finds their name and email filled in.

    A stored inquiry redirects to the thanks page (a reload there sends nothing again); a bot's post
    (the honeypot) redirects the same way, with a made-up reference, and nothing is stored or sent.
    """
    user = request.user if request.user.is_authenticated else None
    initial = {"name": user.full_name, "email": user.email} if user is not None else {}
    form = InquiryForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST":
        if form.is_bot():
            return _to_thanks(request, reference=inquiries.new_reference(), due_on=inquiries.due_date(timezone.now()))
        if form.is_valid():
            data = {name: form.cleaned_data[name] for name in ("name", "email", "kind", "message")}
            try:
                inquiry = inquiries.submit(**data, user=user, client_address=get_client_ip_address(request))
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            except InquiryRateLimited as exc:
                return render(request, "privacy/contact_limited.html",
                              {"message": str(exc), "contact": selectors.officer_contact()}, status=429)
            else:
                return _to_thanks(request, reference=inquiry.reference, due_on=inquiry.due_on)
    return render(request, "privacy/contact.html", {
        "form": form, "contact": selectors.officer_contact(), "days": settings.PRIVACY_INQUIRY_DAYS,
        "keep_days": settings.PRIVACY_INQUIRY_KEEP_DAYS,
    }, status=400 if form.errors else 200)


def _to_thanks(request: HttpRequest, *, reference: str, due_on: date) -> HttpResponse:
    request.session[THANKS_SESSION_KEY] = {"reference": reference, "due_on": due_on.isoformat()}
    return redirect("privacy:contact-thanks")


@require_http_methods(["GET", "HEAD"])
def contact_thanks(request: HttpRequest) -> HttpResponse:
    """The reference and the date we answer by, of this session's last inquiry; the form when there is none."""
    sent = request.session.get(THANKS_SESSION_KEY)
    if not isinstance(sent, dict):
        return redirect("privacy:contact")
    return render(request, "privacy/contact_thanks.html", {
        "reference": sent["reference"], "due_on": date.fromisoformat(sent["due_on"]),
        "contact": selectors.officer_contact()})


@staff_member_required
@permission_required("privacy.view_reports", raise_exception=True)
@require_GET
def reports_page(request: HttpRequest, *, download: bool = False) -> HttpResponse:
    """Charts of the daily statistics, monthly totals and what falls due, or the same figures as CSV rows.

    Figures only, about no one: a 400 for any parameter but the period (a company, a user). Audited.
    """
    try:
        days = reports.period(request.GET)
    except reports.BadParameter as exc:
        return HttpResponseBadRequest(str(exc), content_type="text/plain")
    user: User = request.user  # type: ignore[assignment]
    services.record_report_access(actor=user, days=days, download=download)
    report = reports.build(days=days, today=statistics.today_utc(), user=user)
    if download:
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = (f'attachment; filename="softhelpers-statistics-{report.last:%Y-%m-%d}-'
                                           f'{report.days}d.csv"')
        csv.writer(response).writerows([exports.spreadsheet_safe(cell) for cell in row] for row in reports.csv_rows(report))
        return response
    return render(request, "admin/privacy/reports.html", {
        **admin.site.each_context(request), "title": "Reports", "report": report, "periods": reports.PERIODS,
        "chart_width": reports.CHART_WIDTH, "chart_height": reports.CHART_HEIGHT,
        "min_contributors": settings.PRIVACY_AGGREGATE_MIN_CONTRIBUTORS,
        "dominance_percent": settings.PRIVACY_AGGREGATE_DOMINANCE_PERCENT})
