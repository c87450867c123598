"""Helpers of the retention tests: ask for the Shutdown Company link and read it from the mailbox."""

from __future__ import annotations

import re
from typing import Any

from django.core import mail

from accounts import outbox
from tests.conftest import PASSWORD, Tenant

LINK = re.compile(r"https?://[^/\s]+(/companies/\d+/shutdown/confirm/[0-9a-f]{64}/)")


def ask_for_shutdown(client: Any, tenant: Tenant) -> str:
    """As the owner: Shutdown Company, password, "Yes, Shutdown Now."; return the emailed link's path."""
    client.force_login(tenant.owner)
    response = client.post(f"/companies/{tenant.company.pk}/shutdown/", {"password": PASSWORD})
    assert response.status_code == 302, response.content
    outbox.sweep()
    return latest_link(tenant.owner.email)


def latest_link(address: str) -> str:
    for message in reversed(mail.outbox):
        if message.to == [address]:
            match = LINK.search(message.body)
            if match:
                return match.group(1)
    raise AssertionError(f"no shutdown link was mailed to {address}")
