"""Pages of bank statement imports: upload, preview (with the column mapping), progress and result.

Writes go through ``ledger.imports``; the upload stays in memory (``imports.uploads``).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_http_methods

from accounts.access import WRITER_ROLES, CompanyRequest, company_view
from ledger import imports, selectors
from ledger.imports import parsing
from ledger.imports import selectors as import_selectors
from ledger.imports.uploads import too_big, use_statement_upload
from ledger.models import BankImport
from ledger.resources import BY_SLUG, RESOURCES

ACCEPT = ".csv,.ofx,.qfx,.txt,text/csv,application/x-ofx"


class UploadForm(forms.Form):
    file = forms.FileField(label="Statement file", help_text="CSV or OFX, as your bank's online banking exports it.",
                           allow_empty_file=True,  # the reader says "The file is empty." like every other reason
                           widget=forms.ClearableFileInput(attrs={"accept": ACCEPT}))
    encoding = forms.ChoiceField(label="Encoding", choices=list(parsing.ENCODINGS.items()), initial="auto",
                                 help_text="Only for CSV files: change it if letters like é or ü come out wrong.")


class MappingForm(forms.Form):
    """Which column holds what: pre-filled with what was detected, changed by the owner."""

    date = forms.TypedChoiceField(label="Date", coerce=int, empty_value=None, required=False)
    amount = forms.TypedChoiceField(label="Amount", coerce=int, empty_value=None, required=False)
    debit = forms.TypedChoiceField(label="Money out (if a separate column)", coerce=int, empty_value=None,
                                   required=False)
    credit = forms.TypedChoiceField(label="Money in (if a separate column)", coerce=int, empty_value=None,
                                    required=False)
    description = forms.TypedChoiceField(label="Description", coerce=int, empty_value=None, required=False)
    counterparty = forms.TypedChoiceField(label="Counterparty (optional)", coerce=int, empty_value=None,
                                          required=False)
    date_format = forms.ChoiceField(label="Dates are written", choices=[(f, f) for f in parsing.DATE_FORMATS])
    decimal_mark = forms.ChoiceField(label="Amounts are written", choices=list(parsing.DECIMAL_MARKS.items()))

    def __init__(self, *args: Any, headers: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        columns = [("", "(none)")] + [(str(i), name or f"Column {i + 1}") for i, name in enumerate(headers)]
        for name in ("date", "amount", "debit", "credit", "description", "counterparty"):
            self.fields[name].choices = columns  # type: ignore[attr-defined]

    def mapping(self) -> imports.Mapping:
        return imports.Mapping(**self.cleaned_data)


def _context(request: CompanyRequest, **extra: Any) -> dict[str, Any]:
    return {"company": request.company, "membership": request.membership,
            "can_write": request.membership.role in WRITER_ROLES, "resources": RESOURCES,
            "resource": BY_SLUG["bank-accounts"], **extra}


@csrf_exempt  # checked by csrf_protect below, once the in-memory upload handler is in place
def bank_import_upload(request: HttpRequest, company_id: int, pk: int) -> HttpResponseBase:
    use_statement_upload(request)
    return _upload(request, company_id=company_id, pk=pk)


@csrf_protect
@company_view(roles=WRITER_ROLES)
@require_http_methods(["GET", "POST"])
def _upload(request: CompanyRequest, pk: int) -> HttpResponse:
    """Upload a statement into one bank account; the next page is its preview."""
    account = selectors.get_one(selectors.bank_accounts(company=request.company), pk)
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST":
        if too_big(request):  # the handler dropped the file: say why, not "This field is required."
            form.full_clean()
            form.errors["file"] = form.error_class([parsing.too_big_message()])
        elif form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                bank_import = imports.upload_statement(
                    company=request.company, actor=request.user, bank_account=account, data=upload.read(),
                    filename=upload.name or "", encoding=form.cleaned_data["encoding"])
            except imports.StatementError as exc:
                form.add_error("file", str(exc))
            else:
                return redirect("ledger:bank-import-detail", company_id=request.company.pk, import_id=bank_import.pk)
    recent = import_selectors.bank_imports(company=request.company, bank_account=account)[:5]
    return render(request, "ledger/bank_import_upload.html", _context(
        request, account=account, form=form, recent=recent, max_bytes=settings.LEDGER_IMPORT_MAX_BYTES,
        keep_hours=settings.LEDGER_IMPORT_KEEP_HOURS), status=400 if request.method == "POST" else 200)


@company_view()
@require_http_methods(["GET", "POST"])
def bank_import_detail(request: CompanyRequest, import_id: int) -> HttpResponse:
    """One upload: its preview and "Import N transactions", then its progress, then what it did."""
    bank_import = selectors.get_one(import_selectors.bank_import(company=request.company), import_id)
    mapping_form = None
    if request.method == "POST":
        if request.membership.role not in WRITER_ROLES:
            raise PermissionDenied
        response, mapping_form = _act(request, bank_import)
        if response is not None:
            return response
    shown = imports.import_preview(company=request.company, bank_import=bank_import) \
        if bank_import.status == BankImport.Status.PREVIEW else None
    if shown is not None and shown.mapping is not None and mapping_form is None:
        mapping_form = MappingForm(initial={k: ("" if v is None else str(v)) for k, v in shown.mapping.to_dict().items()},
                                   headers=shown.headers)
    return render(request, "ledger/bank_import_detail.html", _context(
        request, bank_import=bank_import, account=bank_import.bank_account, preview=shown, mapping_form=mapping_form,
        can_retry=imports.can_retry(bank_import), keep_hours=settings.LEDGER_IMPORT_KEEP_HOURS),
        status=400 if request.method == "POST" else 200)


def _act(request: CompanyRequest, bank_import: BankImport) -> tuple[HttpResponse | None, MappingForm | None]:
    """The preview page's buttons; a redirect when done, else the page again with what went wrong."""
    action, company, actor = request.POST.get("action"), request.company, request.user
    back = redirect("ledger:bank-import-detail", company_id=company.pk, import_id=bank_import.pk)
    try:
        if action == "mapping":
            payload_headers = (imports.import_preview(company=company, bank_import=bank_import)
                               if bank_import.status == BankImport.Status.PREVIEW else None)
            form = MappingForm(request.POST, headers=payload_headers.headers if payload_headers else [])
            if not form.is_valid():
                return None, form
            imports.change_mapping(company=company, actor=actor, bank_import=bank_import, mapping=form.mapping())
            return back, None
        if action == "confirm":
            imports.confirm_import(company=company, actor=actor, bank_import=bank_import)
            messages.success(request, "The import has started. This page shows its progress.")
        elif action == "retry":
            imports.retry_import(company=company, actor=actor, bank_import=bank_import)
            messages.success(request, "The import has started again.")
        elif action == "discard":
            imports.discard_import(company=company, actor=actor, bank_import=bank_import)
            messages.success(request, "The upload was discarded; its rows were deleted and nothing was imported.")
            return redirect("ledger:bank-accounts-detail", company_id=company.pk, pk=bank_import.bank_account_id), None
        else:
            messages.error(request, "Choose one of the buttons.")
    except imports.ImportNotReady as exc:
        for error in exc.errors:
            messages.error(request, error)
    return back, None
