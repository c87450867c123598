from django.urls import path

from privacy import views

app_name = "privacy"

urlpatterns = [
    path("privacy/", views.policy_page, name="policy"),
    path("privacy/versions/", views.policy_history, name="versions"),
    path("privacy/versions/<slug:label>/", views.policy_version, name="version"),
    path("privacy/versions/<slug:label>/text/", views.policy_version_text, name="version-text"),
    path("privacy/versions/<slug:label>/dismiss/", views.dismiss_policy_notice, name="dismiss-notice"),
    path("companies/<int:company_id>/export/", views.export_page, name="export"),
    path("companies/<int:company_id>/export/<int:export_id>/download/<str:token>/", views.export_download,
         name="export-download"),
    path("privacy/officer/", views.officer, name="officer"),
    path("privacy/contact/", views.contact, name="contact"),
    path("privacy/contact/thanks/", views.contact_thanks, name="contact-thanks"),
    path("admin/reports/", views.reports_page, name="reports"),
    path("admin/reports/statistics.csv", views.reports_page, {"download": True}, name="reports-csv"),
]
