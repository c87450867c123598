"""CON-5, RET-1, RET-3, RET-5: the purge removes every personal value of the closed company, on time,
and nothing of any other; it leaves a certificate, a tombstone and anonymous totals."""

from __future__ import annotations

import os
import shutil
import subprocess
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pgserver
import pytest
from django.core import mail
from django.core.management import call_command
from django.db import connections

from accounts import outbox
from accounts.models import AuditEvent, Company, Membership, User
from accounts.tenancy import tenant_context
from ledger.models import Contact, Invoice
from privacy import exports, policy
from privacy.models import PolicyNotice, PolicyVersion
from retention import purge, services
from retention.models import DeletionCertificate, RetainedAggregate, ScheduledPurge
from tests.conftest import Tenant, add_member

ACME_VALUES = ["ACMESECRET", "alice@acme.example", "Alice Acme", "bob@acme.example", "acmesecret@client.example",
               "Acme"]


def _close(tenant: Tenant) -> ScheduledPurge:
    return services.close_company(company=tenant.company, actor=tenant.owner, reason=ScheduledPurge.Reason.OWNER)


def _counts(company_id: int) -> dict[str, int]:
    with tenant_context(company_id):
        return {m._meta.db_table: purge._count(m._meta.db_table, company_id) for m in purge.purge_plan()}


def _pg_dump() -> bytes:
    binary = Path(pgserver.__file__).parent / "pginstall" / "bin" / "pg_dump"
    executable = str(binary) if binary.exists() else shutil.which("pg_dump")
    assert executable, "pg_dump is needed to prove the purge on a full dump"
    owner = connections["owner"].settings_dict
    env = {**os.environ, "PGPASSWORD": owner.get("PASSWORD") or ""}
    command = [executable, "--no-owner", "-d", owner["NAME"], "-U", owner["USER"]]
    if owner.get("HOST"):
        command += ["-h", owner["HOST"]]
    if owner.get("PORT"):
        command += ["-p", str(owner["PORT"])]
    return subprocess.run(command, env=env, capture_output=True, check=True, timeout=120).stdout


