"""Pages for the ledger, generated from ``resources.RESOURCES``; writes go through services."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Model
from django.forms import BaseFormSet, ModelForm
from django.http import Http404, HttpResponse, JsonResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.access import WRITER_ROLES, CompanyRequest, company_view
from ledger import invoice_pdf, invoicing, paging, selectors, services
from ledger.exceptions import RecordInUse
from ledger.filters import Finder
from ledger.forms import (
    BaseInvoiceLineFormSet,
    CompanyScopedModelForm,
    InvoiceLineFormSet,
    InvoiceLineRowsFormSet,
    invoice_line_currency_formats,
)
from ledger.models import BankConnection, Invoice
from ledger.resources import BY_SLUG, RESOURCES, Resource

PAGE_SIZE = 50
LOOKUP_SIZE = 20


def _resource(slug: str) -> Resource:
    try:
        return BY_SLUG[slug]
    except KeyError as exc:
        raise Http404 from exc


def _context(request: CompanyRequest, resource: Resource | None = None, **extra: Any) -> dict[str, Any]:
    return {"company": request.company, "membership": request.membership,
            "can_write": request.membership.role in WRITER_ROLES,
            "resources": RESOURCES, "resource": resource, **extra}


@company_view()
def company_home(request: CompanyRequest) -> HttpResponse:
    """Figures, not only links: what is owed and overdue, this month's money, balances, the latest items."""
    overview = selectors.company_overview(company=request.company, today=timezone.localdate())
    return render(request, "ledger/company_home.html", _context(request, overview=overview))


@company_view()
def record_list(request: CompanyRequest, slug: str) -> HttpResponse:
    """A list with its search, filters and sortable columns (``resource.finder``), paged by cursor.

    A bad filter value is shown on its field and ignored; an unknown sort or a stale cursor
    falls back to the default with a message (the API answers those with a 400).
    """
    resource = _resource(slug)
    finder = resource.finder(request.GET, queryset=resource.for_company(request.company), company=request.company)
    finder.form.is_valid()
    if "sort" in finder.form.errors:
        messages.info(request, "This list cannot be sorted that way; it is sorted as usual.")
    records = finder.qs
    raw_cursor = request.GET.get("cursor")
    try:
        cursor = paging.Cursor.decode(raw_cursor) if raw_cursor else None
        page = paging.keyset_page(records, order=finder.order, cursor=cursor, size=PAGE_SIZE)
    except (paging.InvalidCursor, paging.CursorGone):
        messages.info(request, "That page is no longer there; here is the first page.")
        page = paging.keyset_page(records, order=finder.order, cursor=None, size=PAGE_SIZE)
    count, capped = page.count, page.capped  # counted by the page's own query
    params = request.GET.copy()
    params.pop("cursor", None)
    filter_fields = [field for field in finder.form if field.name != "sort"]
    for field in filter_fields:
        if field.name == "search":
            field.field.widget.attrs["aria-describedby"] = "search-help"
    return render(request, "ledger/record_list.html", _context(
        request, resource, page=page, finder=finder, filter_fields=filter_fields,
        filtering=any(finder.form.cleaned_data.get(field.name) not in (None, "") for field in filter_fields),
        headers=_headers(resource, finder, params),
        count=f"More than {count:,} results" if capped else f"{count:,} result{'' if count == 1 else 's'}",
        next_url=_with(params, cursor=page.next), previous_url=_with(params, cursor=page.previous),
        sort_value="" if finder.sort == finder.default_sort else finder.sort,
    ))


def _with(params: QueryDict, *, cursor: paging.Cursor | None = None, sort: str | None = None) -> str:
    changed = params.copy()
    if sort is not None:
        changed["sort"] = sort
    if cursor is not None:
        changed["cursor"] = cursor.encode()
    return f"?{changed.urlencode()}"


def _headers(resource: Resource, finder: Finder, params: QueryDict) -> list[dict[str, Any]]:
    """Each column's header: a link that sorts by it (the other way when it is the current sort)."""
    by_column = {key.column: name for name, key in finder.sorts.items() if key.column}
    current = finder.sort
    headers = []
    for label, path in resource.columns:
        name = by_column.get(path)
        header: dict[str, Any] = {"label": label, "numeric": path in resource.numeric, "url": None, "sort": None}
        if name is not None:
            header["sort"] = {name: "ascending", f"-{name}": "descending"}.get(current)
            header["url"] = _with(params, sort=f"-{name}" if current == name else name)
        headers.append(header)
    return headers


