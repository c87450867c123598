"""Issue 14, invoices as owners expect: lines added and removed in place (and without JavaScript), each line's
amount and a running total, a print view and a PDF, and Send to contact by email with the PDF attached."""

from __future__ import annotations

import io
import json
import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from email import policy as email_policy
from email.parser import BytesParser
from html import unescape
from pathlib import Path

import pytest
from django.core import mail
from django.db import transaction
from django.test import override_settings
from django.utils import timezone
from django.utils.html import escape
from knox.models import AuthToken
from pypdf import PdfReader

from accounts import outbox
from accounts.emails import COMPANY_HEADER
from accounts.mail import list_mail_files
from accounts.models import AuditEvent, Company, OutboxMessage
from accounts.tenancy import tenant_context
from ledger import invoicing, services
from ledger.models import Contact, Invoice

pytestmark = pytest.mark.django_db

NOW = datetime(2031, 3, 12, 9, 30, tzinfo=UTC)
NAME = 'Zoë O\'Brien & "Straße" Studio'
ADDRESS = "12 Rue de l'Église\n8001 Zürich"
EMAIL = "zoe@client.example"
TOTAL = "$1,234.50"  # 2.5 × 493.80


@pytest.fixture(autouse=True)
def _pinned_clock(monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: NOW)


@pytest.fixture
def alice_client(acme, client):
    client.force_login(acme.owner)
    return client


def _invoice(tenant, *, number="2031-0042", status="draft", currency="USD", email=EMAIL, lines=None) -> Invoice:
    outbox.sweep()  # the sign-ups' welcome emails go first: each test then counts only its own
    mail.outbox.clear()
    with tenant_context(tenant.company.pk):
        contact = services.create_record(company=tenant.company, model=Contact, actor=tenant.owner,
                                         fields={"name": NAME, "email": email, "address": ADDRESS})
        return services.save_invoice(
            company=tenant.company, actor=tenant.owner, invoice=None,
            fields={"contact": contact, "number": number, "issue_date": date(2031, 3, 10),
                    "due_date": date(2031, 4, 9), "status": status, "currency": currency,
                    "notes": "Thank you & see you soon"},
            lines=lines or [{"description": "Café & croissants", "quantity": Decimal("2.5"),
                             "unit_price": Decimal("493.80")}])


def _url(invoice: Invoice, action: str, company_id: int | None = None) -> str:
    return f"/c/{company_id or invoice.company_id}/invoices/{invoice.pk}/{action}"


def _form_data(tenant, rows: list[tuple[str, str, str]], **extra: str) -> dict[str, str]:
    data = {"contact": str(tenant.contact.pk), "number": "L-1", "issue_date": "2031-03-10", "status": "draft",
            "currency": "USD", "lines-TOTAL_FORMS": str(len(rows)), "lines-INITIAL_FORMS": "0",
            "lines-MIN_NUM_FORMS": "0", "lines-MAX_NUM_FORMS": "200"}
    for i, (description, quantity, unit_price) in enumerate(rows):
        data |= {f"lines-{i}-description": description, f"lines-{i}-quantity": quantity,
                 f"lines-{i}-unit_price": unit_price}
    return data | extra


def _rows(html: str) -> list[tuple[str, str, str]]:
    """The line rows a page renders (the empty template row aside), as (description, quantity, unit price)."""
    html = html.split("<template", 1)[0]
    found = []
    for i in range(int(re.search(r'name="lines-TOTAL_FORMS" value="(\d+)"', html).group(1))):
        values = []
        for name in ("description", "quantity", "unit_price"):
            tag = re.search(rf'<input[^>]*name="lines-{i}-{name}"[^>]*>', html).group(0)
            value = re.search(r'value="([^"]*)"', tag)
            values.append(unescape(value.group(1)) if value else "")
        found.append(tuple(values))
    return found


def _pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def _sent(tenant) -> list[OutboxMessage]:
    return list(OutboxMessage.objects.filter(handler=invoicing.EMAIL_HANDLER, payload__company_id=tenant.company.pk))