@pytest.mark.policy("RET-3")
@pytest.mark.policy("RET-5")
@pytest.mark.django_db(transaction=True, databases=["default", "owner"])
@pytest.mark.policy("CON-5")
@pytest.mark.policy("RET-1")
def test_day_29_removes_nothing_day_31_everything_of_that_company_and_nothing_else(acme, bob, globex, settings,
                                                                                   tmp_path):
    settings.RETENTION_PURGE_BATCH_ROWS = 2  # several batches per table
    settings.EMAIL_BACKEND = "accounts.mail.EmlFileBackend"
    settings.MAIL_DIR = tmp_path / "mail"
    export_file = exports.export_dir() / exports.new_file_name(acme.company.pk)
    export_file.write_bytes(b"an export that was never downloaded")
    globex_file = exports.export_dir() / exports.new_file_name(globex.company.pk)
    globex_file.write_bytes(b"globex's export")
    services.request_shutdown(company=acme.company, actor=acme.owner)
    material = PolicyVersion.objects.create(label="material", effective_on=date(2031, 4, 1),
                                            text="T", summary="S", material=True,
                                            published_at=datetime(2031, 3, 4, tzinfo=UTC),
                                            sha256=policy.digest("T"))
    notices = {u.pk: PolicyNotice.objects.create(user=u, version=material) for u in (bob, globex.owner)}
    scheduled = _close(acme)
    outbox.sweep()  # link and closure emails land in the local mailbox
    acme_before, globex_before = _counts(acme.company.pk), _counts(globex.company.pk)
    assert sum(acme_before.values()) >= 8

    call_command("purge_due", as_of=(scheduled.closed_at + timedelta(days=29)).isoformat(), verbosity=0)
    assert _counts(acme.company.pk) == acme_before
    assert Company.objects.get(pk=acme.company.pk).status == Company.Status.CLOSED

    call_command("purge_due", as_of=(scheduled.closed_at + timedelta(days=31)).isoformat(), verbosity=0)
    assert set(_counts(acme.company.pk).values()) == {0}
    assert _counts(globex.company.pk) == globex_before
    with tenant_context(globex.company.pk):  # globex's sealed values still open: its key is untouched
        assert Contact.objects.get(pk=globex.contact.pk).email == "globexsecret@client.example"
    assert not export_file.exists() and globex_file.exists()
    leftover_mail = [p.read_bytes() for p in (tmp_path / "mail").glob("*.eml")]
    about_acme = [m for m in leftover_mail if b"acme.example" in m]
    assert len(about_acme) == 1 and b"Deletion certificate" in about_acme[0]  # only the certificate, sent last
    assert any(b"charlie@globex.example" in m for m in leftover_mail)  # another company's mail stays

    tombstone = Company.objects.get(pk=acme.company.pk)
    assert tombstone.status == Company.Status.PURGED and tombstone.name == "" and tombstone.purged_at
    scheduled.refresh_from_db()
    assert scheduled.state == ScheduledPurge.State.DONE and scheduled.contact_email == ""
    certificate = DeletionCertificate.objects.get(purge=scheduled)
    assert certificate.body["rows_deleted"] == acme_before
    assert certificate.body["rows_remaining_total"] == 0 and certificate.body["keys_destroyed"] >= 1
    assert certificate.body["users_anonymised"] == 2 and certificate.policy_version == policy.current_label()
    # The policy notice of a removed user goes with them; another company's user keeps theirs.
    assert list(PolicyNotice.objects.values_list("pk", flat=True)) == [notices[globex.owner.pk].pk]
    for user in (acme.owner, bob):
        gone = User.objects.get(pk=user.pk)
        assert gone.email.endswith("@deleted.invalid") and gone.full_name == "" and not gone.is_active
        assert not gone.has_usable_password()
    assert User.objects.get(pk=globex.owner.pk).email == globex.owner.email
    assert RetainedAggregate.objects.filter(metric="invoices").exists()
    assert AuditEvent.objects.filter(company_id=acme.company.pk, event=AuditEvent.Event.PURGE_COMPLETED).count() == 1

    dump = _pg_dump()
    assert b"GLOBEXSECRET" in dump  # the dump is real and holds the other company's data
    for value in ACME_VALUES:
        assert value.encode() not in dump, value


@pytest.mark.policy("RET-3")
@pytest.mark.django_db
@pytest.mark.parametrize("closed_at, due_on", [
    (datetime(2027, 12, 31, 23, 59, 30, tzinfo=UTC), "2028-01-30"),  # across the year's end
    (datetime(2028, 1, 31, 0, 0, tzinfo=UTC), "2028-03-01"),  # across a leap February
    (datetime(2028, 2, 29, 12, 0, tzinfo=UTC), "2028-03-30"),  # from a leap day
])
def test_purge_is_due_thirty_days_after_closing_across_month_and_year_ends(acme, client, settings, closed_at,
                                                                           due_on):
    settings.RETENTION_GRACE_DAYS = 30
    scheduled = services.close_company(company=acme.company, actor=acme.owner, reason=ScheduledPurge.Reason.OWNER,
                                       now=closed_at)
    assert scheduled.closed_at == closed_at and scheduled.due_at == closed_at + timedelta(days=30)
    outbox.sweep()
    closed_mail = [m for m in mail.outbox if m.subject.startswith("Your company is closed")]
    assert len(closed_mail) == 1 and due_on in closed_mail[0].subject and due_on in closed_mail[0].body
    assert f"{closed_at:%Y-%m-%d %H:%M} UTC" in closed_mail[0].body
    client.force_login(acme.owner)
    assert f"its data will be deleted on {due_on}" in client.get("/companies/").content.decode()

    assert purge.run_due_purges(as_of=scheduled.due_at - timedelta(seconds=1)) == []
    assert [o.result for o in purge.run_due_purges(as_of=scheduled.due_at)] == [purge.Result.DONE]


