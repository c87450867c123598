"""The purge plan covers everything: a new table or personal field fails here until it has a purge rule."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.core import checks
from django.test import override_settings

from accounts.services import ANONYMISED_USER_FIELDS
from privacy import registry
from retention import purge

pytestmark = [pytest.mark.django_db]

# Personal data held per user rather than per company, and the purge rule that removes it
# (accounts.services.anonymise_users); tests below hold the registry to this list.
USER_SCOPE_RULES = {
    "accounts.User": "anonymised (ANONYMISED_USER_FIELDS)",
    "sessions.Session": "end_sessions",
    "knox.AuthToken": "end_api_tokens",
    "axes.AccessAttempt": "deleted by username",
    "axes.AccessLog": "deleted by username",
    "axes.AccessFailureLog": "deleted by username",
    "admin.LogEntry": "deleted by user",
    "otp_totp.TOTPDevice": "accounts.two_factor.forget",
    "otp_static.StaticDevice": "accounts.two_factor.forget",
    "otp_static.StaticToken": "accounts.two_factor.forget (with its device)",
    "consent.ConsentEvent": "consent.services.forget, with the company's own rows",
    "consent.Consent": "consent.services.forget",
    "consent.UnsubscribeToken": "consent.services.forget",
    "privacy.PolicyNotice": "privacy.policy.forget_users",
}
# Personal fields outside company and user scope, and what blanks them.
OTHER_PERSONAL_FIELDS = {
    "accounts.Company.name": "tombstone: blanked in the cleanup step",
    "retention.ScheduledPurge.contact_email": "blanked when the purge is done",
    **{f"privacy.Inquiry.{name}": "blanked PRIVACY_INQUIRY_KEEP_DAYS after closing (privacy.inquiries.erase_expired)"
       for name in ("name", "email", "message", "user", "extension_reason", "resolution_note")},
    "privacy.Inquiry.client_index": "blanked an hour after receipt (privacy.inquiries.submit, erase_expired)",
    "privacy.InquiryEvent.text": "blanked with its inquiry (privacy.inquiries.erase_expired)",
}


def test_every_table_with_company_id_is_purged_or_kept_for_a_stated_reason():
    planned = {m._meta.db_table for m in purge.purge_plan()}
    tables = set(purge.tables_with_company_id())
    assert tables - planned - purge.KEPT_WITH_COMPANY_ID.keys() - purge.ERASED_IN_CLEANUP.keys() == set()
    assert planned & purge.KEPT_WITH_COMPANY_ID.keys() == set()
    assert (planned | purge.KEPT_WITH_COMPANY_ID.keys()) & purge.ERASED_IN_CLEANUP.keys() == set()
    assert purge.KEPT_WITH_COMPANY_ID.keys() <= tables


def test_plan_deletes_children_before_the_tables_they_reference():
    plan = purge.purge_plan()
    for index, model in enumerate(plan):
        for field in model._meta.concrete_fields:
            if field.is_relation and field.related_model in plan and field.related_model is not model:
                assert plan.index(field.related_model) > index, (model._meta.label, field.name)


def test_every_personal_field_has_a_purge_rule():
    company_models = {m._meta.label for m in purge.purge_plan()}
    uncovered = []
    for label, policy in registry.REGISTRY.items():
        personal = [name for name, field in policy.fields.items() if field.personal]
        if not personal or label in company_models or label in USER_SCOPE_RULES:
            continue
        uncovered += [f"{label}.{name}" for name in personal if f"{label}.{name}" not in OTHER_PERSONAL_FIELDS]
    assert uncovered == []


def test_user_anonymisation_covers_exactly_the_registry_fields():
    policy = registry.REGISTRY["accounts.User"]
    assert {n for n, f in policy.fields.items() if f.erasure is registry.Erasure.ANONYMISE} == set(
        ANONYMISED_USER_FIELDS)
    user_scope_personal = {label for label, p in registry.REGISTRY.items()
                           if p.scope is registry.Scope.USER and any(f.personal for f in p.fields.values())}
    assert user_scope_personal == set(USER_SCOPE_RULES)
    assert all(apps.get_model(label) for label in USER_SCOPE_RULES)


@pytest.mark.policy("RET-3")
@pytest.mark.parametrize(("days", "ok"), [(0, True), (30, True), (31, False), (-1, False)])
def test_grace_period_above_30_days_is_refused_by_a_system_check(days, ok):
    with override_settings(RETENTION_GRACE_DAYS=days):
        errors = [e for e in checks.run_checks() if e.id == "retention.E001"]
    assert (errors == []) is ok
