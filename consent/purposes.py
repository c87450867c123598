"""Why we may contact someone or reach into their data: the consent purposes (PUR-1, PUR-3, COO-3).

Each purpose has a stable id (stored in the ledger, sent by the API, never renamed) and a subject:
a user decides the message purposes and analytics cookies for themselves, a company's owner
decides support access for the company. No purpose is granted until its subject grants it.

Administrative messages (CON-6: shutdown, closure, certificate, policy changes, security,
invitations, password links) are not purposes: they go out whatever the consents say, and
carry no unsubscribe link.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Subject(StrEnum):
    USER = "user"
    COMPANY = "company"


@dataclass(frozen=True)
class Purpose:
    id: str
    label: str
    description: str
    subject: Subject
    message: bool = False  # the Privacy Officer may send messages for it, each with an unsubscribe link


PURPOSES: dict[str, Purpose] = {p.id: p for p in [
    Purpose("product_info", "Product information",
            "Occasional emails about what Soft Helpers can do for your business.", Subject.USER, message=True),
    Purpose("service_updates", "Service updates",
            "Emails about changes to the Services you use: new features, planned maintenance.", Subject.USER,
            message=True),
    Purpose("notifications", "Notifications about the Services",
            "Emails about activity in the Services that you may want to know about.", Subject.USER, message=True),
    Purpose("newsletter", "Newsletter",
            "Our newsletter: news and tips for small-business accounting.", Subject.USER, message=True),
    Purpose("tailored_savings", "Tailored savings opportunities",
            "Offers we think could save your business money, chosen from how you use Soft Helpers.",
            Subject.USER, message=True),
    Purpose("analytics_cookies", "Analytics cookies",
            "Google Analytics cookies that count visits to pages, without your name or your company.", Subject.USER),
    Purpose("support_access", "Support access",
            "Soft Helpers support may view this company's data for a limited time; every view is recorded.",
            Subject.COMPANY),
]}

MESSAGE_PURPOSES = [p for p in PURPOSES.values() if p.message]
SUPPORT_ACCESS = "support_access"
ANALYTICS_COOKIES = "analytics_cookies"


def get(purpose_id: str, *, subject: Subject | None = None) -> Purpose:
    """The purpose with this id (KeyError for an unknown one, or one of another subject)."""
    purpose = PURPOSES[purpose_id]
    if subject is not None and purpose.subject is not subject:
        raise KeyError(purpose_id)
    return purpose
