"""Staff support access (PUR-3): staff see a company's data only while its owner's grant is in force.

The grant is the company's ``support_access`` consent (granted, revoked and expired as ledger
events, consent/services.py); every view that returns data is audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction

from accounts.audit import record_event
from accounts.models import AuditEvent, Company, User
from accounts.tenancy import tenant_context
from consent import selectors
from consent.exceptions import SupportAccessRefused
from consent.models import Consent
from privacy import exports

PERMISSION = "consent.view_company_data"


@dataclass(frozen=True)
class StaffTable:
    label: str
    columns: list[str]
    rows: list[list[Any]]


@transaction.atomic
def view_company_data_as_staff(*, company: Company, staff: User, limit: int) -> tuple[Consent, list[StaffTable]]:
    """The first ``limit`` records of each kind, for staff, under the company's grant in force.

    Raise SupportAccessRefused without a grant, or for staff without the officer's permission.
    """
    if not staff.has_perm(PERMISSION):
        raise SupportAccessRefused("Only the Privacy officer may open a company's data.")
    grant = selectors.support_access(company=company)
    if grant is None:
        raise SupportAccessRefused("This company has not granted support access.")
    tables = []
    with tenant_context(company.pk):
        for model in exports.exported_models():
            fields = exports.exported_fields(model)
            rows = [[getattr(r, f.attname) for f in fields]
                    for r in exports.company_rows(model, company.pk).order_by("pk")[:limit]]
            tables.append(StaffTable(str(model._meta.verbose_name_plural), [f.name for f in fields], rows))
        record_event(event=AuditEvent.Event.STAFF_VIEWED_PI, company_id=company.pk, actor_id=staff.pk,
                     data={"view": "company data", "rows": sum(len(t.rows) for t in tables)})
    return grant, tables
