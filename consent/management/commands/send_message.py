"""``send_message --purpose P --subject S --text-file F``: the officer's message, to everyone consenting now."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from consent import purposes, services
from consent.exceptions import ConsentError


class Command(BaseCommand):
    help = ("Send a message for a consent purpose to every user who has it granted; each copy is checked "
            "again when it goes out.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--purpose", required=True, choices=[p.id for p in purposes.MESSAGE_PURPOSES])
        parser.add_argument("--subject", required=True)
        parser.add_argument("--text-file", required=True, type=Path)

    def handle(self, *args: Any, purpose: str, subject: str, text_file: Path, **options: Any) -> None:
        try:
            text = text_file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"Cannot read the text file: {getattr(exc, 'strerror', None) or exc}.") from exc
        try:
            message = services.create_message(purpose=purpose, subject=subject, text=text, actor=None)
            message = services.queue_message(message=message, actor=None)
        except ConsentError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"Message #{message.pk} queued to {message.recipients} consenting user(s); "
                          "progress in the admin (Purpose messages).")
