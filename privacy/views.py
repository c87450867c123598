"""The owner's data export, and the officer's Reports page with its CSV (PUR-5)."""

from __future__ import annotations

import csv

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.auth.decorators import permission_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from accounts.access import CompanyRequest, company_view
from accounts.models import Membership, User
from privacy import reports, selectors, services
from privacy.exceptions import ExportUnavailable

OWNER = {Membership.Role.OWNER}


@company_view(roles=OWNER)
@require_http_methods(["GET", "POST"])
def export_page(request: CompanyRequest) -> HttpResponse:
    """The owner's data export: prepare one, watch its progress, download it once."""
    if request.method == "POST":
        services.request_export(company=request.company, actor=request.user)
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
    report = reports.build(days=days, today=timezone.localdate(), user=user)
    if download:
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = (f'attachment; filename="softhelpers-statistics-{report.last:%Y-%m-%d}-'
                                           f'{report.days}d.csv"')
        csv.writer(response).writerows(reports.csv_rows(report))
        return response
    return render(request, "admin/privacy/reports.html", {
        **admin.site.each_context(request), "title": "Reports", "report": report, "periods": reports.PERIODS,
        "chart_width": reports.CHART_WIDTH, "chart_height": reports.CHART_HEIGHT,
        "min_contributors": settings.PRIVACY_AGGREGATE_MIN_CONTRIBUTORS,
        "dominance_percent": settings.PRIVACY_AGGREGATE_DOMINANCE_PERCENT})
