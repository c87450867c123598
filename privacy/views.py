from __future__ import annotations

from django.contrib import messages
from django.http import FileResponse, Http404, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from accounts.access import CompanyRequest, company_view
from accounts.models import Membership
from privacy import selectors, services
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
