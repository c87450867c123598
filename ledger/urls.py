from django.urls import path

from ledger import views
from ledger.resources import RESOURCES

app_name = "ledger"

urlpatterns = [
    path("c/<int:company_id>/", views.company_home, name="company-home"),
    path("c/<int:company_id>/bank-connections/<int:pk>/disconnect/", views.bank_connection_disconnect,
         name="bank-connections-disconnect"),
    path("c/<int:company_id>/contacts/lookup/", views.contact_lookup, name="contacts-lookup"),
]
for resource in RESOURCES:
    base = f"c/<int:company_id>/{resource.slug}/"
    kwargs = {"slug": resource.slug}
    urlpatterns += [
        path(base, views.record_list, kwargs, name=f"{resource.slug}-list"),
        path(f"{base}new/", views.record_create, kwargs, name=f"{resource.slug}-create"),
        path(f"{base}<int:pk>/", views.record_detail, kwargs, name=f"{resource.slug}-detail"),
        path(f"{base}<int:pk>/edit/", views.record_edit, kwargs, name=f"{resource.slug}-edit"),
        path(f"{base}<int:pk>/delete/", views.record_delete, kwargs, name=f"{resource.slug}-delete"),
    ]
