"""API of statement imports: ``POST …/bank-accounts/{id}/imports/`` and ``GET …/imports/{import_id}/``.

Without ``confirm`` the POST is a dry run: it answers the preview and stores nothing. With
``confirm=true`` it stores the upload and queues the import (202); the status route shows its
progress. A file that cannot be read, or rows with errors, answer 400 and store nothing.
"""

from __future__ import annotations

from typing import Any, cast

from django.db import transaction
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import Company, User
from ledger import imports
from ledger.imports import parsing
from ledger.imports.selectors import bank_import as one_import
from ledger.imports.uploads import too_big, use_statement_upload
from ledger.models import BankAccount, BankImport


class BankImportSerializer(serializers.ModelSerializer):
    class Meta:
        model = BankImport
        fields = ["id", "bank_account", "file_format", "status", "rows_total", "rows_done", "imported", "duplicates",
                  "first_date", "last_date", "error", "created_at", "confirmed_at", "started_at", "finished_at"]
        read_only_fields = fields


class UploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="The statement: CSV (columns detected from their names) or OFX.",
                                 allow_empty_file=True)
    encoding = serializers.ChoiceField(choices=list(parsing.ENCODINGS), default="auto", required=False,
                                       help_text="A CSV file's encoding; auto reads UTF-8 (or UTF-16 with its mark).")
    confirm = serializers.BooleanField(default=False, required=False,
                                       help_text="false: answer the preview, store nothing; true: import.")


_ROW = inline_serializer("BankImportPreviewRow", {
    "row": serializers.IntegerField(), "booked_on": serializers.DateField(),
    "amount": serializers.DecimalField(max_digits=14, decimal_places=2), "description": serializers.CharField(),
    "counterparty": serializers.CharField(), "duplicate": serializers.BooleanField()})
_PREVIEW = inline_serializer("BankImportPreview", {
    "file_format": serializers.CharField(), "rows_total": serializers.IntegerField(),
    "new": serializers.IntegerField(), "duplicates": serializers.IntegerField(),
    "first_date": serializers.DateField(allow_null=True), "last_date": serializers.DateField(allow_null=True),
    "total": serializers.DecimalField(max_digits=20, decimal_places=2),
    "errors": serializers.ListField(child=serializers.CharField()), "rows": _ROW})
_ERRORS = inline_serializer("BankImportErrors", {
    "file": serializers.ListField(child=serializers.CharField(), required=False),
    "errors": serializers.ListField(child=serializers.CharField(), required=False)})
_COMPANY = OpenApiParameter("company_id", OpenApiTypes.INT, OpenApiParameter.PATH)
_ID = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The bank account")
_IMPORT = OpenApiParameter("import_id", OpenApiTypes.INT, OpenApiParameter.PATH)


def _preview_data(shown: imports.Preview) -> dict[str, Any]:
    return {"file_format": shown.file_format, "rows_total": shown.rows_total, "new": shown.new,
            "duplicates": shown.duplicates, "first_date": shown.first_date, "last_date": shown.last_date,
            "total": f"{shown.total:.2f}", "errors": shown.errors,
            "rows": [{"row": c.entry.row, "booked_on": c.entry.booked_on, "amount": f"{c.entry.amount:.2f}",
                      "description": c.entry.description, "counterparty": c.entry.counterparty,
                      "duplicate": c.duplicate} for c in shown.rows]}


class BankImportActions:
    """Mixed into the bank account viewset: ``get_object`` is the caller's company's account or 404."""

    company: Company
    get_object: Any

    def initialize_request(self, request: Any, *args: Any, **kwargs: Any) -> Request:
        use_statement_upload(request)  # before anything reads the body: the upload stays in memory
        return super().initialize_request(request, *args, **kwargs)  # type: ignore[misc]

    @extend_schema(operation_id="bank_account_import_create", parameters=[_COMPANY, _ID],
                   request={"multipart/form-data": UploadSerializer},
                   responses={200: OpenApiResponse(_PREVIEW, description="Dry run (no confirm): the preview"),
                              202: OpenApiResponse(BankImportSerializer, description="Stored and queued"),
                              400: OpenApiResponse(_ERRORS, description="Unreadable file or rows with errors")})
    @action(detail=True, methods=["post"], url_path="imports", url_name="imports",
            parser_classes=[MultiPartParser, FormParser])
    def imports(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Upload a bank statement into this account: preview it, or import it with ``confirm=true``."""
        account = cast(BankAccount, self.get_object())
        upload = UploadSerializer(data=request.data)
        if too_big(request._request):
            return Response({"file": [parsing.too_big_message()]}, status=status.HTTP_400_BAD_REQUEST)
        upload.is_valid(raise_exception=True)
        data = upload.validated_data["file"].read()
        try:
            payload = imports.read_upload(bank_account=account, data=data, filename=upload.validated_data["file"].name,
                                          encoding=upload.validated_data["encoding"])
        except imports.StatementError as exc:
            return Response({"file": [str(exc)]}, status=status.HTTP_400_BAD_REQUEST)
        shown = imports.preview(company=self.company, bank_account=account, payload=payload)
        if shown.errors:
            return Response({"errors": shown.errors}, status=status.HTTP_400_BAD_REQUEST)
        if not upload.validated_data["confirm"] or not shown.new:
            return Response(_preview_data(shown))
        actor = cast(User, request.user)
        with transaction.atomic():
            bank_import = imports.upload_statement(company=self.company, actor=actor, bank_account=account, data=data,
                                                   filename=upload.validated_data["file"].name,
                                                   encoding=upload.validated_data["encoding"])
            imports.confirm_import(company=self.company, actor=actor, bank_import=bank_import)
        return Response(BankImportSerializer(bank_import).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(operation_id="bank_account_import_retrieve", parameters=[_COMPANY, _ID, _IMPORT],
                   request=None, responses={200: BankImportSerializer})
    @action(detail=True, methods=["get"], url_path=r"imports/(?P<import_id>\d+)", url_name="import-status")
    def import_status(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """One import's status and progress: rows done of rows total, imported, duplicates skipped."""
        account = cast(BankAccount, self.get_object())
        found = one_import(company=self.company).filter(bank_account=account, pk=int(kwargs["import_id"])).first()
        if found is None:
            return Response({"detail": "Not found."}, status=status.HTTP_404_NOT_FOUND)
        return Response(BankImportSerializer(found).data)
