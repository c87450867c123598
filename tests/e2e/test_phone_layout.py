"""Issue 14: at a phone's width (390 px, and 360 px) no page we render scrolls sideways; wide tables scroll in their card."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.e2e.conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _pages(acme) -> list[str]:
    company = acme.company.pk
    ledger = [reverse(f"ledger:{kind}-list", kwargs={"company_id": company})
              for kind in ("contacts", "invoices", "bank-accounts", "bank-connections", "bank-transactions")]
    details = [reverse("ledger:invoices-detail", kwargs={"company_id": company, "pk": acme.invoice.pk}),
               reverse("ledger:contacts-detail", kwargs={"company_id": company, "pk": acme.contact.pk}),
               reverse("ledger:invoices-create", kwargs={"company_id": company}),
               reverse("ledger:invoices-edit", kwargs={"company_id": company, "pk": acme.invoice.pk}),
               reverse("ledger:invoices-print", kwargs={"company_id": company, "pk": acme.invoice.pk}),
               reverse("ledger:invoices-send", kwargs={"company_id": company, "pk": acme.invoice.pk}),
               reverse("ledger:bank-transactions-detail", kwargs={"company_id": company, "pk": acme.bank_transaction.pk})]
    from tests.e2e.test_accessibility import _bank_import_pages

    details.append(reverse("ledger:bank-accounts-detail", kwargs={"company_id": company, "pk": acme.bank_account.pk}))
    return ["/companies/", f"/c/{company}/", f"/companies/{company}/manage/", f"/companies/{company}/export/",
            "/accounts/consents/", "/privacy/", "/privacy/contact/", *ledger, *details, *_bank_import_pages(acme)]


@pytest.mark.parametrize("width", [390, 360])
def test_no_page_scrolls_sideways_on_a_phone(live_server, browser, acme, width):
    context = browser.new_context(viewport={"width": width, "height": 800})
    page = context.new_page()
    try:
        for path in ("/", "/accounts/login/", "/accounts/signup/"):
            page.goto(f"{live_server.url}{path}")
            assert page.evaluate("document.documentElement.scrollWidth") <= width, path
        log_in(page, live_server.url, acme.owner.email)
        too_wide = {}
        for path in _pages(acme):
            page.goto(f"{live_server.url}{path}")
            scroll = page.evaluate("document.documentElement.scrollWidth")
            if scroll > width:
                too_wide[path] = scroll
        assert too_wide == {}
    finally:
        context.close()
