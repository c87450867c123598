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
]
