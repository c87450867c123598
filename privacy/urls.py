from django.urls import path

from privacy import views

app_name = "privacy"

urlpatterns = [
    path("companies/<int:company_id>/export/", views.export_page, name="export"),
    path("companies/<int:company_id>/export/<int:export_id>/download/<str:token>/", views.export_download,
         name="export-download"),
    path("privacy/officer/", views.officer, name="officer"),
    path("privacy/contact/", views.contact, name="contact"),
]
