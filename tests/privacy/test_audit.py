"""The audit trail: written by services, append-only in the database, tampering detected (SAF-1)."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, connections, transaction

from accounts import services as account_services
from accounts.audit import GENESIS, record_event
from accounts.models import AuditEvent
from accounts.tenancy import tenant_context
from ledger import services as ledger_services

pytestmark = [pytest.mark.django_db, pytest.mark.policy("SAF-1")]


def _events(company_id: int | None) -> list[str]:
    return list(AuditEvent.objects.filter(company_id=company_id).order_by("id").values_list("event", flat=True))


def test_sign_up_and_membership_changes_are_audited_without_personal_values(acme, bob):
    assert _events(acme.company.pk)[:2] == ["company.created", "membership.added"]
    assert "user.signed_up" in _events(None)
    membership = bob.memberships.get()
    account_services.remove_member(company=acme.company, membership=membership, actor=acme.owner)
    last = AuditEvent.objects.filter(company_id=acme.company.pk).latest("id")
    assert last.event == "membership.removed" and last.data == {"user_id": bob.pk, "role": "member"}
    dumped = " ".join(str(row) for row in AuditEvent.objects.values_list())
    for personal in ("alice@acme.example", "bob@acme.example", "Alice Acme", "Acme", "ACMESECRET"):
        assert personal not in dumped


def test_credentials_stored_and_destroyed_are_audited(acme):
    with tenant_context(acme.company.pk):
        ledger_services.disconnect_bank(company=acme.company, actor=acme.owner, connection=acme.bank_connection)
    events = _events(acme.company.pk)
    assert "credentials.stored" in events and events[-1] == "credentials.destroyed"


def test_each_row_chains_to_the_previous_one_of_its_company(acme, globex):
    for company_id in (acme.company.pk, globex.company.pk):
        rows = list(AuditEvent.objects.filter(company_id=company_id).order_by("id"))
        assert rows[0].prev_hash == GENESIS
        assert all(later.prev_hash == earlier.hash for earlier, later in zip(rows, rows[1:], strict=False))


@pytest.mark.parametrize("statement", ["UPDATE accounts_auditevent SET event = 'x'",
                                       "DELETE FROM accounts_auditevent", "TRUNCATE accounts_auditevent"])
def test_app_role_cannot_change_or_delete_audit_rows(acme, statement):
    with pytest.raises(DatabaseError, match="permission denied"), transaction.atomic(), connection.cursor() as c:
        c.execute(statement)


def test_a_rolled_back_change_leaves_no_audit_row(acme):
    before = AuditEvent.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic():
        record_event(event=AuditEvent.Event.MEMBER_ADDED, company_id=acme.company.pk, actor_id=None)
        raise RuntimeError
    assert AuditEvent.objects.count() == before


@pytest.mark.django_db(transaction=True, databases=["default", "owner"])
def test_verify_audit_passes_then_reports_the_tampered_row(acme, globex, capsys):
    call_command("verify_audit", verbosity=1)
    assert "intact" in capsys.readouterr().out
    victim = AuditEvent.objects.filter(company_id=acme.company.pk).order_by("id")[1]
    with connections["owner"].cursor() as cursor:  # someone with the owner's password edits the trail
        cursor.execute("UPDATE accounts_auditevent SET actor_id = 999 WHERE id = %s", [victim.pk])
    with pytest.raises(CommandError, match="tampered"):
        call_command("verify_audit", verbosity=0)
    assert f"Audit row {victim.pk} (company {acme.company.pk}) content does not match" in capsys.readouterr().err


@pytest.mark.django_db(transaction=True, databases=["default", "owner"])
def test_verify_audit_reports_a_deleted_row(acme):
    victim = AuditEvent.objects.filter(company_id=acme.company.pk).order_by("id")[0]
    with connections["owner"].cursor() as cursor:
        cursor.execute("DELETE FROM accounts_auditevent WHERE id = %s", [victim.pk])
    with pytest.raises(CommandError, match="tampered"):
        call_command("verify_audit", verbosity=0)
