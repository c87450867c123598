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
# One invoice: print view, PDF and send to contact (issue 14). The slug names the record type for the pages.
_invoice = "c/<int:company_id>/invoices/<int:pk>/"
urlpatterns += [
    path(f"{_invoice}print/", views.invoice_print, {"slug": "invoices"}, name="invoices-print"),
    path(f"{_invoice}pdf/", views.invoice_pdf_download, {"slug": "invoices"}, name="invoices-pdf"),
    path(f"{_invoice}send/", views.invoice_send, {"slug": "invoices"}, name="invoices-send"),
]

# Bank statement imports (issue 14): ledger/import_views.py
from ledger import import_views  # noqa: E402

urlpatterns += [
    path("c/<int:company_id>/bank-accounts/<int:pk>/import/", import_views.bank_import_upload,
         name="bank-import-upload"),
    path("c/<int:company_id>/bank-imports/<int:import_id>/", import_views.bank_import_detail,
         name="bank-import-detail"),
]