def _audit(invoice: Invoice) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(event=AuditEvent.Event.INVOICE_SENT, subject_id=invoice.pk,
                                          subject_type="ledger.Invoice"))


# --- lines: add and remove, amounts, running total --------------------------------------------------

def test_add_line_without_javascript_shows_the_same_form_with_one_more_empty_row(acme, alice_client):
    data = _form_data(acme, [("Design", "2", "100"), ("Print", "1", "")], **{"lines-add": "1"})
    response = alice_client.post(f"/c/{acme.company.pk}/invoices/new/", data)
    assert response.status_code == 200
    html = response.content.decode()
    assert _rows(html) == [("Design", "2", "100"), ("Print", "1", ""), ("", "", "")]
    assert 'value="L-1"' in html  # the invoice's own fields as typed
    assert "This field is required" not in html and "Fill in description" not in html  # nothing was validated
    with tenant_context(acme.company.pk):
        assert not Invoice.objects.filter(number="L-1").exists()


def test_remove_without_javascript_drops_that_row_and_renumbers_the_rest(acme, alice_client):
    data = _form_data(acme, [("A", "1", "1"), ("B", "2", "2"), ("C", "3", "3")], **{"lines-remove": "1"})
    response = alice_client.post(f"/c/{acme.company.pk}/invoices/new/", data)
    assert response.status_code == 200
    assert _rows(response.content.decode()) == [("A", "1", "1"), ("C", "3", "3")]
    with tenant_context(acme.company.pk):
        assert not Invoice.objects.filter(number="L-1").exists()


