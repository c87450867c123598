"""Reading bank statements: CSV (the standard library's ``csv``) and OFX (``ofxtools``), into rows.

``read_statement(data, …)`` turns the uploaded bytes into a *payload*, a JSON-able dict that is
all we keep of the file (sealed in ``BankImport.payload``): for a CSV the table of cells and the
column mapping found for it; for an OFX the transactions themselves. ``entries(payload)`` then
gives the transactions and the errors of each row, numbered as a spreadsheet numbers them (the
first line of the file is row 1); for an OFX file, transaction 1 is the first ``<STMTTRN>``.

``StatementError`` is a file we cannot read at all (empty, too big, not text, wrong encoding, no
columns, no transactions). Its message is for the owner and never quotes the file's text, only
its row numbers; row errors quote the date or amount cell at fault, never a description.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, fields
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings

from ledger.imports.ofx import read_ofx
from ledger.imports.rows import COUNTERPARTY_LENGTH, DESCRIPTION_LENGTH, Entry, StatementError, amount_problem

MAX_ERRORS = 20  # row errors listed; the rest are counted
ENCODINGS = {"auto": "Detect (UTF-8)", "cp1252": "Windows-1252 (Western Europe)", "latin-1": "ISO-8859-1 (Latin-1)"}


# --- date formats and amounts ------------------------------------------------------------------------

# name shown -> (pattern, order of year, month, day)
DATE_FORMATS: dict[str, tuple[re.Pattern[str], str]] = {
    "YYYY-MM-DD": (re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})"), "ymd"),
    "DD/MM/YYYY": (re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})"), "dmy"),
    "MM/DD/YYYY": (re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})"), "mdy"),
    "DD.MM.YYYY": (re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})"), "dmy"),
    "DD-MM-YYYY": (re.compile(r"(\d{1,2})-(\d{1,2})-(\d{4})"), "dmy"),
    "YYYYMMDD": (re.compile(r"(\d{4})(\d{2})(\d{2})"), "ymd"),
    "YYYY/MM/DD": (re.compile(r"(\d{4})/(\d{1,2})/(\d{1,2})"), "ymd"),
    "DD/MM/YY": (re.compile(r"(\d{1,2})/(\d{1,2})/(\d{2})"), "dmy"),
    "MM/DD/YY": (re.compile(r"(\d{1,2})/(\d{1,2})/(\d{2})"), "mdy"),
}
DECIMAL_MARKS = {".": "1,234.56 (point)", ",": "1.234,56 (comma)"}


def parse_date(value: str, date_format: str) -> date | None:
    """The date in ``value`` (a time after it is ignored), or None."""
    pattern, order = DATE_FORMATS[date_format]
    text = value.strip().split(" ")[0].split("T")[0]
    match = pattern.fullmatch(text)
    if not match:
        return None
    parts = dict(zip(order, (int(g) for g in match.groups()), strict=True))
    year = parts["y"] + 2000 if parts["y"] < 100 else parts["y"]
    try:
        return date(year, parts["m"], parts["d"])
    except ValueError:
        return None


_NOT_NUMBER = re.compile(r"[^\d.,+\-]")
# What banks write around a number: currency signs and codes, spaces of any width, Swiss apostrophes, CR/DR.
_DECORATION = re.compile(r"^[A-Z]{3}(?=[\s\d(+-])|(?<=[\s\d)])[A-Z]{3}$|[\s'’\u00a0\u202f$€£¥₹₽₩₪₫₴₦₱฿¢]")


def parse_amount(value: str, decimal_mark: str) -> Decimal | None:
    """A signed amount from bank notation: ``-1,234.56``, ``(12.00)``, ``12.00-``, ``$ 1 234,56``, ``1'234.56``,
    ``12.00 CR``, ``EUR -4,50``; None for anything else (``12.3x`` is not guessed at)."""
    text = value.strip().upper()
    negative = False
    if text.endswith(("CR", "DR")) and not text.endswith(("CR)", "DR)")):
        negative, text = text.endswith("DR"), text[:-2]
    text = _DECORATION.sub("", text.strip())
    if text.startswith("(") and text.endswith(")"):
        negative, text = not negative, text[1:-1]
    if text.endswith("-"):
        negative, text = not negative, text[:-1]
    if text.startswith("-"):
        negative, text = not negative, text[1:]
    text = text.removeprefix("+")
    thousands = "," if decimal_mark == "." else "."
    text = text.replace(thousands, "").replace(decimal_mark, ".")
    if not re.fullmatch(r"\d+(\.\d+)?|\.\d+", text):
        return None
    try:
        amount = Decimal(text)
    except InvalidOperation:
        return None
    return -amount if negative else amount


# --- the column mapping of a CSV file -----------------------------------------------------------------

@dataclass(frozen=True)
class Mapping:
    """Which column (0-based) holds what, and how its dates and amounts are written."""

    date: int | None = None
    amount: int | None = None
    debit: int | None = None  # money out, when the file splits amounts into two columns
    credit: int | None = None
    description: int | None = None
    counterparty: int | None = None
    date_format: str = "YYYY-MM-DD"
    decimal_mark: str = "."

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Mapping:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def columns(self) -> dict[str, int | None]:
        return {"date": self.date, "amount": self.amount, "debit": self.debit, "credit": self.credit,
                "description": self.description, "counterparty": self.counterparty}


def _normal(header: str) -> str:
    return " ".join(re.sub(r"[^\w]+", " ", header.casefold()).split())


_SYNONYMS: dict[str, tuple[str, ...]] = {
    "date": ("date", "booking date", "booked", "booked on", "transaction date", "posting date", "posted",
             "posted date", "trans date", "value date", "buchungstag", "datum", "fecha", "date operation"),
    "amount": ("amount", "transaction amount", "value", "betrag", "importe", "montant", "sum"),
    "debit": ("debit", "debits", "debit amount", "withdrawal", "withdrawals", "paid out", "money out", "out",
              "soll"),
    "credit": ("credit", "credits", "credit amount", "deposit", "deposits", "paid in", "money in", "in", "haben"),
    "description": ("description", "transaction description", "details", "transaction details", "memo",
                    "narrative", "particulars", "reference", "text", "verwendungszweck", "buchungstext",
                    "concepto", "libelle"),
    "counterparty": ("counterparty", "payee", "payee name", "name", "merchant", "beneficiary", "payer",
                     "other party", "recipient", "empfänger", "auftraggeber", "auftraggeber empfänger"),
}


def _find_column(headers: Sequence[str], kind: str, taken: set[int]) -> int | None:
    names = [_normal(h) for h in headers]
    for synonym in _SYNONYMS[kind]:  # exact names first, in the order of preference
        for index, name in enumerate(names):
            if index not in taken and name == synonym:
                return index
    if kind in ("date", "amount", "description"):  # then "Amount (USD)", "Booking date (local)", …
        for index, name in enumerate(names):
            if index not in taken and any(name.startswith(s + " ") for s in _SYNONYMS[kind][:3]):
                return index
    return None


def detect_mapping(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> Mapping:
    """The mapping a person would choose, from the column names and the values under them."""
    taken: set[int] = set()
    found: dict[str, int | None] = {}
    for kind in ("date", "amount", "debit", "credit", "description", "counterparty"):
        if kind in ("debit", "credit") and found.get("amount") is not None:
            found[kind] = None
            continue
        found[kind] = _find_column(headers, kind, taken)
        if found[kind] is not None:
            taken.add(found[kind])  # type: ignore[arg-type]
    if found["debit"] is None or found["credit"] is None:
        found["debit"] = found["credit"] = None
    date_values = _column(rows, found["date"])
    amount_values = [v for k in ("amount", "debit", "credit") for v in _column(rows, found[k])]
    return Mapping(**found, date_format=detect_date_format(date_values),
                   decimal_mark=detect_decimal_mark(amount_values))


def _column(rows: Iterable[Sequence[str]], index: int | None) -> list[str]:
    if index is None:
        return []
    return [row[index].strip() for row in rows if index < len(row) and row[index].strip()]


def detect_date_format(values: Sequence[str]) -> str:
    """The first format that reads every value (then the one that reads the most)."""
    best, best_count = "YYYY-MM-DD", -1
    for name in DATE_FORMATS:
        count = sum(parse_date(v, name) is not None for v in values)
        if count == len(values) and values:
            return name
        if count > best_count:
            best, best_count = name, count
    return best


def detect_decimal_mark(values: Sequence[str]) -> str:
    """``","`` when amounts are written ``1.234,56`` or ``12,50``; else ``"."``."""
    comma = point = 0
    for value in values:
        digits = _NOT_NUMBER.sub("", value)
        last_comma, last_point = digits.rfind(","), digits.rfind(".")
        if last_comma > last_point and len(digits) - last_comma - 1 in (1, 2):
            comma += 1
        elif last_point > last_comma:
            point += 1
    return "," if comma > point else "."


# --- reading the file ---------------------------------------------------------------------------------

def read_statement(data: bytes, *, filename: str = "", encoding: str = "auto") -> dict[str, Any]:
    """The payload of an uploaded statement; raise StatementError when it cannot be read."""
    if len(data) > settings.LEDGER_IMPORT_MAX_BYTES:
        raise StatementError(too_big_message())
    if not data.strip():
        raise StatementError("The file is empty.")
    if _is_ofx(data, filename):
        return read_ofx(data)
    return _read_csv(_decode(data, encoding))


def too_big_message() -> str:
    from django.template.defaultfilters import filesizeformat

    shown = filesizeformat(settings.LEDGER_IMPORT_MAX_BYTES).replace("\xa0", " ")
    return f"The file is too big: statements up to {shown} can be imported. Split it into shorter periods."


def _is_ofx(data: bytes, filename: str) -> bool:
    head = data[:1024].lstrip().upper()
    return (filename.lower().endswith((".ofx", ".qfx")) or head.startswith(b"OFXHEADER")
            or (head.startswith(b"<?XML") and b"<?OFX" in head) or head.startswith(b"<OFX>"))


def _decode(data: bytes, encoding: str) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):  # "Unicode text" from spreadsheets: UTF-16 with its mark
        return data.decode("utf-16")
    if b"\x00" in data[:4096]:
        raise StatementError("This is not a text file. Upload the statement as CSV or OFX.")
    if encoding != "auto":
        if encoding not in ENCODINGS:
            raise StatementError("Choose one of the encodings offered.")
        return data.decode(encoding)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        row = data[:exc.start].count(b"\n") + 1
        raise StatementError(f"Row {row} has characters that are not UTF-8. Choose the file's encoding "
                             "(for example Windows-1252) and upload it again.") from exc


def _read_csv(text: str) -> dict[str, Any]:
    records: list[tuple[int, list[str]]] = []
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    try:
        for number, record in enumerate(reader, start=1):
            cells = [cell.strip() for cell in record]
            if any(cells):
                records.append((number, cells))
            if len(records) > settings.LEDGER_IMPORT_MAX_ROWS + 20:
                break
    except csv.Error as exc:
        raise StatementError(f"Row {reader.line_num} cannot be read as CSV (a quote is not closed?).") from exc
    header_at = _header_index(records)
    if header_at is None:
        raise StatementError("No columns were found: the file should be a CSV table with a row of column names.")
    number, headers = records[header_at]
    rows = records[header_at + 1:]
    if not rows:
        raise StatementError(f"The file has column names (row {number}) but no transactions.")
    if len(rows) > settings.LEDGER_IMPORT_MAX_ROWS:
        raise StatementError(f"The file has more than {settings.LEDGER_IMPORT_MAX_ROWS:,} transactions. "
                             "Split it into shorter periods.")
    mapping = detect_mapping(headers, [cells for _, cells in rows])
    return {"format": "csv", "headers": headers, "rows": [[n, cells] for n, cells in rows],
            "mapping": mapping.to_dict()}


def _delimiter(text: str) -> str:
    """The separator that splits the most of the first lines into the same number (two or more) of cells.

    (``csv.Sniffer`` was misled by a title line above the table and by decimal commas.)
    """
    lines = [line for line in text.splitlines()[:30] if line.strip()]
    best, best_score = ",", 0
    for candidate in (",", ";", "\t", "|"):
        counts = Counter(len(row) for row in csv.reader(lines, delimiter=candidate))
        width, rows = max(counts.items(), key=lambda item: (item[1], item[0]), default=(1, 0))
        score = rows if width >= 2 else 0
        if score > best_score:
            best, best_score = candidate, score
    return best


def _header_index(records: Sequence[tuple[int, list[str]]]) -> int | None:
    """The row of column names: the first with a date and an amount column among the first few, else the first."""
    first = None
    for index, (_, cells) in enumerate(records[:15]):
        if sum(bool(c) for c in cells) < 2:
            continue  # a title line above the table ("Account statement")
        first = index if first is None else first
        if _find_column(cells, "date", set()) is not None and any(
                _find_column(cells, kind, set()) is not None for kind in ("amount", "debit", "credit")):
            return index
    return first


# --- the transactions of a payload --------------------------------------------------------------------

def entries(payload: dict[str, Any], mapping: Mapping | None = None) -> tuple[list[Entry], list[str]]:
    """The payload's transactions, and a sentence for each row that cannot be read (nothing is guessed)."""
    if payload["format"] == "ofx":
        return [Entry(row=n, booked_on=date.fromisoformat(d), amount=Decimal(a), description=desc,
                      counterparty=cp, fitid=fitid) for n, d, a, desc, cp, fitid in payload["rows"]], []
    return _csv_entries(payload, mapping or Mapping.from_dict(payload["mapping"]))