@company_view()
def contact_lookup(request: CompanyRequest) -> JsonResponse:
    """The contact picker's source: at most 20 of this company's contacts matching ``q``, by name."""
    found = selectors.contact_lookup(company=request.company, term=request.GET.get("q", ""), limit=LOOKUP_SIZE)
    response = JsonResponse({"results": [{"id": pk, "name": name} for pk, name in found]})
    response["Cache-Control"] = "no-store"
    return response


@company_view()
def record_detail(request: CompanyRequest, slug: str, pk: int) -> HttpResponse:
    resource = _resource(slug)
    record = selectors.get_one(resource.for_company(request.company), pk)
    return render(request, "ledger/record_detail.html", _context(request, resource, record=record))


def _lines_formset(request: CompanyRequest, invoice: Invoice | None) -> BaseFormSet:
    initial = None
    if invoice is not None:
        initial = [{"description": line.description, "quantity": line.quantity, "unit_price": line.unit_price}
                   for line in invoice.lines.all()]
    return InvoiceLineFormSet(request.POST or None, initial=initial, prefix="lines")


LINE_ADD, LINE_REMOVE = "lines-add", "lines-remove"


def _changed_lines(request: CompanyRequest, resource: Resource, record: Any,
                   lines: BaseInvoiceLineFormSet) -> tuple[CompanyScopedModelForm, BaseFormSet] | None:
    """"Add line" or "Remove" pressed without JavaScript: the same form again, one row more or less, unsaved."""
    if request.method != "POST" or not ({LINE_ADD, LINE_REMOVE} & request.POST.keys()):
        return None
    rows = lines.posted_rows()
    if LINE_ADD in request.POST:
        if len(rows) < lines.max_num:
            rows.append(dict.fromkeys(BaseInvoiceLineFormSet.LINE_FIELDS, ""))
    else:
        index = request.POST.get(LINE_REMOVE, "")
        if index.isdigit() and int(index) < len(rows):
            del rows[int(index)]
    typed = {name: request.POST.get(name) for name in resource.form_class.base_fields if name in request.POST}
    form = resource.form_class(initial=typed, instance=record, company=request.company)
    return form, InvoiceLineRowsFormSet(initial=rows, prefix="lines")


def _lines_context(form: ModelForm) -> dict[str, Any]:
    """The currency the line amounts and the running total show in, and every currency's format for the script."""
    formats = invoice_line_currency_formats()
    currency = str(form["currency"].value() or "")
    return {"line_currency": currency if currency in formats else "USD", "line_formats": formats}


def _save(request: CompanyRequest, resource: Resource, form: ModelForm, lines: BaseFormSet | None,
          record: Any) -> Model:
    company, actor, data = request.company, request.user, form.cleaned_data
    if resource.model is Invoice:
        line_data = [line for line in (lines.cleaned_data if lines else []) if line.get("description")]
        return services.save_invoice(company=company, actor=actor, invoice=record, fields=data, lines=line_data)
    if resource.model is BankConnection:
        if record is None:
            return services.connect_bank(company=company, actor=actor, bank_account_id=data["bank_account"].pk,
                                         provider=data["provider"], login_name=data["login_name"],
                                         credentials=data["credentials"])
        return services.update_bank_connection(company=company, actor=actor, connection=record, fields=data)
    if record is None:
        return services.create_record(company=company, model=resource.model, actor=actor, fields=data)
    return services.update_record(company=company, record=record, actor=actor, fields=data)


def _edit(request: CompanyRequest, resource: Resource, record: Any) -> HttpResponse:
    form = resource.form_class(request.POST or None, instance=record, company=request.company)
    lines = _lines_formset(request, record) if resource.model is Invoice else None
    changed = _changed_lines(request, resource, record, lines) if isinstance(lines, BaseInvoiceLineFormSet) else None
    if changed is not None:
        form, lines = changed
    elif request.method == "POST" and form.is_valid() and (lines is None or lines.is_valid()):
        try:
            saved = _save(request, resource, form, lines, record)
        except ValidationError as exc:
            _attach_errors(form, exc)
        else:
            messages.success(request, f"The {resource.singular} was saved.")
            return redirect(f"ledger:{resource.slug}-detail", company_id=request.company.pk, pk=saved.pk)
    status = 400 if request.method == "POST" and changed is None else 200
    extra = _lines_context(form) if lines is not None else {}
    return render(request, "ledger/record_form.html", _context(request, resource, form=form, lines=lines,
                                                                record=record, **extra), status=status)


