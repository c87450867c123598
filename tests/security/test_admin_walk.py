"""PUR-3, SAF-1: no admin path reaches a tenant's personal information or makes a membership.

Generated from the admin registry: every registered model, every action and every
changelist, add, change, delete and history view, read (GET) and submitted (POST), as the
Privacy Officer and as a superuser, with three companies' data present (one of them purged).
No response may contain any personal value the registry knows of, and no membership may
appear. A new admin class is walked without being listed here; one with no row to walk fails.
The one exception is an inquiry's own page: the officer reads the sender's name, email and
words there to answer them (ACC-2), and only there; each opening is audited.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from django.apps import apps
from django.contrib import admin
from django.test import RequestFactory
from django.urls import NoReverseMatch, reverse
from knox.models import AuthToken

from accounts import officers
from accounts.models import AuditEvent, Membership, User
from accounts.tenancy import TenantModel, tenant_context
from consent import services as consent_services
from privacy import inquiries, registry
from privacy.models import Inquiry, InquiryEvent
from retention import purge
from retention import services as retention_services
from retention.models import LegalHold, ScheduledPurge
from tests.conftest import PASSWORD, make_tenant, verified_login

pytestmark = [pytest.mark.django_db, pytest.mark.policy("PUR-3"), pytest.mark.policy("SAF-1")]

CLOSED_AT = datetime(2030, 4, 30, 23, 0, tzinfo=UTC)


@pytest.fixture
def estate(acme, globex, bob, guest):
    """Rows for every admin: grants, tokens, a hold, a running and a finished purge with its certificate."""
    consent_services.grant_support_access(company=acme.company, actor=acme.owner, days=3)
    consent_services.set_user_consents(user=bob, choices={"newsletter": True}, method="settings_form", actor=bob)
    consent_services.create_message(purpose="newsletter", subject="Spring news", text="Hello", actor=None)
    AuthToken.objects.create(user=acme.owner)
    inquiry = inquiries.submit(name="Ines Inquirer", email="ines@inquiries.example", kind=Inquiry.Kind.ACCESS,
                               message="INQUIRYSECRET what do you hold about me?", user=bob,
                               client_address="192.0.2.7")
    initech = make_tenant(email="dana@initech.example", full_name="Dana Initech", company_name="Initech",
                          secret="INITECHSECRET")
    secrets = _personal_values()  # before the purge destroys Initech's
    desk = officers.create_officer(email="desk@softhelpers.example", password=PASSWORD, actor=None)
    inquiries.answer(inquiry=inquiry, text="INQUIRYSECRET answer: your invoices", actor=desk)
    secrets |= _own_values_of(inquiry.pk)
    done = retention_services.close_company(company=initech.company, actor=None,
                                            reason=ScheduledPurge.Reason.OFFICER, note="verified letter",
                                            now=CLOSED_AT)
    assert purge.purge_company(purge_id=done.pk, as_of=done.due_at) is purge.Result.DONE
    retention_services.close_company(company=globex.company, actor=None, reason=ScheduledPurge.Reason.OFFICER,
                                     note="verified letter", now=CLOSED_AT)
    retention_services.place_legal_hold(company=globex.company, actor=None, reason="Tax audit",
                                        reference="Case 7", review_on=CLOSED_AT.date() + timedelta(days=90))
    return secrets


def _personal_values() -> set[str]:
    """Every personal value of every row, read as the registry classifies fields (tenant rows per company)."""
    values: set[str] = set()
    company_ids = list(apps.get_model("accounts", "Company").objects.values_list("pk", flat=True))
    for label, policy in registry.REGISTRY.items():
        model = apps.get_model(label)
        names = [name for name, field in policy.fields.items() if field.personal]
        if not names:
            continue
        if issubclass(model, TenantModel):
            for company_id in company_ids:
                with tenant_context(company_id):
                    values |= _values(model, names)
        else:
            values |= _values(model, names)
    # The fixtures' members are called "Bob" and "Guest": the second is also a role the admin shows.
    return {v for v in values if len(v) >= 4} - set(Membership.Role.labels)


def _values(model, names) -> set[str]:
    found = set()
    for row in model._base_manager.all():
        for name in names:
            value = getattr(row, name, None)
            if isinstance(value, str | int) and not isinstance(value, bool):
                found.add(str(value))
    return found


def _urls(model, obj_pk):
    info = (model._meta.app_label, model._meta.model_name)
    for view, args in (("changelist", ()), ("add", ()), ("change", (obj_pk,)), ("delete", (obj_pk,)),
                       ("history", (obj_pk,))):
        try:
            yield view, reverse(f"admin:{info[0]}_{info[1]}_{view}", args=args)
        except NoReverseMatch:
            continue


def _own_values_of(inquiry_pk: int) -> set[str]:
    """What an inquiry's own page may show: its sender's details and its timeline's texts."""
    inquiry = Inquiry.objects.get(pk=inquiry_pk)
    texts = InquiryEvent.objects.filter(inquiry=inquiry).values_list("text", flat=True)
    return {value for value in (inquiry.name, inquiry.email, inquiry.message, *texts) if len(value) >= 4}


