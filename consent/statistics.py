"""Consent's anonymous daily counts (PUR-2): invitations sent, and consents given per purpose.

Invitations are tenant rows, counted by ``consent_statistic`` (``consent/statistics.sql``),
three numbers per day. A consent is a person's own choice (a company's, for support access),
but the rule is about companies (PUR-2): each grant counts for the companies its subject
belongs to, and a figure needs that many companies, none supplying most of it. People who
belong to no company count as one part together (never as many small ones).
"""

from __future__ import annotations

from datetime import date

from django.db.models import Count
from django.db.models.functions import Coalesce

from consent.models import ConsentEvent
from consent.purposes import PURPOSES
from privacy import statistics


@statistics.collector("invitations", label="Invitations sent", kind=statistics.FLOW)
def _invitations(first: date, end: date) -> statistics.Figure:
    return statistics.from_function("consent_statistic", "invitations", first, end)


def _grants(purpose: str) -> statistics.Collector:
    def collect(first: date, end: date) -> statistics.Figure:
        start, stop = statistics.span(first, end)
        given = ConsentEvent.objects.filter(purpose=purpose, granted=True, at__gte=start, at__lt=stop)
        parts = (given.order_by().annotate(part=Coalesce("company_id", "user__memberships__company_id"))
                 .values("part").annotate(n=Count("pk", distinct=True)).values_list("n", flat=True))
        return statistics.Figure.of_parts(parts, value=given.count())

    return collect


for _purpose in PURPOSES.values():
    statistics.register(f"consents.{_purpose.id}", label=f"Consents given: {_purpose.label}",
                        kind=statistics.FLOW, collect=_grants(_purpose.id))