def _csv_entries(payload: dict[str, Any], mapping: Mapping) -> tuple[list[Entry], list[str]]:
    headers = payload["headers"]
    problems = []
    if mapping.date is None:
        problems.append("Choose the column that holds the date.")
    if mapping.amount is None and (mapping.debit is None or mapping.credit is None):
        problems.append("Choose the column that holds the amount (or the money out and money in columns).")
    if mapping.description is None:
        problems.append("Choose the column that holds the description.")
    if any(i is not None and not 0 <= i < len(headers) for i in mapping.columns.values()):
        problems.append("Choose the columns among the file's columns.")
    if mapping.date_format not in DATE_FORMATS or mapping.decimal_mark not in DECIMAL_MARKS:
        problems.append("Choose a date format and a decimal mark among those offered.")
    if problems:
        return [], problems
    found: list[Entry] = []
    errors: list[str] = []
    bad_rows = 0
    for number, cells in payload["rows"]:
        entry, error = _csv_entry(number, cells, mapping)
        if error:
            bad_rows += 1
            if len(errors) < MAX_ERRORS:
                errors.append(error)
        elif entry is not None:
            found.append(entry)
    if bad_rows > MAX_ERRORS:
        errors.append(f"… and {bad_rows - MAX_ERRORS} more rows with errors.")
    return found, errors


