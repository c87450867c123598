from django.urls import path

from consent import views

app_name = "consent"

urlpatterns = [
    path("accounts/signup/", views.signup, name="signup"),
    path("accounts/consents/", views.your_consents, name="your-consents"),
    path("cookies/", views.cookies, name="cookies"),
    path("email/unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("companies/<int:company_id>/support-access/", views.support_access, name="support-access"),
    path("admin/support/<int:company_id>/", views.staff_company_data, name="staff-company-data"),
    path("admin/invitations/remove/", views.officer_remove_invitations, name="officer-remove-invitations"),
    path("companies/<int:company_id>/invitations/", views.invite, name="invite"),
    path("companies/<int:company_id>/invitations/<int:pk>/resend/", views.invitation_action,
         {"action": "resend"}, name="invitation-resend"),
    path("companies/<int:company_id>/invitations/<int:pk>/revoke/", views.invitation_action,
         {"action": "revoke"}, name="invitation-revoke"),
    path("invitations/<str:token>/", views.invitation, name="invitation"),
    path("invitations/<str:token>/remove/", views.invitation_remove, name="invitation-remove"),
]
