from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordChangeForm, SetPasswordForm
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.views.decorators.http import require_http_methods, require_POST

from accounts import selectors, services, verification
from accounts.access import AuthenticatedRequest, CompanyRequest, company_view, safe_next
from accounts.auth import client_ip
from accounts.exceptions import LastOwner
from accounts.forms import CompanyForm
from accounts.models import Membership


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