def _cell(cells: Sequence[str], index: int | None) -> str:
    return cells[index].strip() if index is not None and index < len(cells) else ""


def _quoted(value: str) -> str:
    return f"“{value[:30]}”"


def _csv_entry(number: int, cells: Sequence[str], mapping: Mapping) -> tuple[Entry | None, str | None]:
    raw_date = _cell(cells, mapping.date)
    if not raw_date:
        return None, f"Row {number}: the date is missing."
    booked_on = parse_date(raw_date, mapping.date_format)
    if booked_on is None:
        return None, f"Row {number}: {_quoted(raw_date)} is not a date written {mapping.date_format}."
    if mapping.amount is not None:
        raw = _cell(cells, mapping.amount)
        if not raw:
            return None, f"Row {number}: the amount is missing."
        amount = parse_amount(raw, mapping.decimal_mark)
        if amount is None:
            return None, f"Row {number}: the amount {_quoted(raw)} is not a number."
    else:
        raw_out, raw_in = _cell(cells, mapping.debit), _cell(cells, mapping.credit)
        if not raw_out and not raw_in:
            return None, f"Row {number}: the amount is missing (neither money out nor money in)."
        out = parse_amount(raw_out, mapping.decimal_mark) if raw_out else Decimal(0)
        in_ = parse_amount(raw_in, mapping.decimal_mark) if raw_in else Decimal(0)
        if out is None or in_ is None:
            raw = raw_out if out is None else raw_in
            return None, f"Row {number}: the amount {_quoted(raw)} is not a number."
        amount = in_ - abs(out)
    problem = amount_problem(amount)
    if problem:
        return None, f"Row {number}: the amount {problem}."
    counterparty = _cell(cells, mapping.counterparty)[:COUNTERPARTY_LENGTH]
    description = (_cell(cells, mapping.description) or counterparty or "(no description)")[:DESCRIPTION_LENGTH]
    return Entry(row=number, booked_on=booked_on, amount=amount, description=description,
                 counterparty=counterparty), None
