"""Sealed personal fields: per-company keys, bound to their place, kept apart from the data."""

from __future__ import annotations

import pytest
from django.core.exceptions import FieldError
from django.db import DatabaseError, connection, transaction
from django.test import override_settings

from accounts.tenancy import tenant_context
from ledger.models import BankAccount, BankConnection, Contact
from privacy import crypto, keys
from privacy.fields import Sealed

pytestmark = pytest.mark.django_db


def _raw(company_id: int, table: str, column: str, row_id: int) -> bytes:
    with tenant_context(company_id), connection.cursor() as cursor:
        cursor.execute(f'SELECT "{column}" FROM {table} WHERE id = %s', [row_id])
        return bytes(cursor.fetchone()[0])


@pytest.mark.policy("RET-2", "SHR-1", "CON-2")
def test_sealed_columns_hold_no_plain_value(acme):
    cases = [("ledger_contact", "email", acme.contact.pk, "acmesecret@client.example"),
             ("ledger_contact", "address", acme.contact.pk, "1 ACMESECRET Street"),
             ("ledger_bankaccount", "account_number", acme.bank_account.pk, "ACMESECRET-ACC-42"),
             ("ledger_bankconnection", "credentials", acme.bank_connection.pk, "ACMESECRET-bank-password"),
             ("ledger_bankconnection", "login_name", acme.bank_connection.pk, "ACMESECRET-login")]
    for table, column, row_id, plain in cases:
        stored = _raw(acme.company.pk, table, column, row_id)
        assert plain.encode() not in stored and b"ACMESECRET" not in stored
        assert stored[0] == crypto.VERSION and len(stored) == len(plain.encode()) + crypto.OVERHEAD
    with tenant_context(acme.company.pk):
        assert Contact.objects.get(pk=acme.contact.pk).email == "acmesecret@client.example"
        assert BankConnection.objects.get(pk=acme.bank_connection.pk).credentials == "ACMESECRET-bank-password"


@pytest.mark.policy("RET-2")
def test_each_company_seals_with_its_own_key(acme, globex):
    acme_key = crypto.key_id_of(_raw(acme.company.pk, "ledger_contact", "email", acme.contact.pk))
    globex_key = crypto.key_id_of(_raw(globex.company.pk, "ledger_contact", "email", globex.contact.pk))
    assert acme_key != globex_key


@pytest.mark.policy("RET-2")
def test_value_copied_to_another_row_or_field_fails_to_decrypt(acme):
    with tenant_context(acme.company.pk):
        other = Contact.objects.create(company=acme.company, name="Other", email="other@example.com")
    sealed_email = _raw(acme.company.pk, "ledger_contact", "email", acme.contact.pk)
    with tenant_context(acme.company.pk), connection.cursor() as cursor:
        cursor.execute("UPDATE ledger_contact SET email = %s, phone = %s WHERE id = %s",
                       [sealed_email, sealed_email, other.pk])
        copied = Contact.objects.get(pk=other.pk)
        with pytest.raises(crypto.DecryptionError):
            _ = copied.email
        with pytest.raises(crypto.DecryptionError):
            _ = copied.phone


@pytest.mark.policy("RET-2")
def test_value_copied_to_another_company_fails_to_decrypt(acme, globex):
    sealed_email = _raw(acme.company.pk, "ledger_contact", "email", acme.contact.pk)
    with tenant_context(globex.company.pk), connection.cursor() as cursor:
        cursor.execute("UPDATE ledger_contact SET email = %s WHERE id = %s", [sealed_email, globex.contact.pk])
        with pytest.raises(crypto.DecryptionError):
            _ = Contact.objects.get(pk=globex.contact.pk).email


def test_tampered_value_fails_to_decrypt(acme):
    sealed = bytearray(_raw(acme.company.pk, "ledger_contact", "email", acme.contact.pk))
    sealed[-1] ^= 1
    with tenant_context(acme.company.pk):
        key = keys.key_by_id(acme.company.pk, crypto.key_id_of(bytes(sealed)))
        place = crypto.Place(acme.company.pk, "ledger.Contact", "email", acme.contact.pk)
        with pytest.raises(crypto.DecryptionError):
            crypto.open_sealed(bytes(sealed), key=key, place=place)


