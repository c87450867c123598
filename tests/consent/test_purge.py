"""CON-5, RET-5: consent rows go with their subject in the purge; only per-purpose totals without ids remain."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import DatabaseError, connection, transaction

from consent import ledger, services, tokens
from consent.models import Consent, ConsentEvent, Method, UnsubscribeToken
from retention import purge
from retention import services as retention_services
from retention.models import RetainedAggregate, ScheduledPurge

pytestmark = [pytest.mark.django_db]

CLOSED_AT = datetime(2032, 1, 31, 12, 0, tzinfo=UTC)


def _consent(user, purpose, at):
    services.set_user_consents(user=user, choices={purpose: True}, method=Method.SETTINGS_FORM, actor=user, now=at)


@pytest.mark.policy("CON-5")
@pytest.mark.policy("RET-5")
def test_purge_forgets_the_company_and_its_removed_users_and_keeps_others_chains(acme, bob, globex):
    _consent(bob, "newsletter", CLOSED_AT - timedelta(days=40))
    _consent(acme.owner, "product_info", CLOSED_AT - timedelta(days=40))
    _consent(globex.owner, "newsletter", CLOSED_AT - timedelta(days=40))
    services.grant_support_access(company=acme.company, actor=acme.owner, days=2, now=CLOSED_AT - timedelta(days=1))
    services.grant_support_access(company=globex.company, actor=globex.owner, days=2, now=CLOSED_AT)
    bob_link = tokens.token_for(user_id=bob.pk, purpose="newsletter")
    closed = retention_services.close_company(company=acme.company, actor=acme.owner,
                                              reason=ScheduledPurge.Reason.OWNER, now=CLOSED_AT)
    assert ConsentEvent.objects.filter(company=acme.company).order_by("-id")[0].method == Method.SETTINGS_FORM
    assert purge.purge_company(purge_id=closed.pk, as_of=closed.due_at) is purge.Result.DONE

    gone = [acme.owner.pk, bob.pk]
    assert not ConsentEvent.objects.filter(user_id__in=gone).exists()
    assert not ConsentEvent.objects.filter(company=acme.company).exists()
    assert not Consent.objects.filter(user_id__in=gone).exists() and not Consent.objects.filter(company=acme.company)
    assert not UnsubscribeToken.objects.filter(user_id__in=gone).exists() and tokens.find(bob_link) is None
    assert Consent.objects.filter(user=globex.owner, purpose="newsletter", granted=True).exists()
    assert Consent.objects.filter(company=globex.company, purpose="support_access", granted=True).exists()
    assert [b for b in ledger.verify_chains() if not isinstance(b, int)] == []
    month = (CLOSED_AT - timedelta(days=40)).date().replace(day=1)
    totals = dict(RetainedAggregate.objects.filter(metric__startswith="consents.")  # one purge: held back
                  .values_list("metric", "pending_count"))
    assert totals == {"consents.newsletter": 1, "consents.product_info": 1, "consents.support_access": 1}
    assert RetainedAggregate.objects.get(metric="consents.newsletter").month == month
    certificate = closed.__class__.objects.get(pk=closed.pk).certificate
    assert certificate.body["rows_remaining_total"] == 0


def test_the_forget_function_refuses_an_active_company_and_spares_users_not_removed(acme, bob):
    _consent(bob, "newsletter", CLOSED_AT)
    services.grant_support_access(company=acme.company, actor=acme.owner, days=1, now=CLOSED_AT)
    with pytest.raises(DatabaseError, match="not closed"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT consent_forget(%s, %s)", [acme.company.pk, [bob.pk]])
    with connection.cursor() as cursor:
        cursor.execute("SELECT consent_forget(NULL, %s)", [[bob.pk, acme.owner.pk]])
        assert cursor.fetchone()[0] == 0
    assert ConsentEvent.objects.count() == 2
