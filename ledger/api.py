"""REST API for the ledger under /api/v1/companies/{company_id}/…; writes go through services.

Lists take the parameters of their finder (``ledger/filters.py``: search, filters, ``sort``) and
page by cursor (``ledger/paging.py``): ``next`` and ``previous`` are links, ``count`` stops at
10,000 (``count_capped`` says so). A parameter a list does not know is a 400, not ignored.
"""

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
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import BasePagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.access import CompanyScopedAPIMixin
from accounts.models import User
from ledger import filters, invoicing, paging, selectors, serializers, services
from ledger.exceptions import RecordInUse
from ledger.import_api import BankImportActions
from ledger.models import BankAccount, BankConnection, BankTransaction, Contact, Invoice, InvoiceLine

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


class KeysetPagination(BasePagination):
    """Cursor pages in the finder's sort (``ledger/paging.py``); the response keeps count/next/previous/results."""

    page_size = 25
    max_page_size = 200

    def paginate_queryset(self, queryset: Any, request: Request, view: APIView | None = None) -> list[Any]:
        self.request = request
        size = self._page_size(request)
        raw = request.query_params.get("cursor")
        try:
            cursor = paging.Cursor.decode(raw) if raw else None
            page = paging.keyset_page(queryset, order=cast(paging.Order, view.order),  # type: ignore[union-attr]
                                      cursor=cursor, size=size)
        except paging.InvalidCursor as exc:
            raise ValidationError({"cursor": ["Not a cursor of this list: follow the next and previous links."]}) \
                from exc
        except paging.CursorGone as exc:
            raise ValidationError({"cursor": ["The record this page started from is no longer in the list; "
                                              "start again from the first page."]}) from exc
        self.page = page
        self.count, self.capped = page.count, page.capped  # counted by the page's own query
        return page.rows

    def _page_size(self, request: Request) -> int:
        raw = request.query_params.get("page_size")
        if raw is None:
            return self.page_size
        if not raw.isdigit() or not 1 <= int(raw) <= self.max_page_size:
            raise ValidationError({"page_size": [f"A whole number from 1 to {self.max_page_size}."]})
        return int(raw)

    def _link(self, cursor: paging.Cursor | None) -> str | None:
        if cursor is None:
            return None
        params = self.request.query_params.copy()
        params["cursor"] = cursor.encode()
        return self.request.build_absolute_uri(f"{self.request.path}?{params.urlencode()}")

    def get_paginated_response(self, data: Any) -> Response:
        return Response({"count": self.count, "count_capped": self.capped, "next": self._link(self.page.next),
                         "previous": self._link(self.page.previous), "results": data})

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        return {
            "type": "object", "required": ["count", "count_capped", "next", "previous", "results"],
            "properties": {
                "count": {"type": "integer", "example": 123,
                          "description": f"Matching records, counted up to {paging.COUNT_CAP:,}."},
                "count_capped": {"type": "boolean",
                                 "description": f"True when more than {paging.COUNT_CAP:,} match (count stops there)."},
                "next": {"type": "string", "nullable": True, "format": "uri",
                         "description": "The next page (same parameters, a cursor); null on the last page."},
                "previous": {"type": "string", "nullable": True, "format": "uri",
                             "description": "The page before; null on the first page."},
                "results": schema,
            },
        }

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        return [
            {"name": "cursor", "in": "query", "required": False, "schema": {"type": "string"},
             "description": "Opaque: take it from a response's next or previous link. Deep pages cost what the "
                            "first does."},
            {"name": "page_size", "in": "query", "required": False,
             "schema": {"type": "integer", "minimum": 1, "maximum": self.max_page_size, "default": self.page_size},
             "description": "Records per page."},
        ]


class TenantViewSet(CompanyScopedAPIMixin, viewsets.ModelViewSet):
    """A ledger resource of one company. Another company's record answers 404."""

    http_method_names = ["get", "post", "put", "patch", "delete", "head", "options"]
    lookup_value_regex = r"\d+"
    pagination_class = KeysetPagination
    filter_backends = [filters.FinderBackend]
    finder_class: type[filters.Finder]
    order: paging.Order  # a list's order, chosen by filters.FinderBackend

    def records(self) -> QuerySet:
        raise NotImplementedError

    def get_queryset(self) -> QuerySet:
        return self.records()

    def filter_queryset(self, queryset: QuerySet) -> QuerySet:
        """Lists only: a record's own URL is not narrowed by list parameters."""
        return super().filter_queryset(queryset) if self.action == "list" else queryset

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
    queryset = Contact.objects.none()  # for the schema only: records() scopes to the company
    finder_class = filters.ContactFinder
    serializer_class = serializers.ContactSerializer

    def records(self) -> QuerySet:
        return selectors.contacts(company=self.company)


@company_schema
class InvoiceViewSet(TenantViewSet):
    queryset = Invoice.objects.none()  # for the schema only: records() scopes to the company
    finder_class = filters.InvoiceFinder
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
    queryset = BankAccount.objects.none()  # for the schema only: records() scopes to the company
    finder_class = filters.BankAccountFinder
    serializer_class = serializers.BankAccountSerializer

    def records(self) -> QuerySet:
        return selectors.bank_accounts(company=self.company)


@company_schema
class BankConnectionViewSet(TenantViewSet):
    queryset = BankConnection.objects.none()  # for the schema only: records() scopes to the company
    finder_class = filters.BankConnectionFinder
    serializer_class = serializers.BankConnectionSerializer

    def records(self) -> QuerySet:
        return selectors.bank_connections(company=self.company)


@company_schema
class BankTransactionViewSet(TenantViewSet):
    queryset = BankTransaction.objects.none()  # for the schema only: records() scopes to the company
    finder_class = filters.BankTransactionFinder
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
