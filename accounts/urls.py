from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy

from accounts import token_pages, views
from accounts.forms import OutboxPasswordResetForm

app_name = "accounts"

urlpatterns = [
    path("accounts/login/", views.TwoStepLoginView.as_view(), name="login"),
    path("accounts/login/code/", views.login_code, name="login-code"),
    path("accounts/two-factor/", views.two_factor_page, name="two-factor"),
    path("accounts/two-factor/setup/", views.two_factor_setup, name="two-factor-setup"),
    path("accounts/two-factor/codes/", views.two_factor_codes, name="two-factor-codes"),
    path("accounts/two-factor/off/", views.two_factor_off, name="two-factor-off"),
    path("accounts/logout/", token_pages.LogoutView.as_view(), name="logout"),
    path("accounts/tokens/", token_pages.tokens, name="tokens"),
    path("accounts/password/change/", views.PasswordChangeView.as_view(), name="password-change"),
    path("accounts/password/change/done/", auth_views.PasswordChangeDoneView.as_view(), name="password-change-done"),
    path("accounts/password/reset/", auth_views.PasswordResetView.as_view(
        form_class=OutboxPasswordResetForm, success_url=reverse_lazy("accounts:password-reset-done")),
        name="password-reset"),
    path("accounts/password/reset/sent/", auth_views.PasswordResetDoneView.as_view(), name="password-reset-done"),
    path("accounts/password/reset/<uidb64>/<token>/", views.PasswordResetConfirmView.as_view(),
         name="password-reset-confirm"),
    path("accounts/password/reset/done/", auth_views.PasswordResetCompleteView.as_view(),
         name="password-reset-complete"),
    path("accounts/verify/resend/", views.resend_verification, name="resend-verification"),
    path("accounts/verify/<str:token>/", views.verify_email, name="verify-email"),
    path("companies/", views.company_selection, name="company-selection"),
    path("companies/new/", views.company_create, name="company-create"),
    path("companies/manage/", views.manage_first, name="manage-first"),
    path("companies/<int:company_id>/manage/", views.manage, name="manage"),
    path("companies/<int:company_id>/manage/members/<int:membership_id>/role/", views.member_change,
         {"action": "role"}, name="member-role"),
    path("companies/<int:company_id>/manage/members/<int:membership_id>/remove/", views.member_change,
         {"action": "remove"}, name="member-remove"),
    path("companies/<int:company_id>/manage/leave/", views.leave, name="leave"),
]
