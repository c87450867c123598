"""OFX statements (v1 SGML and v2 XML) read by ``ofxtools``, which validates them against the spec.

Why ofxtools rather than ofxparse: it is maintained (1.1, 2026; ofxparse's last release was 0.21 in
2021), has no dependencies (ofxparse pulls BeautifulSoup and six), is typed, and converts values
to the spec (amounts as Decimal, dates with their time zone) instead of guessing.

ofxtools' exceptions quote the document they failed on, so their text is never shown or logged
here; its logger writes every value at DEBUG and is kept at WARNING (settings.LOGGING).
The booked date is the date the bank wrote (``DTPOSTED``'s first eight digits), not that moment
converted to UTC, which can fall on the next day.
"""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

from ofxtools.Parser import OFXTree

from ledger.imports.rows import COUNTERPARTY_LENGTH, DESCRIPTION_LENGTH, StatementError, amount_problem

_UNREADABLE = "This OFX file cannot be read: it is not valid OFX. Download the statement from your bank again."


def read_ofx(data: bytes) -> dict[str, Any]:
    tree = OFXTree()
    try:
        tree.parse(io.BytesIO(data))
        ofx = tree.convert()
        statements = list(ofx.statements)
    except UnicodeDecodeError as exc:
        raise StatementError("This OFX file has characters that do not match the character set its header "
                             "names. Download the statement from your bank again.") from exc
    except Exception as exc:  # ParseError, OFXHeaderError, OFXSpecError, ValueError, KeyError, …
        raise StatementError(_UNREADABLE) from exc
    if not statements:
        raise StatementError("This OFX file holds no bank or card statement.")
    if len(statements) > 1:
        raise StatementError(f"This OFX file holds statements of {len(statements)} accounts. "
                             "Download one account's statement at a time.")
    statement = statements[0]
    root = tree.getroot()
    posted = [element.findtext("DTPOSTED") or "" for element in root.iter("STMTTRN")] if root is not None else []
    transactions = list(statement.transactions or [])
    if not transactions:
        raise StatementError("This statement holds no transactions.")
    rows = []
    for number, (transaction, raw_date) in enumerate(zip(transactions, posted, strict=True), start=1):
        amount = Decimal(transaction.trnamt)
        problem = amount_problem(amount)
        if problem:
            raise StatementError(f"Transaction {number}: the amount {problem}.")
        payee = transaction.name or (transaction.payee.name if transaction.payee is not None else "") or ""
        memo = transaction.memo or ""
        description = " · ".join(part for part in (payee, memo) if part) or "(no description)"
        booked_on = f"{raw_date[0:4]}-{raw_date[4:6]}-{raw_date[6:8]}"
        rows.append([number, booked_on, str(amount), description[:DESCRIPTION_LENGTH], payee[:COUNTERPARTY_LENGTH],
                     transaction.fitid or ""])
    return {"format": "ofx", "currency": statement.curdef or "", "rows": rows}
