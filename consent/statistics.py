"""Consent's anonymous daily counts (PUR-2): invitations sent, and consents given per purpose.

Invitations are tenant rows, counted by ``consent_statistic`` (``consent/statistics.sql``),
three numbers per day. A consent is a person's own choice (a company's, for support access):
its contributors are the subjects who gave it, each person counted once.
"""

from __future__ import annotations

from datetime import date

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
        return statistics.count_per(given, "user_id", "company_id")

    return collect


for _purpose in PURPOSES.values():
    statistics.register(f"consents.{_purpose.id}", label=f"Consents given: {_purpose.label}",
                        kind=statistics.FLOW, collect=_grants(_purpose.id))
