"""The Privacy Officer's published contact (ACC-1): one record, seeded from the policy, edited by the officer.

The policy names the officer's postal address, email and phone; the seed below copies them. The
regulator is ours to name (the policy names none): where a person may complain about our
compliance if our answer does not satisfy them (CHL-1). The seed says so honestly: the
regulator where the person lives, with Canada's as the example, whose law the policy follows.

The one row is kept by the database (a constant unique column with a check), seeded by a data
migration and again after every flush (``ensure_seeded``), and changed only by ``update``, which
audits which fields changed (by name: the audit trail holds ids, names and flags, not free text).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from accounts.audit import record_event
from accounts.models import AuditEvent, User
from privacy.models import OfficerContact

SEED = {
    "title": "Privacy Officer",
    "postal_address": "Gohadpur Marala Road 51310\nSialkot, Punjab\nPakistan",
    "email": "info@softhelpers.com",
    "phone": "+92 300 961 5103",
    "regulator_name": "the privacy regulator where you live (in Canada, the Office of the Privacy Commissioner "
                      "of Canada)",
    "regulator_url": "https://www.priv.gc.ca/",
}
EDITABLE = tuple(SEED)


def ensure_seeded(manager: Any) -> None:
    """Create the record from the policy if there is none (a migration's historical manager works too)."""
    if not manager.exists():
        manager.create(**SEED)


@transaction.atomic
def update(*, actor: User, changes: dict[str, str], now: datetime | None = None) -> OfficerContact:
    """Change the published contact; audit which fields changed (the audit trail holds no free text)."""
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    now = now or timezone.now()
    contact = OfficerContact.objects.select_for_update().get()
    changed = {name: value for name, value in changes.items() if getattr(contact, name) != value}
    if not changed:
        return contact
    for name, value in changed.items():
        setattr(contact, name, value)
    contact.updated_at = now
    contact.full_clean()
    contact.save()
    record_event(event=AuditEvent.Event.OFFICER_CONTACT_CHANGED, company_id=None, actor_id=actor.pk, subject=contact,
                 data={"fields": ",".join(sorted(changed))}, now=now)
    return contact