def _walk(client, user, secrets) -> list[str]:
    """Every view and action of every registered admin; returns what was visited."""
    verified_login(client, user)
    visited = []
    for model, model_admin in admin.site._registry.items():
        pks = list(model._default_manager.order_by("pk").values_list("pk", flat=True))
        assert pks, f"{model._meta.label}: give the walk a row of this model"
        for view, url in _urls(model, pks[0]):
            for method in ("get", "post"):
                data = {"post": "yes"} if view == "delete" else {}
                response = getattr(client, method)(url, data)
                assert response.status_code in (200, 302, 403), (url, method, response.status_code)
                assert not response.get("Location", "").startswith(("/accounts/", "/admin/login/")), url  # walked, not sent away
                shown = _own_values_of(pks[0]) if model is Inquiry and view == "change" else set()
                _assert_discloses_nothing(response, secrets - shown, f"{method.upper()} {url}")
                visited.append(f"{method} {view} {model._meta.label}")
        request = RequestFactory().get("/")
        request.user = user
        changelist = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        for action in model_admin.get_actions(request):
            response = client.post(changelist, {"action": action, "_selected_action": pks, "post": "yes"})
            assert response.status_code in (200, 302, 403), (action, response.status_code)
            _assert_discloses_nothing(response, secrets, f"action {action} on {model._meta.label}")
            visited.append(f"action {action} {model._meta.label}")
    return visited


def _assert_discloses_nothing(response, secrets, where) -> None:
    body = response.content.decode(errors="replace")
    leaked = sorted(s for s in secrets if s in body)
    assert leaked == [], f"{where} shows personal values {leaked}"


@pytest.mark.parametrize("who", ["staff", "superuser"])
def test_no_admin_path_discloses_personal_values_or_makes_a_membership(client, estate, who, request):
    user = request.getfixturevalue(who)
    memberships = sorted(Membership.objects.values_list("pk", "company_id", "user_id", "role"))
    assert {"ACMESECRET Contact", "alice@acme.example", "Acme", "GLOBEXSECRET-bank-password",
            "ines@inquiries.example", "INQUIRYSECRET answer: your invoices"} <= estate
    visited = _walk(client, user, estate)
    assert {label.split()[-1] for label in visited} == {m._meta.label for m in admin.site._registry}
    assert sorted(Membership.objects.values_list("pk", "company_id", "user_id", "role")) == memberships
    assert not Membership.objects.filter(user=user).exists()


@pytest.mark.parametrize("who", ["staff", "superuser"])
def test_no_one_sets_or_resets_another_users_password_in_the_admin(client, alice, who, request):
    user = request.getfixturevalue(who)
    verified_login(client, user)
    before = User.objects.get(pk=alice.pk).password
    for url in (f"/admin/accounts/user/{alice.pk}/password/", f"/admin/accounts/user/{alice.pk}/change/"):
        client.post(url, {"password1": "a-new-password-99", "password2": "a-new-password-99", "email": "x@evil.example"})
    assert User.objects.get(pk=alice.pk).password == before
    page = client.get(f"/admin/accounts/user/{alice.pk}/password/", follow=True).content.decode()
    assert 'name="password1"' not in page


def test_the_officer_is_staff_in_the_group_and_not_a_superuser(staff):
    assert staff.is_staff and not staff.is_superuser
    assert sorted(staff.get_all_permissions()) == sorted(officers.PERMISSIONS)


def test_changes_through_the_admin_are_audited_without_values(client, staff, acme):
    verified_login(client, staff)
    review_on = date(2031, 1, 31)
    response = client.post("/admin/retention/legalhold/add/", {
        "company": acme.company.pk, "reason": "Court order", "reference": "Case 9", "review_on": review_on.isoformat()})
    assert response.status_code == 302
    hold = LegalHold.objects.get(company=acme.company)
    client.post("/admin/retention/legalhold/", {"action": "release", "_selected_action": [hold.pk]})
    events = AuditEvent.objects.filter(event=AuditEvent.Event.ADMIN_CHANGED, actor_id=staff.pk).order_by("pk")
    assert [(e.subject_type, e.subject_id, e.data) for e in events] == [
        ("retention.LegalHold", hold.pk, {"what": "add"}),
        ("retention.LegalHold", hold.pk, {"what": "action:release"}),
    ]
    assert LegalHold.objects.active_for(acme.company.pk).count() == 0


def test_the_admin_reads_no_tenant_table():
    """Nothing registered in the admin is tenant data: those rows are read only through the staff view."""
    assert [m for m in admin.site._registry if issubclass(m, TenantModel)] == []


@pytest.mark.parametrize("who", ["staff", "superuser"])
def test_only_the_declared_filters_work_so_counts_reveal_nothing(client, acme, who, request):
    """``?name__startswith=A`` on a hidden field would answer by its result count."""
    verified_login(client, request.getfixturevalue(who))
    for url in ("/admin/accounts/company/?name__startswith=A", "/admin/accounts/user/?email__startswith=alice",
                "/admin/retention/scheduledpurge/?contact_email__contains=acme"):
        assert client.get(url).status_code in (400, 403), url
    if who == "superuser":
        assert client.get("/admin/accounts/company/?status__exact=active").status_code == 200


def test_nothing_in_the_admin_is_writable_but_holds_messages_policy_drafts_and_the_officer_contact(rf, staff, superuser):
    writable = set()
    for user in (staff, superuser):
        request = rf.get("/admin/")
        request.user = user
        for model, model_admin in admin.site._registry.items():
            for can, what in ((model_admin.has_add_permission(request), "add"),
                              (model_admin.has_change_permission(request), "change"),
                              (model_admin.has_delete_permission(request), "delete")):
                if can:
                    writable.add((model._meta.label, what))
    # Policy versions: drafts only (a published version is final, in the admin and in the database);
    # inquiries change only through their buttons.
    assert writable == {("retention.LegalHold", "add"), ("consent.PurposeMessage", "add"),
                        ("privacy.PolicyVersion", "add"), ("privacy.PolicyVersion", "change"),
                        ("privacy.PolicyVersion", "delete"), ("privacy.OfficerContact", "change")}
