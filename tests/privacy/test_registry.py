"""The personal information registry covers every field of every model (and the check says so)."""

from __future__ import annotations

import json
import re

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from accounts.tenancy import tenant_models
from privacy import registry
from privacy.fields import sealed_fields

pytestmark = pytest.mark.policy("RET-2")


def test_registry_matches_the_models_exactly():
    assert registry.problems() == []
    call_command("check", verbosity=0)


def test_unclassified_field_fails_the_system_check(monkeypatch):
    contact = registry.REGISTRY["ledger.Contact"]
    fields = {k: v for k, v in contact.fields.items() if k != "phone"}
    monkeypatch.setitem(registry.REGISTRY, "ledger.Contact", registry.ModelPolicy(contact.scope, fields))
    with pytest.raises(SystemCheckError, match=r"ledger.Contact.phone: \(privacy.E001\)"):
        call_command("check", verbosity=0)


def test_classified_field_that_no_longer_exists_fails(monkeypatch):
    contact = registry.REGISTRY["ledger.Contact"]
    fields = {**contact.fields, "fax": registry.pi(registry.Category.CONTACT)}
    monkeypatch.setitem(registry.REGISTRY, "ledger.Contact", registry.ModelPolicy(contact.scope, fields))
    monkeypatch.setitem(registry.REGISTRY, "ledger.Gone", registry.ModelPolicy(registry.Scope.COMPANY, {}))
    found = {(check_id, obj) for check_id, obj, _ in registry.problems()}
    assert found == {("privacy.E002", "ledger.Contact.fax"), ("privacy.E002", "ledger.Gone")}


def test_encrypted_in_registry_must_match_the_field_type(monkeypatch):
    contact = registry.REGISTRY["ledger.Contact"]
    fields = {**contact.fields, "email": registry.pi(registry.Category.CONTACT), "name":
              registry.pi(registry.Category.IDENTITY, encrypted=True)}
    monkeypatch.setitem(registry.REGISTRY, "ledger.Contact", registry.ModelPolicy(contact.scope, fields))
    assert {obj for check_id, obj, _ in registry.problems() if check_id == "privacy.E003"} == {
        "ledger.Contact.email", "ledger.Contact.name"}


@pytest.mark.policy("SHR-1", "CON-2")
def test_credentials_are_encrypted_and_never_exported():
    for label, policy in registry.REGISTRY.items():
        for name, field in policy.fields.items():
            if field.category is registry.Category.CREDENTIALS:
                assert not field.exported, (label, name)
    connection_fields = registry.REGISTRY["ledger.BankConnection"].fields
    assert connection_fields["credentials"].encrypted and connection_fields["login_name"].encrypted


def test_every_tenant_model_is_company_scoped_and_personal_tenant_fields_are_erased():
    for model in tenant_models():
        policy = registry.policy_for(model)
        assert policy.scope is registry.Scope.COMPANY, model
        for name, field in policy.fields.items():
            assert field.erasure is not registry.Erasure.KEEP or not field.personal, (model, name)
        assert {f.name for f in sealed_fields(model)} == {n for n, f in policy.fields.items() if f.encrypted}


def test_pi_inventory_prints_table_and_json(capsys):
    call_command("pi_inventory", format="json")
    data = json.loads(capsys.readouterr().out)
    summary = data["summary"]
    assert summary["fields"] == len(data["fields"]) == sum(len(p.fields) for p in registry.REGISTRY.values())
    assert summary["encrypted"] == 9 and summary["personal"] > summary["encrypted"]  # 9th: BankImport.payload
    row = next(r for r in data["fields"] if r["model"] == "ledger.Contact" and r["field"] == "email")
    assert row == {"model": "ledger.Contact", "field": "email", "category": "contact", "personal": True,
                   "encrypted": True, "erasure": "delete row"}
    call_command("pi_inventory")
    table = capsys.readouterr().out
    assert re.search(r"ledger.BankConnection +credentials +credentials +yes +delete row", table)
    assert f"{summary['models']} models" in table
