"""SAF-1: ``manage.py create_officer`` makes a least-privilege officer, and says plainly what it refuses."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from accounts import officers
from accounts.models import AuditEvent, User

pytestmark = [pytest.mark.django_db, pytest.mark.policy("SAF-1")]


def _file(tmp_path, text: str):
    path = tmp_path / "password"
    path.write_text(text + "\n")
    return path


def test_the_officer_is_staff_in_the_group_never_a_superuser_and_audited(tmp_path, capsys):
    call_command("create_officer", email="Officer@SoftHelpers.example",
                 password_file=_file(tmp_path, "a-long-officer-passphrase"))
    officer = User.objects.get(email="officer@softhelpers.example")
    assert officer.is_staff and not officer.is_superuser
    assert list(officer.groups.values_list("name", flat=True)) == [officers.GROUP_NAME]
    assert officer.check_password("a-long-officer-passphrase")
    assert AuditEvent.objects.filter(event=AuditEvent.Event.OFFICER_CREATED, subject_id=officer.pk).count() == 1
    assert "officer@" not in capsys.readouterr().out  # ids only in the output


@pytest.mark.parametrize(("email", "password", "message"), [
    ("officer@softhelpers.example", "short", "Password refused: This password is too short"),
    ("officer@softhelpers.example", "password1234", "Password refused: This password is too common"),
    ("alice@acme.example", "a-long-officer-passphrase", "already has an account"),
    ("not-an-address", "a-long-officer-passphrase", "Give the officer's email address."),
])
def test_bad_input_is_a_one_line_error_and_changes_nothing(tmp_path, alice, email, password, message):
    users = User.objects.count()
    with pytest.raises(CommandError, match=message) as refused:
        call_command("create_officer", email=email, password_file=_file(tmp_path, password))
    assert "\n" not in str(refused.value)
    assert User.objects.count() == users and not alice.groups.exists()


def test_without_a_password_file_or_a_terminal_it_says_so(db):
    with pytest.raises(CommandError, match="give --password-file"):
        call_command("create_officer", email="officer@softhelpers.example")


def test_a_missing_password_file_is_a_one_line_error(tmp_path):
    with pytest.raises(CommandError, match="Cannot read the password file"):
        call_command("create_officer", email="officer@softhelpers.example", password_file=tmp_path / "nope")
