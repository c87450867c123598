"""Local-mode email: every message becomes one ``.eml`` file under ``var/mail/`` (``MAIL_DIR``).

Read back by the dev mailbox (``/dev/mail/``), by the purge, which deletes the files about a
purged company or to its removed users, and by an invitee's removal (``consent.invitations``).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence
from email import policy as email_policy
from email.generator import BytesGenerator
from email.message import EmailMessage as ParsedMessage
from email.parser import BytesParser
from io import BytesIO
from pathlib import Path

from django.conf import settings
from django.core.mail import EmailMessage
from django.core.mail.backends.base import BaseEmailBackend
from django.utils import timezone


class EmlFileBackend(BaseEmailBackend):
    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        directory = Path(settings.MAIL_DIR)
        directory.mkdir(parents=True, exist_ok=True)
        for message in email_messages:
            name = f"{timezone.now():%Y%m%dT%H%M%S%f}-{secrets.token_hex(4)}.eml"
            (directory / name).write_bytes(_as_bytes(message))
        return len(email_messages)


def _as_bytes(message: EmailMessage) -> bytes:
    """The message as sent, with every header on one line (a folded ``List-Unsubscribe`` confuses
    some mail clients; RFC 5322 allows lines up to 998 characters)."""
    buffer = BytesIO()
    BytesGenerator(buffer, mangle_from_=False, maxheaderlen=0).flatten(message.message(), linesep="\r\n")
    return buffer.getvalue()


def list_mail_files() -> list[Path]:
    """Newest first."""
    directory = Path(settings.MAIL_DIR)
    if not directory.exists():
        return []
    return sorted(directory.glob("*.eml"), reverse=True)


def remove_mail_files(matches: Callable[[ParsedMessage], bool]) -> int:
    """Delete the local messages whose headers ``matches`` accepts (the purge, an invitee's removal)."""
    parser = BytesParser(policy=email_policy.default)
    removed = 0
    for path in list_mail_files():
        with path.open("rb") as handle:
            headers = parser.parse(handle, headersonly=True)
        if matches(headers):
            path.unlink(missing_ok=True)
            removed += 1
    return removed
