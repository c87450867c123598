"""Every management command answers bad input with a one-line error, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection

from accounts.models import Company, User
from retention import services as retention_services
from retention.models import ScheduledPurge

ROOT = Path(__file__).resolve().parents[2]
GOOD_PASSWORD = "a-long-demo-passphrase-7"


def _refused(command: str, *args: object, match: str, **options: object) -> None:
    with pytest.raises(CommandError, match=match) as refused:
        call_command(command, *args, verbosity=0, **options)
    assert "\n" not in str(refused.value)


@pytest.mark.django_db
@pytest.mark.parametrize(("options", "match"), [
    ({"email": "owner@example.com", "password": "short", "company": "Demo"}, "Password refused: This password is too short"),
    ({"email": "not an address", "password": GOOD_PASSWORD, "company": "Demo"}, "--email is not an email address"),
    ({"email": "owner@example.com", "password": GOOD_PASSWORD, "company": "x" * 201}, "--company needs a name"),
    ({"email": "owner@example.com", "password": GOOD_PASSWORD, "company": " "}, "--company needs a name"),
    ({"email": "owner@example.com", "password": GOOD_PASSWORD, "company": "Demo", "size": -1}, "--size must be 0"),
])
def test_seed_demo_refuses_bad_input_and_creates_nothing(options, match):
    _refused("seed_demo", match=match, **options)
    assert not User.objects.filter(email="owner@example.com").exists()


@pytest.mark.django_db
def test_seed_demo_refuses_another_password_for_an_existing_account(alice):
    _refused("seed_demo", match="another password", email=alice.email, password=GOOD_PASSWORD, company="Demo")


@pytest.mark.django_db
def test_close_company_refuses_unknown_closed_and_unreasoned(acme):
    _refused("close_company", 10**9, match="There is no company", reason="Letter 4")
    _refused("close_company", acme.company.pk, match="--reason must say", reason="  ")
    _refused("close_company", acme.company.pk, match="at most 300 characters", reason="r" * 301)
    retention_services.close_company(company=acme.company, actor=None, reason=ScheduledPurge.Reason.OFFICER)
    _refused("close_company", acme.company.pk, match="is already closed", reason="Letter 4")
    assert Company.objects.get(pk=acme.company.pk).status == Company.Status.CLOSED


@pytest.mark.django_db
@pytest.mark.parametrize("as_of", ["next tuesday", "2026-02-30T10:00:00", "2027-13-01"])
def test_purge_due_refuses_a_date_that_is_not_iso_or_not_possible(as_of):
    _refused("purge_due", match="is not an ISO date-time", as_of=as_of)


@pytest.mark.django_db
def test_rotate_keys_refuses_nothing_to_do_unknown_closed_and_bad_batch(acme):
    _refused("rotate_keys", match="Give --master")
    _refused("rotate_keys", match="No company with id", company=10**9)
    _refused("rotate_keys", match="at least 1", company=acme.company.pk, batch_size=0)
    retention_services.close_company(company=acme.company, actor=None, reason=ScheduledPurge.Reason.OFFICER)
    _refused("rotate_keys", match="is closed", company=acme.company.pk)


@pytest.mark.django_db
def test_a_refused_password_from_the_shell_is_one_line_and_exit_code_1():
    """The real command line, on the test database: no traceback (it used to print a ValidationError's)."""
    owner = connection.settings_dict
    database_url = f"postgresql://{settings.DATABASES['owner']['USER']}:@/{owner['NAME']}?host={owner['HOST']}"
    result = subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", "seed_demo", "--email", "cli-owner@example.com", "--password", "short",
         "--company", "Demo"], cwd=ROOT, capture_output=True, text=True, timeout=120,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "softhelpers.settings", "DATABASE_URL": database_url})
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines() == ["CommandError: Password refused: This password is too short. "
                                                  "It must contain at least 10 characters."]


@pytest.mark.django_db
def test_rotate_keys_refuses_a_master_key_that_is_not_a_key(settings):
    settings.PRIVACY_MASTER_KEYS = ["not-base64"]
    _refused("rotate_keys", match="master keys are not usable", master=True)
