"""The owner's export: a ZIP of JSON and CSV per model, built by a worker, downloaded once (ACCU-1)."""

from __future__ import annotations

import io
import json
import os
import zipfile
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from accounts.models import AuditEvent, OutboxMessage
from accounts.tenancy import tenant_context
from privacy import exports, policy, services
from privacy.models import DataExport
from privacy.tasks import build_export_task

pytestmark = pytest.mark.django_db


def _request_and_build(client, tenant) -> DataExport:
    client.force_login(tenant.owner)
    response = client.post(f"/companies/{tenant.company.pk}/export/")
    assert response.status_code == 302
    message = OutboxMessage.objects.filter(handler="privacy.start_export").latest("id")
    assert set(message.payload) == {"company_id", "export_id"}  # ids only
    build_export_task.run(**message.payload)
    with tenant_context(tenant.company.pk):
        return DataExport.objects.get(pk=message.payload["export_id"])


def _download(client, tenant, export):
    with tenant_context(tenant.company.pk):
        token = services.download_token(export)
    return client.get(f"/companies/{tenant.company.pk}/export/{export.pk}/download/{token}/")


@pytest.mark.policy("ACCU-1", "SHR-1")
def test_owner_exports_every_record_as_json_and_csv_without_credentials(client, acme, globex):
    export = _request_and_build(client, acme)
    assert export.status == DataExport.Status.READY and export.progress == 100 and export.rows_written >= 7
    page = client.get(f"/companies/{acme.company.pk}/export/").content.decode()
    assert "Download (once" in page and "consult your accountant" in page

    response = _download(client, acme, export)
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    names = set(archive.namelist())
    for label in ("ledger.Contact", "ledger.Invoice", "ledger.InvoiceLine", "ledger.BankAccount",
                  "ledger.BankConnection", "ledger.BankTransaction", "accounts.Company"):
        assert {f"{label}.json", f"{label}.csv"} <= names
    readme = archive.read("README.txt").decode()
    assert "consult your accountant" in readme
    assert f"under the privacy policy version {policy.current_label()} (" in readme
    contacts = json.loads(archive.read("ledger.Contact.json"))
    assert contacts[0]["email"] == "acmesecret@client.example" and contacts[0]["name"] == "ACMESECRET Contact"
    assert "acmesecret@client.example" in archive.read("ledger.Contact.csv").decode()
    everything = b"".join(archive.read(n) for n in names)
    assert b"ACMESECRET-bank-password" not in everything and b"ACMESECRET-login" not in everything
    assert b"GLOBEXSECRET" not in everything
    connection_rows = json.loads(archive.read("ledger.BankConnection.json"))
    assert "credentials" not in connection_rows[0] and connection_rows[0]["provider"] == "Open Banking"


def test_the_link_works_once_and_the_file_is_deleted(client, acme):
    export = _request_and_build(client, acme)
    path = exports.file_path(export)
    assert path.exists()
    assert _download(client, acme, export).status_code == 200
    assert not path.exists()
    again = _download(client, acme, export)
    assert again.status_code == 410 and b"already downloaded" in again.content
    events = AuditEvent.objects.filter(company_id=acme.company.pk, subject_type="privacy.DataExport",
                                       subject_id=export.pk).values_list("event", flat=True)
    assert list(events) == ["export.requested", "export.ready", "export.downloaded"]


