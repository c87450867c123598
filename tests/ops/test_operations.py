"""/healthz, seed_demo and the local-mode mailbox."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings

from accounts import outbox
from accounts.models import Company, Membership, OutboxMessage, User
from accounts.tenancy import tenant_context, tenant_models
from softhelpers import localservers

pytestmark = pytest.mark.django_db


def test_healthz_reports_database_and_broker(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "broker": "ok"}
    assert "no-cache" in response["Cache-Control"]


def test_healthz_stays_up_and_says_so_when_the_broker_is_down(client, broker):
    localservers.stop_redis(broker)
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "degraded", "database": "ok", "broker": "down"}


def _rows(company: Company) -> int:
    with tenant_context(company.pk):
        return sum(model.objects.count() for model in tenant_models())


def test_seed_demo_creates_owner_company_and_exact_row_count():
    call_command("seed_demo", email="seed@example.com", password="a-long-test-password-42", company="Seeded",
                 size=737, verbosity=0)
    membership = Membership.objects.select_related("company").get(user__email="seed@example.com")
    assert membership.role == Membership.Role.OWNER
    assert _rows(membership.company) == 737
    with tenant_context(membership.company.pk):
        from ledger.models import Invoice

        assert Invoice.objects.filter(lines__isnull=True).count() == 0

    call_command("seed_demo", email="seed@example.com", password="a-long-test-password-42", company="Seeded",
                 size=100, verbosity=0)
    assert _rows(membership.company) == 837  # the same owner and company again, more rows
    assert Company.objects.count() == 1


@pytest.mark.parametrize("size", [0, 1, 3, 4, 7])
def test_seed_demo_handles_tiny_sizes(size):
    call_command("seed_demo", email="tiny@example.com", password="a-long-test-password-42", company="Tiny",
                 size=size, verbosity=0)
    assert _rows(Company.objects.get(name="Tiny")) == size


@pytest.mark.django_db(transaction=True, databases=["default", "owner"])
def test_seed_demo_analyzes_what_it_bulk_loaded():
    from django.db import connections

    call_command("seed_demo", email="big@example.com", password="a-long-test-password-42", company="Big",
                 size=10_000, verbosity=0)
    with connections["owner"].cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE relname = 'ledger_banktransaction'")
        assert cursor.fetchone()[0] > 1000  # the planner knows the table is no longer empty


def test_seed_demo_refuses_a_wrong_password_for_an_existing_email(acme):
    with pytest.raises(CommandError, match="another password"):
        call_command("seed_demo", email="alice@acme.example", password="not-hers-at-all", company="X", size=1,
                     verbosity=0)


def test_local_mail_is_written_as_eml_and_listed(client, acme, settings, tmp_path):
    settings.EMAIL_BACKEND = "accounts.mail.EmlFileBackend"
    settings.MAIL_DIR = tmp_path
    for message in OutboxMessage.objects.all():
        outbox.deliver(message.pk)
    files = list(tmp_path.glob("*.eml"))
    assert len(files) == 1
    assert b"Welcome to Soft Helpers" in files[0].read_bytes()
    listing = client.get("/dev/mail/")
    assert listing.status_code == 200 and b"Welcome to Soft Helpers" in listing.content
    detail = client.get(f"/dev/mail/{files[0].name}")
    assert b"Your Soft Helpers account is ready" in detail.content
    assert client.get("/dev/mail/nope.eml").status_code == 404


def test_dev_mailbox_does_not_exist_outside_local_mode(client):
    with override_settings(LOCAL=False):
        assert client.get("/dev/mail/").status_code == 404


def test_user_str_holds_no_personal_value(acme):
    assert "alice" not in str(User.objects.get(pk=acme.owner.pk)).lower()


@pytest.mark.policy("SAF-4")
@pytest.mark.django_db(transaction=True)
def test_healthz_answers_503_json_while_postgresql_is_down(client):
    """A refused connection (the database's address leads nowhere), not a mock: 503 JSON, not a 500 page."""
    from django.db import connections

    database = connections["default"]
    saved = dict(database.settings_dict)
    database.close()
    database.settings_dict.update(HOST="/nonexistent-postgresql-socket-dir", PORT="5")
    try:
        response = client.get("/healthz")
    finally:
        database.close()
        database.settings_dict.clear()
        database.settings_dict.update(saved)
    assert response.status_code == 503 and response["Content-Type"] == "application/json"
    assert response.json() == {"status": "down", "database": "down", "broker": "ok"}
    assert client.get("/healthz").status_code == 200  # and back once it answers again
