from django.urls import path

from privacy import views

app_name = "privacy"

urlpatterns = [
    path("companies/<int:company_id>/export/", views.export_page, name="export"),
    path("companies/<int:company_id>/export/<int:export_id>/download/<str:token>/", views.export_download,
         name="export-download"),
    path("admin/reports/", views.reports_page, name="reports"),
    path("admin/reports/statistics.csv", views.reports_page, {"download": True}, name="reports-csv"),
]