def test_a_forged_or_expired_link_is_refused(client, acme):
    export = _request_and_build(client, acme)
    bad = client.get(f"/companies/{acme.company.pk}/export/{export.pk}/download/not-a-token/")
    assert bad.status_code == 410 and b"not valid" in bad.content
    with tenant_context(acme.company.pk):
        DataExport.objects.filter(pk=export.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert _download(client, acme, export).status_code == 410


def test_hourly_sweep_deletes_expired_files_and_marks_them(client, acme, settings):
    export = _request_and_build(client, acme)
    # The sweep ages a file by its mtime, which the kernel's clock wrote: pin it, then sweep at pinned times.
    written = datetime(2028, 2, 29, 23, 30, tzinfo=UTC)
    os.utime(exports.file_path(export), (written.timestamp(), written.timestamp()))
    ttl = timedelta(hours=settings.PRIVACY_EXPORT_TTL_HOURS)
    assert exports.sweep_expired_files(now=written + ttl - timedelta(minutes=1)) == 0
    assert exports.file_path(export).exists()
    assert exports.sweep_expired_files(now=written + ttl + timedelta(minutes=1)) == 1
    assert not exports.file_path(export).exists()
    with tenant_context(acme.company.pk):
        assert DataExport.objects.get(pk=export.pk).status == DataExport.Status.EXPIRED


def test_progress_is_shown_while_the_export_is_prepared(client, acme):
    client.force_login(acme.owner)
    with tenant_context(acme.company.pk):
        export = services.request_export(company=acme.company, actor=acme.owner)
        DataExport.objects.filter(pk=export.pk).update(status=DataExport.Status.RUNNING, progress=42, rows_written=420)
    page = client.get(f"/companies/{acme.company.pk}/export/").content.decode()
    assert '<progress max="100" value="42">' in page and '<meta http-equiv="refresh"' in page
    with tenant_context(acme.company.pk):  # asking again while one is running starts no second build
        assert services.request_export(company=acme.company, actor=acme.owner).pk == export.pk


def test_only_the_owner_can_export(client, acme, bob):
    client.force_login(bob)
    assert client.get(f"/companies/{acme.company.pk}/export/").status_code == 403
    assert client.post(f"/companies/{acme.company.pk}/export/").status_code == 403


def test_amounts_and_dates_are_one_machine_readable_format(client, acme):
    """Pages show "$1,234.50" and "15 Jan 2026"; the export keeps numbers numbers (issue 14), as its README says."""
    import csv

    response = _download(client, acme, _request_and_build(client, acme))
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    assert '"-1250000.50"' in archive.read("README.txt").decode() and "ISO 8601" in archive.read("README.txt").decode()
    transaction_row = next(csv.DictReader(io.StringIO(archive.read("ledger.BankTransaction.csv").decode())))
    assert (transaction_row["amount"], transaction_row["booked_on"]) == ("12.34", "2026-01-15")
    line = json.loads(archive.read("ledger.InvoiceLine.json"))[0]
    assert (line["quantity"], line["unit_price"]) == ("2.00", "50.00")
    invoice = next(csv.DictReader(io.StringIO(archive.read("ledger.Invoice.csv").decode())))
    assert invoice["currency"] == "USD"


@pytest.mark.policy("SAF-2")
def test_csv_cells_that_a_spreadsheet_would_run_are_neutralised_and_json_keeps_them(client, acme):
    """OWASP CSV injection (issue 15): =, +, -, @, tab and carriage return lead a formula."""
    import csv

    from ledger.models import Contact

    payloads = ['=HYPERLINK("http://evil.example","click")', "+1+2", "-2+3", "@SUM(A1:A9)", "=cmd|' /C calc'!A0",
                "\tTabbed", "\rReturned"]
    with tenant_context(acme.company.pk):
        for payload in payloads:
            Contact.objects.create(company=acme.company, name=payload)
    archive_bytes = b"".join(_download(client, acme, _request_and_build(client, acme)).streaming_content)
    archive = zipfile.ZipFile(io.BytesIO(archive_bytes))
    cells = [row["name"] for row in csv.DictReader(io.StringIO(archive.read("ledger.Contact.csv").decode(),
                                                               newline=""))]
    for payload in payloads:
        assert "'" + payload in cells and payload not in cells
    assert set(payloads) <= {row["name"] for row in json.loads(archive.read("ledger.Contact.json"))}
    amounts = [row["amount"] for row in csv.DictReader(io.StringIO(archive.read("ledger.BankTransaction.csv").decode()))]
    assert amounts == ["12.34"]  # numbers are never text-prefixed


def test_negative_amounts_stay_numbers_in_the_csv():
    from decimal import Decimal

    assert exports.spreadsheet_safe(Decimal("-12.34")) == Decimal("-12.34")
    assert exports.spreadsheet_safe("-12.34") == "'-12.34"
    assert exports.spreadsheet_safe(None) == ""
