from django.urls import path

from retention import views

app_name = "retention"

urlpatterns = [
    path("companies/<int:company_id>/shutdown/", views.shutdown, name="shutdown"),
    path("companies/<int:company_id>/shutdown/cancel/", views.shutdown_cancel, name="shutdown-cancel"),
    path("companies/<int:company_id>/shutdown/confirm/<str:token>/", views.shutdown_confirm,
         name="shutdown-confirm"),
]
