from __future__ import annotations

from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from accounts.access import CompanyRequest, company_view
from accounts.models import Company, Membership
from privacy import selectors, services
from privacy.exceptions import ExportUnavailable, SupportAccessRefused
from privacy.forms import SupportAccessForm

OWNER = {Membership.Role.OWNER}
STAFF_VIEW_ROWS = 50


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


@company_view(roles=OWNER)
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
    """Staff view of one company's records: only under the company's active grant, always audited."""
    company = get_object_or_404(Company, pk=company_id)
    try:
        grant, tables = services.view_company_data_as_staff(company=company, staff=request.user,  # type: ignore[arg-type]
                                                            limit=STAFF_VIEW_ROWS)
    except SupportAccessRefused:
        return render(request, "privacy/staff_no_access.html", {"company_id": company.pk}, status=403)
    return render(request, "privacy/staff_company_data.html",
                  {"company": company, "grant": grant, "tables": tables, "limit": STAFF_VIEW_ROWS})
