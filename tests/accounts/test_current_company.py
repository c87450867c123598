"""RET-2: "the current company" has one owner (accounts.tenancy), and nesting restores it on every path."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from accounts.selectors import resolve_membership
from accounts.tenancy import TenancyError, current_company_id, entering_company_sql, tenant_context
from ledger import services as ledger_services
from ledger.models import Contact

pytestmark = [pytest.mark.django_db, pytest.mark.policy("RET-2")]


def _visible_contact_companies() -> list[int]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT company_id FROM ledger_contact ORDER BY id")
        return [row[0] for row in cursor.fetchall()]


def test_a_service_context_inside_a_request_keeps_the_requests_company(acme):
    """The probe of issue 10: it used to see 1 contact before and 0 after."""
    with transaction.atomic():
        resolve_membership(user=acme.owner, company_id=acme.company.pk)
        assert _visible_contact_companies() == [acme.company.pk]
        with tenant_context(acme.company.pk):
            pass
        assert _visible_contact_companies() == [acme.company.pk]
        assert current_company_id() == acme.company.pk


def test_another_company_inside_a_request_is_left_for_the_requests_company(acme, globex):
    with transaction.atomic():
        resolve_membership(user=acme.owner, company_id=acme.company.pk)
        with tenant_context(globex.company.pk):
            assert _visible_contact_companies() == [globex.company.pk]
            with tenant_context(acme.company.pk):
                assert _visible_contact_companies() == [acme.company.pk]
            assert _visible_contact_companies() == [globex.company.pk]
        assert _visible_contact_companies() == [acme.company.pk]


def test_an_exception_in_a_nested_context_restores_the_outer_company(acme, globex):
    with transaction.atomic():
        resolve_membership(user=acme.owner, company_id=acme.company.pk)
        with pytest.raises(LookupError), tenant_context(globex.company.pk):
            raise LookupError
        assert _visible_contact_companies() == [acme.company.pk]


def test_a_database_error_in_a_nested_context_restores_the_outer_company(acme, globex):
    with tenant_context(acme.company.pk):
        with pytest.raises(DatabaseError), tenant_context(globex.company.pk), connection.cursor() as cursor:
            cursor.execute("SELECT * FROM does_not_exist")
        assert _visible_contact_companies() == [acme.company.pk]


def test_a_strangers_lookup_enters_no_company(acme, charlie):
    from django.http import Http404

    with transaction.atomic():
        with pytest.raises(Http404):
            resolve_membership(user=charlie, company_id=acme.company.pk)
        assert current_company_id() is None
        assert _visible_contact_companies() == []


@pytest.mark.django_db(transaction=True)
def test_entering_a_company_outside_a_transaction_fails_loudly(acme):
    """Outside a transaction the setting would last one statement and the rows vanish silently."""
    with pytest.raises(TenancyError):
        entering_company_sql(acme.company.pk)


def test_a_service_enters_its_company_itself_from_any_caller(acme, globex):
    """A task, the admin or a shell calls services with no company set; they work, and leave none set."""
    contact = ledger_services.create_record(company=acme.company, model=Contact, actor=None, fields={"name": "New"})
    assert contact.company_id == acme.company.pk
    with tenant_context(acme.company.pk):
        ledger_services.create_record(company=acme.company, model=Contact, actor=None, fields={"name": "Other"})
        assert Contact.objects.filter(name__in=["New", "Other"]).count() == 2
    with transaction.atomic():
        assert current_company_id() is None



def test_a_service_refuses_a_company_other_than_the_requests(acme, globex):
    """RLS stays the second wall: inside Acme's request, a service asked for Globex writes nothing."""
    with transaction.atomic():
        resolve_membership(user=acme.owner, company_id=acme.company.pk)
        with pytest.raises(TenancyError, match="is current"):
            ledger_services.create_record(company=globex.company, model=Contact, actor=None, fields={"name": "X"})
        assert _visible_contact_companies() == [acme.company.pk]
    with tenant_context(globex.company.pk):
        assert not Contact.objects.filter(name="X").exists()


def test_the_prepared_membership_lookup_loads_what_the_orm_loads(acme):
    """Issue 16: the membership and company come from prepared SQL (accounts/rows.py), field for field."""
    from accounts.models import Membership

    with transaction.atomic():
        membership = resolve_membership(user=acme.owner, company_id=acme.company.pk)
        assert current_company_id() == acme.company.pk
    stored = Membership.objects.select_related("company").get(user=acme.owner, company=acme.company)
    for instance, expected in ((membership, stored), (membership.company, stored.company)):
        fields = [f.attname for f in type(expected)._meta.concrete_fields]
        assert [getattr(instance, name) for name in fields] == [getattr(expected, name) for name in fields]
        assert not instance._state.adding


def test_a_closed_companys_lookup_enters_no_company(acme):
    from django.http import Http404

    from retention import services as retention_services
    from retention.models import ScheduledPurge

    retention_services.close_company(company=acme.company, actor=acme.owner, reason=ScheduledPurge.Reason.OWNER)
    with transaction.atomic():
        with pytest.raises(Http404):
            resolve_membership(user=acme.owner, company_id=acme.company.pk)
        assert current_company_id() is None
