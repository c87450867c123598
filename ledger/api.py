"""REST API for the ledger under /api/v1/companies/{company_id}/…; writes go through services."""

from __future__ import annotations

from typing import Any, cast

from django.db.models import Prefetch, QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import routers, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.access import CompanyScopedAPIMixin
from accounts.models import User
from ledger import selectors, serializers, services
from ledger.exceptions import RecordInUse
from ledger.import_api import BankImportActions
from ledger.models import InvoiceLine

_COMPANY = OpenApiParameter("company_id", OpenApiTypes.INT, OpenApiParameter.PATH,
                            description="A company the caller belongs to (GET /api/v1/companies/)")
_ID = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH)
company_schema = extend_schema_view(
    list=extend_schema(parameters=[_COMPANY]),
    create=extend_schema(parameters=[_COMPANY]),
    **{action: extend_schema(parameters=[_COMPANY, _ID])
       for action in ("retrieve", "update", "partial_update", "destroy")},
)


class TenantViewSet(CompanyScopedAPIMixin, viewsets.ModelViewSet):
    """A ledger resource of one company. Another company's record answers 404."""

    http_method_names = ["get", "post", "put", "patch", "delete", "head", "options"]
    lookup_value_regex = r"\d+"

    def records(self) -> QuerySet:
        raise NotImplementedError

    def get_queryset(self) -> QuerySet:
        return self.records()

    def get_serializer_context(self) -> dict[str, Any]:
        return {**super().get_serializer_context(), "company": getattr(self, "company", None)}

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        try:
            services.delete_record(company=self.company, record=self.get_object(), actor=cast(User, request.user))
        except RecordInUse:
            return Response({"detail": "This record is still used by other records; remove those first."},
                            status=status.HTTP_409_CONFLICT)
        return Response(status=status.HTTP_204_NO_CONTENT)


@company_schema
class ContactViewSet(TenantViewSet):
    serializer_class = serializers.ContactSerializer

    def records(self) -> QuerySet:
        return selectors.contacts(company=self.company)


@company_schema
class InvoiceViewSet(TenantViewSet):
    serializer_class = serializers.InvoiceSerializer

    def records(self) -> QuerySet:
        lines = Prefetch("lines", queryset=InvoiceLine.objects.filter(company=self.company))
        return selectors.invoices(company=self.company).prefetch_related(lines)


@company_schema
class BankAccountViewSet(BankImportActions, TenantViewSet):  # + statement imports (ledger/import_api.py)
    serializer_class = serializers.BankAccountSerializer

    def records(self) -> QuerySet:
        return selectors.bank_accounts(company=self.company)


@company_schema
class BankConnectionViewSet(TenantViewSet):
    serializer_class = serializers.BankConnectionSerializer

    def records(self) -> QuerySet:
        return selectors.bank_connections(company=self.company)


@company_schema
class BankTransactionViewSet(TenantViewSet):
    serializer_class = serializers.BankTransactionSerializer

    def records(self) -> QuerySet:
        return selectors.bank_transactions(company=self.company)


router = routers.SimpleRouter()
_prefix = r"companies/(?P<company_id>\d+)"
router.register(f"{_prefix}/contacts", ContactViewSet, basename="contact")
router.register(f"{_prefix}/invoices", InvoiceViewSet, basename="invoice")
router.register(f"{_prefix}/bank-accounts", BankAccountViewSet, basename="bank-account")
router.register(f"{_prefix}/bank-connections", BankConnectionViewSet, basename="bank-connection")
router.register(f"{_prefix}/bank-transactions", BankTransactionViewSet, basename="bank-transaction")
