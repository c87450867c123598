from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from accounts import selectors, services
from accounts.access import AuthenticatedRequest, CompanyRequest, company_view
from accounts.forms import CompanyForm


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
    """Manage Soft Helpers: the company's members and their roles."""
    return render(
        request,
        "accounts/manage.html",
        {
            "tab": "manage",
            "company": request.company,
            "membership": request.membership,
            "members": selectors.members_of(request.company),
            "memberships": selectors.memberships_of(request.user).filter(company__status="active"),
        },
    )