def test_saving_after_rows_were_removed_keeps_only_the_remaining_lines(acme, alice_client):
    """A row removed in place leaves the formset with fewer rows: the invoice's lines are replaced by those."""
    invoice = _invoice(acme, lines=[{"description": d, "quantity": Decimal("1"), "unit_price": Decimal("10")}
                                    for d in ("Keep", "Drop", "Also keep")])
    data = _form_data(acme, [("Keep", "1", "10.00"), ("Also keep", "3", "10.00")], number=invoice.number,
                      **{"lines-INITIAL_FORMS": "3"})
    response = alice_client.post(_url(invoice, "edit/"), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    with tenant_context(acme.company.pk):
        assert [(line.description, line.amount) for line in invoice.lines.all()] == [
            ("Keep", Decimal("10.00")), ("Also keep", Decimal("30.00"))]


def test_each_line_shows_its_amount_and_the_running_total_in_the_invoices_currency(acme, alice_client):
    invoice = _invoice(acme, currency="EUR", lines=[
        {"description": "Design", "quantity": Decimal("2.5"), "unit_price": Decimal("493.80")},
        {"description": "Hosting", "quantity": Decimal("12"), "unit_price": Decimal("10.05")}])
    html = alice_client.get(_url(invoice, "edit/")).content.decode()
    amounts = re.findall(r"<output data-line-amount[^>]*>([^<]*)</output>", html.split("<template", 1)[0])
    assert amounts == ["€1,234.50", "€120.60", "", "", ""]  # the invoice's two lines, then three empty ones
    total = re.search(r'<p class="lines-total" aria-live="polite"[^>]*>Total <output data-lines-total>([^<]*)<', html)
    assert total.group(1) == "€1,355.10"
    formats = json.loads(re.search(r'<script id="line-currency-formats" type="application/json">(.*?)</script>',
                                   html).group(1))
    assert formats["EUR"] == ["€", 2] and formats["JPY"] == ["¥", 0] and formats["BHD"] == ["BHD", 3]


def test_a_posted_form_with_errors_keeps_the_amounts_as_typed(acme, alice_client):
    data = _form_data(acme, [("Design", "3", "19.99"), ("Half", "1", "")], currency="JPY")
    response = alice_client.post(f"/c/{acme.company.pk}/invoices/new/", data)
    assert response.status_code == 400
    html = response.content.decode()
    assert "Fill in description, quantity and unit price" in html
    assert re.findall(r"<output data-line-amount[^>]*>([^<]*)</output>", html.split("<template", 1)[0]) == ["¥60", ""]


def test_every_line_input_and_the_template_row_have_a_label(acme, alice_client):
    html = alice_client.get(f"/c/{acme.company.pk}/invoices/new/").content.decode()
    ids = re.findall(r'<input[^>]*id="(id_lines-(?:\d+|__prefix__)-[^"]+)"', html)
    assert len(ids) == 3 * 4  # three empty rows and the template row
    labels = set(re.findall(r'<label[^>]*for="([^"]+)"', html))
    assert set(ids) <= labels
    assert re.findall(r"Line 2: (description|quantity|unit price)", html) == ["description", "quantity", "unit price"]
    assert 'data-line-add' in html and html.count("data-line-remove") == 4


def test_more_than_200_lines_are_refused(acme, alice_client):
    rows = [(f"Line {n}", "1", "1") for n in range(201)]
    response = alice_client.post(f"/c/{acme.company.pk}/invoices/new/", _form_data(acme, rows))
    assert response.status_code == 400
    assert "Please submit at most 200 forms." in response.content.decode()
    full = alice_client.post(f"/c/{acme.company.pk}/invoices/new/",
                             _form_data(acme, rows[:200], **{"lines-add": "1"}))
    assert len(_rows(full.content.decode())) == 200  # "Add line" adds no 201st row
    assert b"data-line-add disabled" in full.content


def test_200_lines_are_saved(acme, alice_client):
    rows = [(f"Line {n}", "1", "1.25") for n in range(200)]
    response = alice_client.post(f"/c/{acme.company.pk}/invoices/new/", _form_data(acme, rows))
    assert response.status_code == 302
    with tenant_context(acme.company.pk):
        assert Invoice.objects.get(number="L-1").lines.count() == 200


# --- print view and PDF ----------------------------------------------------------------------------

def test_print_page_shows_company_contact_address_number_dates_lines_total_and_currency(acme, alice_client):
    invoice = _invoice(acme)
    response = alice_client.get(_url(invoice, "print/"))
    assert response.status_code == 200
    html = response.content.decode()
    for text in ("Acme", escape(NAME), escape("12 Rue de l'Église") + "<br>8001 Zürich", "2031-0042", "10 Mar 2031",
                 "9 Apr 2031", escape("Café & croissants"), "2.5", "$493.80", TOTAL, "USD · US Dollar",
                 escape("Thank you & see you soon")):
        assert text in html, text
    assert "data-print hidden>Print</button>" in html and "invoice_print.js" in html
    assert "@media print" in (Path(__file__).parents[2] / "softhelpers/static/invoice.css").read_text()
    assert EMAIL not in html  # only the address is opened for the sheet
    assert "no-store" in response["Cache-Control"]  # MOB-1: the sheet holds PI


def test_pdf_is_an_attachment_named_from_the_number_holding_number_names_and_total(acme, alice_client):
    invoice = _invoice(acme, number="2031/Zoë 7")
    response = alice_client.get(_url(invoice, "pdf/"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="invoice-2031-Zoe-7.pdf"'
    text = _pdf_text(response.content)
    for expected in ("2031/Zoë 7", TOTAL, NAME, "12 Rue de l'Église", "8001 Zürich", "Café & croissants",
                     "$493.80", "10 Mar 2031", "9 Apr 2031", "USD · US Dollar", "Acme"):
        assert expected in text, expected
    assert EMAIL not in text


def test_pdf_of_many_lines_runs_over_pages_and_shows_other_currencies_as_money_py_does(acme, alice_client):
    lines = [{"description": f"Item {n}", "quantity": Decimal("1"), "unit_price": Decimal("1250")} for n in range(80)]
    invoice = _invoice(acme, currency="JPY", lines=lines)
    reader = PdfReader(io.BytesIO(alice_client.get(_url(invoice, "pdf/")).content))
    assert len(reader.pages) >= 2
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert "¥1,250" in text and "¥100,000" in text and "Item 79" in text and f"Page 1 of {len(reader.pages)}" in text


def test_a_name_the_font_cannot_draw_prints_as_question_marks_and_logs_nothing(acme, alice_client, caplog):
    with tenant_context(acme.company.pk):
        Contact.objects.filter(pk=acme.contact.pk).update(name="山田 Taro")
    caplog.set_level("DEBUG")
    response = alice_client.get(_url(acme.invoice, "pdf/"))
    assert "?? Taro" in _pdf_text(response.content)
    assert "山田" not in caplog.text and "Taro" not in caplog.text and "glyph" not in caplog.text.lower()


def test_the_detail_page_links_print_and_pdf_and_offers_send_to_the_contact_by_name(acme, alice_client):
    invoice = _invoice(acme)
    html = alice_client.get(_url(invoice, "")).content.decode()
    assert f'href="{_url(invoice, "print/")}">Print view</a>' in html
    assert f'href="{_url(invoice, "pdf/")}">Download PDF</a>' in html
    assert f'action="{_url(invoice, "send/")}"' in html and "Send to contact</button>" in html
    assert f"with its PDF to <strong>{escape(NAME)}</strong>" in html
    assert EMAIL not in html


def test_other_record_types_keep_their_plain_detail_page(acme, alice_client):
    html = alice_client.get(f"/c/{acme.company.pk}/contacts/{acme.contact.pk}/").content.decode()
    assert "Send to contact" not in html and "Print view" not in html and ">Edit</a>" in html


@pytest.mark.policy("SAF-3")
def test_guest_may_print_and_download_but_not_send(acme, guest, client):
    invoice = _invoice(acme)
    client.force_login(guest)
    assert client.get(_url(invoice, "print/")).status_code == 200
    assert client.get(_url(invoice, "pdf/")).status_code == 200
    assert "Send to contact" not in client.get(_url(invoice, "")).content.decode()
    assert client.get(_url(invoice, "send/")).status_code == 403
    assert client.post(_url(invoice, "send/")).status_code == 403
    assert _sent(acme) == [] and _audit(invoice) == []
    with tenant_context(acme.company.pk):
        assert Invoice.objects.get(pk=invoice.pk).status == Invoice.Status.DRAFT


@pytest.mark.policy("RET-2")
@pytest.mark.policy("SAF-3")
def test_another_companys_invoice_answers_404_on_print_pdf_and_send(acme, globex, alice_client):
    theirs = _invoice(globex, number="G-1")
    for action in ("print/", "pdf/", "send/"):
        for company_id in (acme.company.pk, globex.company.pk):
            assert alice_client.get(_url(theirs, action, company_id)).status_code == 404, (action, company_id)
        assert alice_client.post(_url(theirs, "send/", acme.company.pk)).status_code == 404
    assert _sent(globex) == [] and _audit(theirs) == []
    with tenant_context(globex.company.pk):
        assert Invoice.objects.get(pk=theirs.pk).status == Invoice.Status.DRAFT


def test_print_and_pdf_need_a_login(acme, client):
    for action in ("print/", "pdf/"):
        response = client.get(_url(acme.invoice, action))
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


# --- send to contact --------------------------------------------------------------------------------

def test_the_send_page_names_the_recipient_not_their_address(acme, alice_client):
    invoice = _invoice(acme)
    html = alice_client.get(_url(invoice, "send/")).content.decode()
    assert f"to <strong>{escape(NAME)}</strong>, with its PDF attached" in html and TOTAL in html
    assert "Send to contact</button>" in html and "marked Sent" in html
    assert EMAIL not in html


def test_send_writes_the_outbox_row_marks_it_sent_audits_and_delivery_emails_the_pdf(acme, alice_client):
    invoice = _invoice(acme)
    response = alice_client.post(_url(invoice, "send/"), follow=True)
    assert "Invoice 2031-0042 is on its way to its contact" in response.content.decode()
    (message,) = _sent(acme)
    assert message.payload == {"company_id": acme.company.pk, "invoice_id": invoice.pk}  # ids only
    assert mail.outbox == []  # sent by the outbox, after commit
    with tenant_context(acme.company.pk):
        assert Invoice.objects.get(pk=invoice.pk).status == Invoice.Status.SENT
    (event,) = _audit(invoice)
    assert (event.company_id, event.actor_id, event.data, event.created_at) == (
        acme.company.pk, acme.owner.pk, {"again": False}, NOW)
    row = json.dumps([event.subject_type, event.data, event.event], ensure_ascii=False)
    assert "Zoë" not in row and EMAIL not in row

    assert outbox.sweep() == 1
    (email,) = mail.outbox
    assert email.to == [EMAIL]
    assert email.subject == "Invoice 2031-0042 from Acme"
    (attachment,) = email.attachments
    assert attachment[0] == "invoice-2031-0042.pdf" and attachment[2] == "application/pdf"
    assert "2031-0042" in _pdf_text(attachment[1]) and TOTAL in _pdf_text(attachment[1])
    assert email.extra_headers[COMPANY_HEADER] == str(acme.company.pk)  # the purge finds local copies by it
    assert outbox.sweep() == 0 and len(mail.outbox) == 1  # run once


def test_the_email_reads_names_as_written_and_money_as_money_py_shows_it(acme):
    invoice = _invoice(acme, currency="JPY", lines=[
        {"description": 'Tea "sencha" & cups', "quantity": Decimal("3"), "unit_price": Decimal("1250")}])
    Company.objects.filter(pk=acme.company.pk).update(name='Ada\'s "Bakery" & Co')
    company = Company.objects.get(pk=acme.company.pk)
    invoicing.send_invoice(company=company, actor=acme.owner, invoice=invoice)
    outbox.sweep()
    (email,) = mail.outbox
    text = email.body
    html = email.alternatives[0][0]
    assert email.subject == 'Invoice 2031-0042 from Ada\'s "Bakery" & Co'
    assert f"Hello {NAME}," in text and 'Ada\'s "Bakery" & Co sends you invoice 2031-0042.' in text
    assert "Total: ¥3,750" in text and "Issued: 10 Mar 2031" in text and "Due: 9 Apr 2031" in text
    assert '- Tea "sencha" & cups: 3 x ¥1,250 = ¥3,750' in text
    assert "&#x27;" not in text and "&amp;" not in text and "&quot;" not in text
    assert escape(NAME) in html and escape('Ada\'s "Bakery" & Co') in html and "¥3,750" in html


def test_the_email_goes_to_the_address_the_contact_has_when_it_is_sent(acme):
    invoice = _invoice(acme)
    invoicing.send_invoice(company=acme.company, actor=acme.owner, invoice=invoice)
    with tenant_context(acme.company.pk):
        contact = Contact.objects.get(pk=invoice.contact_id)
        services.update_record(company=acme.company, record=contact, actor=acme.owner,
                               fields={"email": "accounts@zoe.example"})
    outbox.sweep()
    assert [m.to for m in mail.outbox] == [["accounts@zoe.example"]]


@pytest.mark.policy("RET-2")
def test_the_contacts_email_is_opened_only_by_the_delivery(acme, monkeypatch):
    from privacy import fields

    invoice = _invoice(acme)
    opened: list[tuple[str, str]] = []
    real = fields._SealedAttribute.open_values  # every read of a sealed attribute opens through here
    monkeypatch.setattr(fields._SealedAttribute, "open_values", lambda self, values, company_id: opened.extend(
        [(self.label, self.field.name)] * len(values)) or real(self, values, company_id))
    invoicing.send_invoice(company=acme.company, actor=acme.owner, invoice=invoice)
    assert ("ledger.Contact", "email") not in opened
    outbox.sweep()
    assert opened.count(("ledger.Contact", "email")) == 1 and len(mail.outbox) == 1


def test_the_local_mailbox_gets_the_eml_with_the_pdf(acme, tmp_path):
    invoice = _invoice(acme)
    with override_settings(EMAIL_BACKEND="accounts.mail.EmlFileBackend", MAIL_DIR=tmp_path / "mail"):
        invoicing.send_invoice(company=acme.company, actor=acme.owner, invoice=invoice)
        outbox.sweep()
        (path,) = list_mail_files()
    message = BytesParser(policy=email_policy.default).parsebytes(path.read_bytes())
    assert message["To"] == EMAIL and message[COMPANY_HEADER] == str(acme.company.pk)
    (attachment,) = list(message.iter_attachments())
    assert attachment.get_filename() == "invoice-2031-0042.pdf"
    assert TOTAL in _pdf_text(attachment.get_content())


def test_a_rolled_back_request_sends_nothing(acme):
    invoice = _invoice(acme)
    with pytest.raises(RuntimeError), transaction.atomic():
        invoicing.send_invoice(company=acme.company, actor=acme.owner, invoice=invoice)
        raise RuntimeError("the request failed after the service ran")
    assert _sent(acme) == [] and _audit(invoice) == []
    assert outbox.sweep() == 0 and mail.outbox == []
    with tenant_context(acme.company.pk):
        assert Invoice.objects.get(pk=invoice.pk).status == Invoice.Status.DRAFT


def test_a_double_click_sends_once_and_a_later_resend_keeps_paid_paid(acme, alice_client, monkeypatch):
    invoice = _invoice(acme, status="paid")
    first = alice_client.post(_url(invoice, "send/"), follow=True)
    second = alice_client.post(_url(invoice, "send/"), follow=True)
    assert "on its way" in first.content.decode()
    assert "was sent a moment ago; not sent twice" in second.content.decode()
    assert len(_sent(acme)) == 1 and len(_audit(invoice)) == 1
    later = NOW + invoicing.SAME_CLICK + timedelta(seconds=1)
    monkeypatch.setattr(timezone, "now", lambda: later)
    alice_client.post(_url(invoice, "send/"))
    assert len(_sent(acme)) == 2
    assert [(e.data, e.created_at) for e in _audit(invoice)] == [({"again": True}, NOW), ({"again": True}, later)]
    outbox.sweep()
    assert len(mail.outbox) == 2
    with tenant_context(acme.company.pk):
        assert Invoice.objects.get(pk=invoice.pk).status == Invoice.Status.PAID


def test_a_void_invoice_cannot_be_sent(acme, alice_client):
    invoice = _invoice(acme, status="void")
    assert "A void invoice cannot be sent." in alice_client.get(_url(invoice, "")).content.decode()
    assert "Send to contact</button>" not in alice_client.get(_url(invoice, "send/")).content.decode()
    response = alice_client.post(_url(invoice, "send/"), follow=True)
    assert "A void invoice cannot be sent." in response.content.decode()
    assert _sent(acme) == [] and _audit(invoice) == []
    with tenant_context(acme.company.pk):
        assert Invoice.objects.get(pk=invoice.pk).status == Invoice.Status.VOID


def test_a_contact_without_an_email_gets_a_clear_message(acme, alice_client):
    invoice = _invoice(acme, email="")
    page = alice_client.get(_url(invoice, "send/")).content.decode()
    assert f"{escape(NAME)} has no email address." in page and "Add one to the contact" in page
    response = alice_client.post(_url(invoice, "send/"), follow=True)
    assert "This invoice&#x27;s contact has no email address. Add one to the contact, then send again." in \
        response.content.decode()
    assert _sent(acme) == [] and _audit(invoice) == []


def test_an_invoice_voided_before_delivery_is_not_emailed(acme):
    invoice = _invoice(acme)
    invoicing.send_invoice(company=acme.company, actor=acme.owner, invoice=invoice)
    with tenant_context(acme.company.pk):
        Invoice.objects.filter(pk=invoice.pk).update(status=Invoice.Status.VOID)
    assert outbox.sweep() == 1 and mail.outbox == []


def test_a_company_closed_before_delivery_emails_nobody(acme):
    invoice = _invoice(acme)
    invoicing.send_invoice(company=acme.company, actor=acme.owner, invoice=invoice)
    Company.objects.filter(pk=acme.company.pk).update(status=Company.Status.CLOSED, closed_at=NOW)
    assert outbox.sweep() == 1 and mail.outbox == []


# --- the API's send action ---------------------------------------------------------------------------

@pytest.fixture
def alice_api(acme, api_client):
    _, token = AuthToken.objects.create(user=acme.owner)
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return api_client


def _api(invoice: Invoice, company_id: int | None = None) -> str:
    return f"/api/v1/companies/{company_id or invoice.company_id}/invoices/{invoice.pk}/send/"


def test_api_send_calls_the_same_service(acme, alice_api):
    invoice = _invoice(acme)
    response = alice_api.post(_api(invoice), format="json")
    assert response.status_code == 202
    assert response.json() == {"id": invoice.pk, "status": "sent", "queued": True}
    again = alice_api.post(_api(invoice), format="json")
    assert again.status_code == 202 and again.json()["queued"] is False
    assert len(_sent(acme)) == 1 and len(_audit(invoice)) == 1
    outbox.sweep()
    assert [m.to for m in mail.outbox] == [[EMAIL]]


def test_api_send_refuses_void_and_no_email_with_409(acme, alice_api):
    void = _invoice(acme, status="void")
    no_email = _invoice(acme, number="2031-0043", email="")
    assert alice_api.post(_api(void), format="json").json() == {"detail": "A void invoice cannot be sent."}
    response = alice_api.post(_api(no_email), format="json")
    assert response.status_code == 409 and "no email address" in response.json()["detail"]
    assert _sent(acme) == []


@pytest.mark.policy("SAF-3")
def test_api_send_is_404_for_another_company_and_403_for_a_guest(acme, globex, guest, alice_api, api_client):
    theirs = _invoice(globex, number="G-1")
    assert alice_api.post(_api(theirs, acme.company.pk), format="json").status_code == 404
    assert alice_api.post(_api(theirs), format="json").status_code == 404
    _, token = AuthToken.objects.create(user=guest)
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert api_client.post(_api(_invoice(acme)), format="json").status_code == 403
    assert _sent(acme) == [] and _sent(globex) == []


def test_the_send_action_is_in_the_openapi_schema(acme, alice_client):
    schema = alice_client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    operation = schema["paths"]["/api/v1/companies/{company_id}/invoices/{id}/send/"]["post"]
    assert {"202", "404", "409"} <= set(operation["responses"])  # and the errors every operation documents
    assert "requestBody" not in operation and operation["summary"] == "Send to contact"


@pytest.mark.django_db(transaction=True)
def test_two_sends_at_once_queue_one_email(acme):
    """A double-click's two requests run side by side: the second waits on the invoice's row lock, then finds
    the first's send and queues nothing (without the lock both would queue)."""
    import threading
    import time

    from django.db import connections

    invoice = _invoice(acme)
    results: list[bool] = []
    first_inside = threading.Event()

    def click(hold: float) -> None:
        try:
            with transaction.atomic():
                results.append(invoicing.send_invoice(company=acme.company, actor=acme.owner, invoice=invoice).queued)
                first_inside.set()
                time.sleep(hold)  # the first request is still busy (rendering the page) when the second arrives
        finally:
            connections.close_all()

    first = threading.Thread(target=click, args=(0.5,))
    first.start()
    assert first_inside.wait(10)
    second = threading.Thread(target=click, args=(0,))
    second.start()
    first.join(10)
    second.join(10)
    assert results == [True, False]
    assert len(_sent(acme)) == 1 and len(_audit(invoice)) == 1
