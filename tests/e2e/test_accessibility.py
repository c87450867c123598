"""Issue 14: axe-core (the npm package's build, shipped by axe-playwright-python) finds no critical or
serious violation on the pages a person walks: public, signed in, the ledger and its forms."""

from __future__ import annotations

import pytest
from django.urls import reverse
from knox.models import AuthToken

from tests.e2e.conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

BLOCKING = {"critical", "serious"}
PUBLIC = ["/", "/accounts/login/", "/accounts/signup/", "/accounts/password/reset/", "/privacy/",
          "/privacy/versions/", "/privacy/versions/2013-08-15/", "/privacy/officer/", "/privacy/contact/", "/cookies/"]


def _signed_in_pages(acme) -> list[str]:
    company = acme.company.pk
    pages = ["/companies/", f"/c/{company}/", f"/companies/{company}/manage/", f"/companies/{company}/export/",
             f"/companies/{company}/shutdown/", f"/companies/{company}/invitations/", "/accounts/consents/",
             "/accounts/password/change/", "/accounts/two-factor/", "/accounts/two-factor/setup/", "/accounts/tokens/"]
    AuthToken.objects.create(user=acme.owner)  # the tokens page with its table, not its empty state
    for kind, record in (("contacts", acme.contact), ("invoices", acme.invoice), ("bank-accounts", acme.bank_account),
                         ("bank-connections", acme.bank_connection), ("bank-transactions", acme.bank_transaction)):
        pages += [reverse(f"ledger:{kind}-{view}", kwargs={"company_id": company, **extra})
                  for view, extra in (("list", {}), ("create", {}), ("detail", {"pk": record.pk}),
                                      ("edit", {"pk": record.pk}))]
    pages += [reverse(f"ledger:invoices-{view}", kwargs={"company_id": company, "pk": acme.invoice.pk})
              for view in ("print", "send")]  # issue 14: the invoice's print view and its send page
    return pages + _bank_import_pages(acme)


def _bank_import_pages(acme) -> list[str]:
    """The statement upload form and a preview waiting for "Import N transactions" (issue 14)."""
    from pathlib import Path

    from accounts.tenancy import tenant_context
    from ledger import imports

    statement = (Path(__file__).resolve().parents[1] / "ledger" / "fixtures" / "statement.csv").read_bytes()
    with tenant_context(acme.company.pk):
        waiting = imports.upload_statement(company=acme.company, actor=acme.owner, bank_account=acme.bank_account,
                                           data=statement)
    return [reverse("ledger:bank-import-upload", kwargs={"company_id": acme.company.pk, "pk": acme.bank_account.pk}),
            reverse("ledger:bank-import-detail", kwargs={"company_id": acme.company.pk, "import_id": waiting.pk})]


def _violations(page, url: str) -> list[tuple[str, str, str, int]]:
    from axe_playwright_python.sync_playwright import Axe

    page.goto(url)
    found = Axe().run(page).response["violations"]
    return [(url.split("//", 1)[-1].split("/", 1)[-1], v["id"], v["impact"], len(v["nodes"])) for v in found]


def test_no_critical_or_serious_axe_violation_on_the_pages_we_render(live_server, browser, acme):
    context = browser.new_context()
    page = context.new_page()
    try:
        found = [v for path in PUBLIC for v in _violations(page, live_server.url + path)]
        log_in(page, live_server.url, acme.owner.email)
        found += [v for path in _signed_in_pages(acme) for v in _violations(page, live_server.url + path)]
    finally:
        context.close()
    counts = {impact: sum(1 for v in found if v[2] == impact) for impact in ("critical", "serious", "moderate", "minor")}
    print("axe violations by impact (rule x page):", counts, sorted({(v[1], v[2]) for v in found}))
    assert [v for v in found if v[2] in BLOCKING] == []
