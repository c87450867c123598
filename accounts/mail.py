"""Local-mode email: every message becomes one ``.eml`` file under ``var/mail/`` (``MAIL_DIR``).

Read back by the dev mailbox (``/dev/mail/``) and by the purge, which deletes the files about a
purged company or to its removed users.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
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
            (directory / name).write_bytes(message.message().as_bytes())
        return len(email_messages)


def list_mail_files() -> list[Path]:
    """Newest first."""
    directory = Path(settings.MAIL_DIR)
    if not directory.exists():
        return []
    return sorted(directory.glob("*.eml"), reverse=True)
