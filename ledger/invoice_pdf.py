"""One invoice as its contact reads it: the print page's data and the PDF (issue 14).

``invoice_document`` opens the contact's sealed address for this one invoice and nothing else
(the email stays sealed: only the send handler opens it). ``render_pdf`` draws the document
with fpdf2, pure Python, in Roboto (shipped by the ``font-roboto`` package): fpdf2's core fonts
are Latin-1 only, and Roboto holds Latin, Greek, Cyrillic and every currency symbol Babel
shows. A character the font lacks prints as "?" rather than letting fpdf2 log it (a name's
letters are personal data; logs hold none).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from pathlib import Path

import font_roboto
from babel.numbers import format_decimal
from django.utils import formats, timezone
from fontTools.ttLib import TTFont
from fpdf import FPDF
from fpdf.enums import XPos, YPos
from fpdf.fonts import FontFace

from accounts.models import Company
from ledger import money, selectors
from ledger.models import Invoice, InvoiceLine

FONT = "Roboto"
_FONT_FILES = {"": "Roboto-Regular.ttf", "B": "Roboto-Bold.ttf"}
_FONT_DIR = Path(font_roboto.__file__).resolve().parent / "files"
_HEADINGS = FontFace(family=FONT, emphasis="BOLD", fill_color=(232, 237, 242))


@dataclass(frozen=True)
class InvoiceDocument:
    company_name: str
    invoice: Invoice
    contact_name: str
    contact_address: str
    lines: list[InvoiceLine]
    total: Decimal

    @property
    def currency(self) -> str:
        return self.invoice.currency

    def money(self, amount: Decimal) -> str:
        return money.format_money(amount, self.invoice.currency)


def invoice_document(*, company: Company, pk: object) -> InvoiceDocument:
    """The invoice ``pk`` of ``company`` (404 for any other), its lines and total, the contact's address opened."""
    invoice = selectors.get_one(selectors.invoices(company=company), pk)
    lines = list(InvoiceLine.objects.filter(company=company, invoice=invoice).order_by("position", "id"))
    return InvoiceDocument(company_name=company.name, invoice=invoice, contact_name=invoice.contact.name,
                           contact_address=invoice.contact.address, lines=lines,
                           total=getattr(invoice, "total", None) or Decimal("0"))


def pdf_filename(number: str) -> str:
    """``invoice-<number>.pdf`` with only ASCII letters, digits, dots, dashes and underscores."""
    ascii_number = unicodedata.normalize("NFKD", number).encode("ascii", "ignore").decode()
    safe = re.sub(r"[^A-Za-z0-9._-]+", "-", ascii_number).strip("-._")[:60]
    return f"invoice-{safe or 'document'}.pdf"


def shown_date(value: date | None) -> str:
    return formats.date_format(value, "DATE_FORMAT") if value else ""


def shown_quantity(value: Decimal) -> str:
    return format_decimal(value, locale=money.LOCALE)


@cache
def _glyphs() -> frozenset[int]:
    """The code points both fonts draw."""
    maps = [set(TTFont(_FONT_DIR / name, lazy=True).getBestCmap()) for name in _FONT_FILES.values()]
    return frozenset(set.intersection(*maps))


def printable(text: str) -> str:
    glyphs = _glyphs()
    return "".join(ch if ord(ch) in glyphs or ch in "\n\t" else "?" for ch in text)


class _InvoicePDF(FPDF):
    def footer(self) -> None:
        self.set_y(-15)
        self.set_font(FONT, "", 8)
        self.set_text_color(90, 107, 124)
        self.cell(0, 10, f"Page {self.page_no()} of {{nb}}", align="R")


def render_pdf(document: InvoiceDocument, *, now: datetime | None = None) -> bytes:
    """The invoice as an A4 PDF: company, number, dates, bill-to, lines, total, currency, notes."""
    invoice = document.invoice
    pdf = _InvoicePDF(format="A4")
    pdf.set_creation_date(now or timezone.now())
    pdf.set_title(printable(f"Invoice {invoice.number}"))
    pdf.set_creator("Soft Helpers")
    for style, name in _FONT_FILES.items():
        pdf.add_font(FONT, style, str(_FONT_DIR / name))
    pdf.set_auto_page_break(auto=True, margin=20)
    pdf.add_page()
    width = pdf.epw

    pdf.set_font(FONT, "B", 20)
    pdf.cell(width / 2, 10, "Invoice", new_x=XPos.RIGHT, new_y=YPos.TOP)
    pdf.set_font(FONT, "B", 13)
    pdf.multi_cell(width / 2, 7, printable(document.company_name), align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(4)

    top = pdf.get_y()
    pdf.set_font(FONT, "B", 10)
    pdf.cell(width / 2, 6, "Bill to", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FONT, "", 10)
    bill_to = "\n".join(part for part in (document.contact_name, document.contact_address.strip()) if part)
    pdf.multi_cell(width / 2 - 4, 5, printable(bill_to), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    left_bottom = pdf.get_y()

    pdf.set_y(top)
    facts = [("Invoice number", invoice.number), ("Issued", shown_date(invoice.issue_date)),
             ("Due", shown_date(invoice.due_date)), ("Currency", invoice.get_currency_display())]
    for label, value in facts:
        if not value:
            continue
        pdf.set_x(pdf.l_margin + width / 2)
        pdf.set_font(FONT, "", 10)
        pdf.cell(width / 4, 6, label)
        pdf.set_font(FONT, "B", 10)
        pdf.multi_cell(width / 4, 6, printable(value), align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_y(max(left_bottom, pdf.get_y()) + 6)

    pdf.set_font(FONT, "", 10)
    with pdf.table(col_widths=(50, 14, 18, 18), text_align=("LEFT", "RIGHT", "RIGHT", "RIGHT"),
                   line_height=6, padding=1.5, repeat_headings=1,
                   headings_style=_HEADINGS) as table:
        table.row(["Description", "Quantity", "Unit price", "Amount"])
        for line in document.lines:
            table.row([printable(line.description), shown_quantity(line.quantity),
                       document.money(line.unit_price), document.money(line.amount)])
    pdf.ln(3)
    pdf.set_font(FONT, "B", 12)
    pdf.cell(width * 0.7, 8, "Total", align="R")
    pdf.cell(width * 0.3, 8, document.money(document.total), align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    if invoice.notes.strip():
        pdf.ln(6)
        pdf.set_font(FONT, "B", 10)
        pdf.cell(width, 6, "Notes", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_font(FONT, "", 10)
        pdf.multi_cell(width, 5, printable(invoice.notes.strip()), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    return bytes(pdf.output())