def _attach_errors(form: ModelForm, exc: ValidationError) -> None:
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    for field, errors in exc.message_dict.items():
        form.add_error(field if field in form.fields else None, errors)


@company_view(roles=WRITER_ROLES)
@require_http_methods(["GET", "POST"])
def record_create(request: CompanyRequest, slug: str) -> HttpResponse:
    return _edit(request, _resource(slug), None)


@company_view(roles=WRITER_ROLES)
@require_http_methods(["GET", "POST"])
def record_edit(request: CompanyRequest, slug: str, pk: int) -> HttpResponse:
    resource = _resource(slug)
    return _edit(request, resource, selectors.get_one(resource.for_company(request.company), pk))


@company_view(roles=WRITER_ROLES)
@require_http_methods(["GET", "POST"])
def record_delete(request: CompanyRequest, slug: str, pk: int) -> HttpResponse:
    resource = _resource(slug)
    record = selectors.get_one(resource.for_company(request.company), pk)
    if request.method == "POST":
        try:
            services.delete_record(company=request.company, record=record, actor=request.user)
        except RecordInUse:
            messages.error(request, f"This {resource.singular} is still used by other records; remove those first.")
            return redirect(f"ledger:{resource.slug}-detail", company_id=request.company.pk, pk=record.pk)
        messages.success(request, f"The {resource.singular} was deleted.")
        return redirect(f"ledger:{resource.slug}-list", company_id=request.company.pk)
    return render(request, "ledger/record_delete.html", _context(request, resource, record=record))


@company_view(roles=WRITER_ROLES)
@require_POST
def bank_connection_disconnect(request: CompanyRequest, pk: int) -> HttpResponse:
    connection = selectors.get_one(selectors.bank_connections(company=request.company), pk)
    services.disconnect_bank(company=request.company, actor=request.user, connection=connection)
    messages.success(request, "Disconnected. The stored credentials were deleted.")
    return redirect("ledger:bank-connections-detail", company_id=request.company.pk, pk=pk)


# --- one invoice: print view, PDF, send to contact (issue 14) ----------------------------------------

@company_view()
@require_GET
def invoice_print(request: CompanyRequest, slug: str, pk: int) -> HttpResponse:
    """The invoice as its contact reads it, with print CSS; the contact's address opened for this page only."""
    document = invoice_pdf.invoice_document(company=request.company, pk=pk)
    return render(request, "ledger/invoice_print.html",
                  _context(request, _resource(slug), document=document, record=document.invoice))


@company_view()
@require_GET
def invoice_pdf_download(request: CompanyRequest, slug: str, pk: int) -> HttpResponse:
    document = invoice_pdf.invoice_document(company=request.company, pk=pk)
    response = HttpResponse(invoice_pdf.render_pdf(document), content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(True, invoice_pdf.pdf_filename(document.invoice.number))
    return response


@company_view(roles=WRITER_ROLES)
@require_http_methods(["GET", "POST"])
def invoice_send(request: CompanyRequest, slug: str, pk: int) -> HttpResponse:
    """GET: whom it goes to (by name; no address on the page). POST: send, once however often clicked."""
    resource = _resource(slug)
    invoice = selectors.get_one(resource.for_company(request.company), pk)
    if request.method == "POST":
        try:
            sending = invoicing.send_invoice(company=request.company, actor=request.user, invoice=invoice)
        except invoicing.InvoiceNotSendable as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, f"Invoice {invoice.number} is on its way to its contact, with its PDF attached."
                             if sending.queued else f"Invoice {invoice.number} was sent a moment ago; not sent twice.")
        return redirect("ledger:invoices-detail", company_id=request.company.pk, pk=invoice.pk)
    return render(request, "ledger/invoice_send.html", _context(
        request, resource, record=invoice, has_email=invoicing.contact_has_email(company=request.company,
                                                                                 invoice=invoice)))
