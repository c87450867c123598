"""REST API for the ledger under /api/v1/companies/{company_id}/…; writes go through services."""

from __future__ import annotations

from typing import Any, cast

from django.db.models import Prefetch, QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import routers, status, viewsets
from rest_framework import serializers as drf_serializers
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.access import CompanyScopedAPIMixin
from accounts.models import User
from ledger import invoicing, selectors, serializers, services
from ledger.exceptions import RecordInUse
from ledger.import_api import BankImportActions
from ledger.models import InvoiceLine

_COMPANY = OpenApiParameter("company_id", OpenApiTypes.INT, OpenApiParameter.PATH,
                            description="A company the caller belongs to (GET /api/v1/companies/)")
_ID = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH)
_SENDING = inline_serializer("InvoiceSending", {
    "id": drf_serializers.IntegerField(), "status": drf_serializers.CharField(),
    "queued": drf_serializers.BooleanField(help_text="False when the same send was just made (nothing sent twice)")})
_REFUSED = inline_serializer("InvoiceNotSendable", {"detail": drf_serializers.CharField()})
company_schema = extend_schema_view(
    list=extend_schema(parameters=[_COMPANY]),
    create=extend_schema(parameters=[_COMPANY]),
    **{action: extend_schema(parameters=[_COMPANY, _ID]) for action in ("retrieve", "update", "partial_update")},
    destroy=extend_schema(parameters=[_COMPANY, _ID], responses={
        204: None, 409: OpenApiResponse(description="Other records still refer to this one; remove those first.")}),
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

    @extend_schema(
        parameters=[_COMPANY, _ID], request=None, responses={202: _SENDING, 404: None, 409: _REFUSED},
        summary="Send to contact",
        description="Email the invoice with its PDF to its contact (the same service as the page's Send to contact "
                    "button). A draft becomes sent; sent and paid keep their status. A void invoice, or a contact "
                    "without an email address, answers 409. Sending again within a few seconds is the same send: "
                    "`queued` is false and nothing is sent twice.",
    )
    @action(detail=True, methods=["post"])
    def send(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        invoice = self.get_object()
        try:
            sending = invoicing.send_invoice(company=self.company, actor=cast(User, request.user), invoice=invoice)
        except invoicing.InvoiceNotSendable as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_409_CONFLICT)
        return Response({"id": invoice.pk, "status": sending.invoice.status, "queued": sending.queued},
                        status=status.HTTP_202_ACCEPTED)


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
