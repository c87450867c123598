from django.contrib import admin
from django.urls import include, path

from accounts.api import CompanyListView, LogoutAllView, LogoutView, ObtainTokenView
from consent.api import (
                         InvitationDetailView,
                         InvitationListView,
                         InvitationResendView,
                         MyConsentsView,
                         MyConsentView,
)
from ledger.api import router as ledger_router
from softhelpers import api_docs, views

api_v1 = [
    path("auth/token/", ObtainTokenView.as_view(), name="api-token"),
    path("auth/logout/", LogoutView.as_view(), name="api-logout"),
    path("auth/logoutall/", LogoutAllView.as_view(), name="api-logout-all"),
    path("companies/", CompanyListView.as_view(), name="api-companies"),
    path("me/consents/", MyConsentsView.as_view(), name="my-consents"),
    path("me/consents/<str:purpose>/", MyConsentView.as_view(), name="my-consent"),
    path("companies/<int:company_id>/invitations/", InvitationListView.as_view(), name="invitation-list"),
    path("companies/<int:company_id>/invitations/<int:pk>/", InvitationDetailView.as_view(), name="invitation-detail"),
    path("companies/<int:company_id>/invitations/<int:pk>/resend/", InvitationResendView.as_view(),
         name="invitation-resend"),
    *ledger_router.urls,
]

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("dev/mail/", views.dev_mail, name="dev-mail"),
    path("dev/mail/<str:name>", views.dev_mail_detail, name="dev-mail-detail"),
    path("", include("consent.urls")),  # before the admin: it adds /admin/support/<company>/
    path("", include("privacy.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include((api_v1, "api"), namespace="api")),
    path("api/schema/", api_docs.SchemaView.as_view(), name="api-schema"),
    path("api/docs/", api_docs.docs, name="api-docs"),
    path("", include("accounts.urls")),
    path("", include("ledger.urls")),
    path("", include("retention.urls")),
]
