"""Key rotation: a company's data key, and the master key; interrupted rotations resume."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import override_settings

from accounts.models import AuditEvent
from accounts.tenancy import tenant_context
from ledger.models import BankConnection, Contact
from privacy import crypto, keys, rotation

pytestmark = pytest.mark.django_db


def _key_ids(company_id: int, table: str, column: str) -> set[int]:
    with tenant_context(company_id), connection.cursor() as cursor:
        cursor.execute(f'SELECT "{column}" FROM {table} WHERE company_id = %s AND length("{column}") > 0',
                       [company_id])
        return {crypto.key_id_of(bytes(row[0])) for row in cursor.fetchall()}


def _add_contacts(company, count: int) -> None:
    with tenant_context(company.pk):
        for i in range(count):
            Contact.objects.create(company=company, name=f"C{i}", email=f"c{i}@example.com", phone=f"+1 555 {i:04d}")


def _readable(company) -> list[tuple[str, str]]:
    keys.forget_cached_keys()
    with tenant_context(company.pk):
        values = [(c.email, c.phone) for c in Contact.objects.filter(company=company).order_by("id")]
        assert BankConnection.objects.get(company=company).credentials.endswith("-bank-password")
    return values


@pytest.mark.policy("RET-2", "SAF-1")
def test_company_key_rotation_reseals_every_value_and_destroys_the_old_key(acme, globex):
    _add_contacts(acme.company, 5)
    before, globex_keys = _readable(acme.company), _key_ids(globex.company.pk, "ledger_contact", "email")
    (old_key,) = _key_ids(acme.company.pk, "ledger_contact", "email")

    result = rotation.rotate_company_key(company_id=acme.company.pk, actor_id=None, batch_size=2)

    assert result.retired_key_ids == [old_key] and result.values_resealed == 6 * 3 - 5 + 1 + 2
    for table, column in [("ledger_contact", "email"), ("ledger_bankaccount", "account_number"),
                          ("ledger_bankconnection", "credentials")]:
        assert _key_ids(acme.company.pk, table, column) == {result.new_key_id}
    assert _readable(acme.company) == before
    with tenant_context(acme.company.pk):
        assert [k for k, _ in keys.company_keys(acme.company.pk)] == [result.new_key_id]
    assert _key_ids(globex.company.pk, "ledger_contact", "email") == globex_keys
    event = AuditEvent.objects.get(company_id=acme.company.pk, event=AuditEvent.Event.KEY_ROTATED)
    assert event.data["destroyed_key_ids"] == [old_key]


def test_interrupted_rotation_resumes_and_loses_nothing(acme):
    _add_contacts(acme.company, 7)
    before = _readable(acme.company)
    (old_key,) = _key_ids(acme.company.pk, "ledger_contact", "email")
    seen = []

    def crash_after_three_batches(rows: int) -> None:
        seen.append(rows)
        if len(seen) == 3:
            raise KeyboardInterrupt  # the operator's Ctrl-C, or a killed process between batches

    with pytest.raises(KeyboardInterrupt):
        rotation.rotate_company_key(company_id=acme.company.pk, actor_id=None, batch_size=2,
                                    progress=crash_after_three_batches)
    half = _key_ids(acme.company.pk, "ledger_contact", "email")
    assert old_key in half and len(half) == 2  # half-way: both keys in use, both still exist
    assert _readable(acme.company) == before

    result = rotation.rotate_company_key(company_id=acme.company.pk, actor_id=None, batch_size=2)
    assert result.retired_key_ids == [old_key]
    assert _key_ids(acme.company.pk, "ledger_contact", "email") == {result.new_key_id}
    assert _readable(acme.company) == before
    assert AuditEvent.objects.filter(company_id=acme.company.pk,
                                     event=AuditEvent.Event.KEY_ROTATION_STARTED).count() == 1


def test_rotate_keys_command_for_one_company(acme):
    (old_key,) = _key_ids(acme.company.pk, "ledger_contact", "email")
    call_command("rotate_keys", company=acme.company.pk, verbosity=0)
    assert _key_ids(acme.company.pk, "ledger_contact", "email").isdisjoint({old_key})
    assert _readable(acme.company)[0] == ("acmesecret@client.example", "+1 555 0100")


@pytest.mark.django_db(transaction=True, databases=["default", "owner"])
@pytest.mark.policy("RET-2")
def test_master_key_rotation_rewraps_every_data_key(acme, globex):
    old = list(keys.master_keys())
    new_text = keys.new_master_key_text()
    from django.conf import settings

    with override_settings(PRIVACY_MASTER_KEYS=[new_text, *settings.PRIVACY_MASTER_KEYS]):
        assert rotation.rewrap_master(actor_id=None) >= 2
        assert set(keys.keys_per_master()) == {keys.current_master().id}
    with override_settings(PRIVACY_MASTER_KEYS=[new_text]):  # the old master key is gone
        assert keys.current_master().id not in {m.id for m in old}
        assert _readable(acme.company)[0] == ("acmesecret@client.example", "+1 555 0100")
        assert _readable(globex.company)[0] == ("globexsecret@client.example", "+1 555 0100")
    assert AuditEvent.objects.filter(event=AuditEvent.Event.MASTER_KEY_REWRAPPED).exists()
    keys.forget_cached_keys()