@pytest.mark.policy("RET-2")
def test_app_role_cannot_read_the_key_store_table(acme):
    with pytest.raises(DatabaseError, match="permission denied"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT wrapped FROM keystore.data_key")


@pytest.mark.policy("RET-2")
def test_key_store_serves_only_the_current_company(acme, globex):
    globex_key = crypto.key_id_of(_raw(globex.company.pk, "ledger_contact", "email", globex.contact.pk))
    keys.forget_cached_keys()
    with pytest.raises(DatabaseError, match="not the current tenant"), tenant_context(acme.company.pk):
        keys.key_by_id(globex.company.pk, globex_key)
    with pytest.raises(DatabaseError, match="not the current tenant"), transaction.atomic():
        keys.active_key(acme.company.pk)  # no company set at all


@pytest.mark.policy("RET-2")
def test_destroying_the_company_keys_makes_every_copy_unreadable(acme, globex):
    copy = _raw(acme.company.pk, "ledger_bankaccount", "account_number", acme.bank_account.pk)
    with tenant_context(acme.company.pk):
        assert keys.destroy_company_keys(acme.company.pk) == 1
        with pytest.raises(keys.KeyDestroyed):
            _ = BankAccount.objects.get(pk=acme.bank_account.pk).account_number
        with pytest.raises(keys.KeyDestroyed):
            keys.key_by_id(acme.company.pk, crypto.key_id_of(copy))
    with tenant_context(globex.company.pk):  # another company is untouched
        assert BankAccount.objects.get(pk=globex.bank_account.pk).account_number == "GLOBEXSECRET-ACC-42"


def test_data_keys_open_only_with_a_configured_master_key(acme):
    keys.forget_cached_keys()
    with override_settings(PRIVACY_MASTER_KEYS=[keys.new_master_key_text()]), tenant_context(acme.company.pk):
        with pytest.raises(crypto.DecryptionError, match="master key"):
            _ = Contact.objects.get(pk=acme.contact.pk).email
    keys.forget_cached_keys()


def test_sealed_fields_cannot_be_filtered_or_bulk_updated(acme):
    with tenant_context(acme.company.pk):
        with pytest.raises(FieldError):
            list(Contact.objects.filter(email__icontains="acme"))
        with pytest.raises(TypeError, match="sealed"), transaction.atomic():
            Contact.objects.filter(pk=acme.contact.pk).update(email="x@example.com")


def test_loaded_value_stays_sealed_until_read_and_saves_without_resealing(acme):
    with tenant_context(acme.company.pk):
        contact = Contact.objects.get(pk=acme.contact.pk)
        assert isinstance(contact.__dict__["email"], Sealed)
        before = _raw(acme.company.pk, "ledger_contact", "email", contact.pk)
        contact.name = "Renamed"
        contact.save()
        assert _raw(acme.company.pk, "ledger_contact", "email", contact.pk) == before


@pytest.mark.policy("RET-2")
def test_the_fused_read_path_opens_exactly_what_the_general_one_does(acme):
    """Issue 16: ``open_many`` (every attribute read, every page) binds the same place as ``open_sealed``."""
    with tenant_context(acme.company.pk):
        key = keys.active_key(acme.company.pk)
        place = crypto.Place(acme.company.pk, "ledger.Contact", "email", 4242)
        sealed = crypto.seal("zoë@example.com", key=key, place=place)
        prefix = crypto.place_prefix(acme.company.pk, "ledger.Contact", "email")
        assert crypto.open_many([(sealed, 4242)], keys.key_by_id, acme.company.pk, prefix) == ["zoë@example.com"]
        assert crypto.open_sealed(sealed, key=key, place=place) == "zoë@example.com"
        for wrong_prefix, row in ((prefix, 4243), (crypto.place_prefix(acme.company.pk, "ledger.Contact", "phone"), 4242)):
            with pytest.raises(crypto.DecryptionError):
                crypto.open_many([(sealed, row)], keys.key_by_id, acme.company.pk, wrong_prefix)
        with pytest.raises(crypto.DecryptionError):
            crypto.open_many([(sealed[:10], 4242)], keys.key_by_id, acme.company.pk, prefix)


@pytest.mark.policy("RET-2")
def test_a_page_of_rows_is_opened_in_batches_exactly_as_reads_would(acme, monkeypatch):
    """Issue 16: ``open_all`` (API lists) gives what reading each attribute gives, one key lookup per batch."""
    from privacy.fields import open_all

    with tenant_context(acme.company.pk):
        for n in range(5):
            Contact.objects.create(company=acme.company, name=f"Batch {n}", email=f"b{n}@example.com",
                                   phone=f"+44 {n}", address="")
        expected = [(c.pk, c.email, c.phone, c.address) for c in Contact.objects.filter(company=acme.company)]
        lookups: list[int] = []
        real = keys.key_by_id
        monkeypatch.setattr(keys, "key_by_id", lambda company_id, key_id: lookups.append(key_id) or real(
            company_id, key_id))
        rows = list(Contact.objects.filter(company=acme.company))
        open_all(rows, attnames={"email"})
        assert all(row.__dict__["phone"].plaintext is None for row in rows if row.__dict__["phone"])  # not asked for
        assert len(lookups) == 1  # one batch: one key lookup for every email of the page
        open_all(rows)
        assert [(c.pk, c.__dict__["email"].plaintext, c.phone, c.address) for c in rows] == expected
        others = {name for name in ("phone", "address") for c in rows if c.__dict__[name]}
        assert len(lookups) == 1 + len(others)  # one batch per field that holds a value

        moved = list(Contact.objects.filter(company=acme.company).order_by("pk")[:2])
        moved[0].__dict__["email"] = moved[1].__dict__["email"]  # another row's value: its place differs
        with pytest.raises(crypto.DecryptionError):
            open_all(moved)



@pytest.mark.policy("RET-2")
def test_rows_of_two_companies_are_opened_each_with_its_own_key(acme, globex):
    from privacy.fields import open_all

    with tenant_context(acme.company.pk):
        ours = list(Contact.objects.filter(company=acme.company))
    with tenant_context(globex.company.pk):
        theirs = list(Contact.objects.filter(company=globex.company))
    expected = [(c.pk, c.email) for c in [*ours, *theirs]]
    with tenant_context(acme.company.pk):
        ours = list(Contact.objects.filter(company=acme.company))
    with tenant_context(globex.company.pk):
        theirs = list(Contact.objects.filter(company=globex.company))
    mixed = [*ours, *theirs]
    open_all(mixed)
    assert [(c.pk, c.__dict__["email"].plaintext) for c in mixed] == expected
    assert all(c.email for c in mixed)


@pytest.mark.policy("RET-2")
def test_a_batch_opens_rows_whose_company_column_was_not_loaded(acme):
    from privacy.fields import open_all

    with tenant_context(acme.company.pk):
        expected = {c.pk: c.email for c in Contact.objects.filter(company=acme.company)}
        rows = list(Contact.objects.filter(company=acme.company).only("pk", "email"))
        open_all(rows)
        assert {c.pk: c.__dict__["email"].plaintext for c in rows} == expected


@pytest.mark.policy("SHR-1")
def test_whether_credentials_are_stored_is_known_without_opening_them(acme, monkeypatch):
    from privacy import fields

    monkeypatch.setattr(fields._SealedAttribute, "open_values", lambda *args: pytest.fail("opened"))
    with tenant_context(acme.company.pk):
        loaded = BankConnection.objects.get(pk=acme.bank_connection.pk)
        deferred = BankConnection.objects.defer("credentials").get(pk=acme.bank_connection.pk)
        assert fields.is_stored(loaded, "credentials") is fields.is_stored(deferred, "credentials") is True
