"""``create_officer --email E [--password-file F]``: a Privacy Officer account (staff, not superuser)."""

from __future__ import annotations

import getpass
import sys
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts import officers
from accounts.exceptions import OfficerRefused


class Command(BaseCommand):
    help = "Create a Privacy Officer: a staff account in the least-privilege 'Privacy officer' group."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--email", required=True)
        parser.add_argument("--password-file", type=Path, help="read the password from this file (first line)")

    def handle(self, *args: Any, email: str, password_file: Path | None, **options: Any) -> None:
        password = _password_from_file(password_file) if password_file else _password_from_prompt()
        try:
            officer = officers.create_officer(email=email, password=password, actor=None)
        except OfficerRefused as exc:
            raise CommandError(str(exc)) from exc
        except ValidationError as exc:
            raise CommandError("Password refused: " + " ".join(exc.messages)) from exc
        self.stdout.write(f"Privacy officer created: user #{officer.pk}. Log in at /admin/: the first login "
                          "sets up two-factor sign-in (an authenticator app), which the admin requires.")


def _password_from_file(path: Path) -> str:
    try:
        lines = path.read_text().splitlines()
    except OSError as exc:
        raise CommandError(f"Cannot read the password file: {exc.strerror}.") from exc
    if not lines or not lines[0]:
        raise CommandError("The password file is empty.")
    return lines[0]


def _password_from_prompt() -> str:
    if not sys.stdin.isatty():
        raise CommandError("No terminal to ask for the password: give --password-file.")
    password = getpass.getpass("Password: ")
    if password != getpass.getpass("Password (again): "):
        raise CommandError("The passwords differ.")
    return password
