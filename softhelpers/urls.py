from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from accounts.api import CompanyListView, ObtainTokenView
from ledger.api import router as ledger_router
from softhelpers import views

api_v1 = [
    path("auth/token/", ObtainTokenView.as_view(), name="api-token"),
    path("companies/", CompanyListView.as_view(), name="api-companies"),
    *ledger_router.urls,
]

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("dev/mail/", views.dev_mail, name="dev-mail"),
    path("dev/mail/<str:name>", views.dev_mail_detail, name="dev-mail-detail"),
    path("", include("privacy.urls")),  # before the admin: it adds /admin/support/<company>/
    path("admin/", admin.site.urls),
    path("api/v1/", include((api_v1, "api"), namespace="api")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("", include("accounts.urls")),
    path("", include("ledger.urls")),
    path("", include("retention.urls")),
]
