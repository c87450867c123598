"""Keep personal values out of logs: a logging filter driven by the PI registry.

Installed on every handler of ``settings.LOGGING``. It rewrites each record before it is
formatted:

- SQL logged by ``django.db.backends`` (DEBUG) carries literal values; only its verb and first
  table stay (``SELECT … ledger_contact``), the parameters go.
- Any other message is formatted and then scrubbed: ``<field>=<value>`` and ``"<field>": <value>``
  for every personal field name in the registry, and anything shaped like an email address.
- Exception text is scrubbed the same way (database errors quote values in their DETAIL line).
"""

from __future__ import annotations

import logging
import re
import traceback
from functools import cache

REDACTED = "[redacted]"
EMAIL = re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)+")
# A link's secret in a logged path ("Forbidden: /invitations/7-<64 hex>/"): unsubscribe, invitation,
# shutdown and download tokens are all 32 or more hex characters.
LINK_SECRET = re.compile(r"(?<![0-9a-fA-F])[0-9a-f]{32,}(?![0-9a-fA-F])")
# Signed links (email verification, export download) are base64 with ":" and "-": any path segment of
# 24 or more such characters is taken for a secret.
PATH_SECRET = re.compile(r"(?<=/)[A-Za-z0-9_:.=-]{24,}(?=/|\?|\s|$|\")")
SQL_SHAPE = re.compile(r"^\s*(?P<verb>\w+)\b.*?\b(?:FROM|INTO|UPDATE|TABLE)\s+\"?(?P<table>[\w.]+)", re.I | re.S)


@cache
def _personal_keys() -> re.Pattern[str]:
    from privacy.registry import personal_field_names

    # "search" and "q": what a person typed to find a contact or a payment is taken for a name (issue 14).
    names = "|".join(sorted(map(re.escape, personal_field_names() | {"password", "token", "credentials", "search", "q"}),
                            key=len, reverse=True))
    # "[redacted]" first: a record passing two handlers is scrubbed twice and must stay the same.
    value = r"""(?:\[redacted\]|'[^']*'|"[^"]*"|b'[^']*'|[^\s,;)}\]]+)"""
    return re.compile(rf"""(?P<key>['"]?\b(?:{names})\b['"]?)(?P<sep>\s*[:=]\s*){value}""", re.I)


def scrub(text: str) -> str:
    text = _personal_keys().sub(lambda m: f"{m.group('key')}{m.group('sep')}{REDACTED}", text)
    return PATH_SECRET.sub(REDACTED, LINK_SECRET.sub(REDACTED, EMAIL.sub(REDACTED, text)))


def _sql_summary(sql: object) -> str:
    match = SQL_SHAPE.match(str(sql))
    return f"{match.group('verb').upper()} … {match.group('table')}" if match else "SQL"


class PersonalDataFilter(logging.Filter):
    """Rewrites records in place; never drops one (the event stays visible, its values do not)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "personal_data_scrubbed", False):  # a record reaches one filter per handler
            return True
        record.personal_data_scrubbed = True
        if record.name.startswith("django.db.backends") and hasattr(record, "sql"):
            summary = _sql_summary(record.sql)
            record.msg, record.args = "(%.3f) %s; args=%s; alias=%s", (
                getattr(record, "duration", 0.0), summary, REDACTED, getattr(record, "alias", ""))
            record.sql, record.params = summary, REDACTED
        else:
            message = record.getMessage()
            record.msg, record.args = scrub(message), ()
        if record.exc_info and not record.exc_text:
            record.exc_text = scrub("".join(traceback.format_exception(*record.exc_info)).rstrip("\n"))
        return True