@pytest.mark.django_db
@pytest.mark.policy("CON-5")
@pytest.mark.policy("RET-1")
def test_certificate_is_emailed_to_the_former_owner_and_running_again_changes_nothing(acme):
    scheduled = _close(acme)
    due = scheduled.due_at + timedelta(hours=1)
    assert [o.result for o in purge.run_due_purges(as_of=due)] == [purge.Result.DONE]
    certificate_mail = [m for m in mail.outbox if "Deletion certificate" in m.subject]
    assert len(certificate_mail) == 1 and certificate_mail[0].to == [acme.owner.email]
    assert "ACMESECRET" not in certificate_mail[0].body and "Rows deleted" in certificate_mail[0].body
    digest = DeletionCertificate.objects.get().digest
    assert purge.run_due_purges(as_of=due) == []
    assert purge.purge_company(purge_id=scheduled.pk, as_of=due) is purge.Result.DONE
    assert DeletionCertificate.objects.get().digest == digest
    assert len([m for m in mail.outbox if "Deletion certificate" in m.subject]) == 1


@pytest.mark.django_db
@pytest.mark.policy("RET-1")
def test_member_of_another_company_keeps_the_account(acme, globex):
    dora = add_member(acme.company, email="dora@example.com", role=Membership.Role.MEMBER)
    Membership.objects.create(user=dora, company=globex.company, role=Membership.Role.MEMBER)
    scheduled = _close(acme)
    purge.run_due_purges(as_of=scheduled.due_at)
    assert User.objects.get(pk=dora.pk).email == "dora@example.com"
    assert not Membership.objects.filter(company=acme.company).exists()
    assert Membership.objects.filter(user=dora, company=globex.company).exists()


@pytest.mark.policy("RET-5")
@pytest.mark.django_db
def test_retained_totals_have_no_company_and_one_purge_is_held_back_unseen(acme):
    from retention.selectors import retained_aggregates

    with tenant_context(acme.company.pk):  # the invoice's own month, not today's: a leap day
        Invoice.objects.filter(pk=acme.invoice.pk).update(issue_date=date(2028, 2, 29))
    scheduled = _close(acme)
    purge.run_due_purges(as_of=scheduled.due_at)
    columns = {f.column for f in RetainedAggregate._meta.concrete_fields}
    assert not any("company" in column or "user" in column for column in columns)
    row = RetainedAggregate.objects.get(metric="invoices", month=date(2028, 2, 1))
    assert (row.count, row.pending_count, row.pending_contributors) == (0, 1, 1)  # pending: not yet in the total
    assert retained_aggregates() == []  # not even the month shows before enough companies go out with it


@pytest.mark.django_db
def test_dry_run_lists_and_changes_nothing(acme, capsys):
    scheduled = _close(acme)
    before = _counts(acme.company.pk)
    call_command("purge_due", "--dry-run", as_of=scheduled.due_at.isoformat())
    out = capsys.readouterr().out
    assert f"company {acme.company.pk}:" in out and "due now" in out and "ledger_contact: 1" in out
    assert _counts(acme.company.pk) == before


@pytest.mark.django_db
def test_officer_closes_a_company_by_command(acme, capsys):
    call_command("close_company", str(acme.company.pk), reason="Verified letter ref. 2026-114")
    scheduled = ScheduledPurge.objects.get(company=acme.company)
    assert scheduled.reason == "officer" and scheduled.note == "Verified letter ref. 2026-114"
    assert scheduled.contact_email == acme.owner.email
    event = AuditEvent.objects.get(event=AuditEvent.Event.COMPANY_CLOSED)
    assert event.actor_id is None and event.data["reason"] == "officer"
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="already closed"):
        call_command("close_company", str(acme.company.pk), reason="again")
    with pytest.raises(CommandError, match="no company"):
        call_command("close_company", "999999", reason="x")


@pytest.mark.django_db
def test_bad_as_of_is_a_clear_error(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="ISO date-time"):
        call_command("purge_due", as_of="next tuesday")
