"""Issue 14, finding things: search, filters, sorting and cursor pages on the ledger lists (pages and
API alike), the contact picker's lookup and the invoice form that uses it, and the indexes behind them."""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest
from django.conf import settings
from django.db import DatabaseError, connection, connections, transaction
from django.test.utils import CaptureQueriesContext
from knox.models import AuthToken

from accounts.tenancy import tenant_context
from ledger import paging, services
from ledger.models import BankAccount, BankTransaction, Contact, Invoice, InvoiceLine
from privacy.log_scrubbing import scrub

pytestmark = pytest.mark.django_db

DAY = date(2031, 3, 10)  # the fixtures' records are dated otherwise; these tests date their own


def api_for(tenant, client):
    _, token = AuthToken.objects.create(user=tenant.owner)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


@pytest.fixture
def alice_api(acme, api_client):
    return api_for(acme, api_client)


@pytest.fixture
def alice_client(acme, client):
    client.force_login(acme.owner)
    return client


def url(tenant, resource: str) -> str:
    return f"/api/v1/companies/{tenant.company.pk}/{resource}/"


def page_url(tenant, resource: str) -> str:
    return f"/c/{tenant.company.pk}/{resource}/"


def add_contacts(tenant, *names: str) -> list[Contact]:
    with tenant_context(tenant.company.pk):
        return [services.create_record(company=tenant.company, model=Contact, actor=None,
                                       fields={"name": name, "email": f"c{i}@mail.example"})
                for i, name in enumerate(names)]


def add_invoices(tenant, rows: list[dict]) -> list[Invoice]:
    """Invoices straight into the table (the service is tested elsewhere), each with one line of its ``total``."""
    with tenant_context(tenant.company.pk):
        made = Invoice.objects.bulk_create([
            Invoice(company=tenant.company, contact=row.get("contact", tenant.contact), number=row["number"],
                    issue_date=row.get("issue_date", DAY), status=row.get("status", Invoice.Status.DRAFT))
            for row in rows])
        InvoiceLine.objects.bulk_create([
            InvoiceLine(company=tenant.company, invoice=invoice, description="Work", quantity=Decimal("1"),
                        unit_price=row.get("total", Decimal("10.00")))
            for invoice, row in zip(made, rows, strict=True)])
    return made


def add_transactions(tenant, rows: list[dict], account: BankAccount | None = None) -> list[BankTransaction]:
    with tenant_context(tenant.company.pk):
        return BankTransaction.objects.bulk_create([
            BankTransaction(company=tenant.company, bank_account=row.get("account", account or tenant.bank_account),
                            booked_on=row.get("booked_on", DAY), description=row.get("description", "Payment"),
                            counterparty=row.get("counterparty", ""), amount=row.get("amount", Decimal("1.00")))
            for row in rows])


def listed(response) -> list:
    return list(response.context["page"].rows)


def api_names(response, key: str = "name") -> list:
    assert response.status_code == 200, response.content
    return [row[key] for row in response.json()["results"]]


# --- search ----------------------------------------------------------------------------------------

def test_contact_search_matches_any_part_from_three_letters_and_word_starts_below(acme, globex, alice_api):
    add_contacts(acme, "Ada Lovelace", "Grace Hopper", "Adam Smith", "Lovisa Ek")
    add_contacts(globex, "Ada Lovelace (Globex)")
    assert sorted(api_names(alice_api.get(url(acme, "contacts"), {"search": "velac"}))) == ["Ada Lovelace"]
    assert sorted(api_names(alice_api.get(url(acme, "contacts"), {"search": "LOV"}))) == ["Ada Lovelace",
                                                                                          "Lovisa Ek"]
    assert sorted(api_names(alice_api.get(url(acme, "contacts"), {"search": "ad"}))) == ["Ada Lovelace",
                                                                                         "Adam Smith"]
    assert api_names(alice_api.get(url(acme, "contacts"), {"search": "ce"})) == []  # not a word start
    assert api_names(alice_api.get(url(acme, "contacts"), {"search": "h"})) == ["Grace Hopper"]
    assert sorted(api_names(alice_api.get(url(acme, "contacts"), {"search": "  ada   lov "}))) == ["Ada Lovelace"]
    assert "GLOBEX" not in alice_api.get(url(acme, "contacts"), {"search": "ada"}).content.decode()


def test_search_takes_like_wildcards_literally(acme, alice_api):
    add_contacts(acme, "100% Organic", "100 Percent", "A_B Ltd", "AxB Ltd")
    assert api_names(alice_api.get(url(acme, "contacts"), {"search": "0% o"})) == ["100% Organic"]
    assert api_names(alice_api.get(url(acme, "contacts"), {"search": "a_b"})) == ["A_B Ltd"]


def test_sealed_contact_fields_cannot_be_searched_and_the_page_says_so(acme, alice_api, alice_client):
    assert api_names(alice_api.get(url(acme, "contacts"), {"search": "acmesecret@client"})) == []
    page = alice_client.get(page_url(acme, "contacts"))
    assert b"Email, phone and address are stored sealed and cannot be searched" in page.content


def test_invoice_search_finds_by_number_and_by_contact_name(acme, globex, alice_api):
    ada, grace = add_contacts(acme, "Ada Lovelace", "Grace Hopper")
    add_invoices(acme, [{"number": "INV-2031-0042", "contact": grace}, {"number": "INV-2031-0043", "contact": ada},
                        {"number": "Q-7", "contact": grace}])
    by_number = alice_api.get(url(acme, "invoices"), {"search": "0042"})
    assert api_names(by_number, "number") == ["INV-2031-0042"]
    by_contact = alice_api.get(url(acme, "invoices"), {"search": "lovelace"})
    assert api_names(by_contact, "number") == ["INV-2031-0043"]
    either = alice_api.get(url(acme, "invoices"), {"search": "q", "sort": "number"})
    assert api_names(either, "number") == ["Q-7"]
    assert api_names(alice_api.get(url(acme, "invoices"), {"search": "globexsecret"}), "number") == []


def test_transaction_search_finds_by_description_and_counterparty(acme, globex, alice_api):
    add_transactions(acme, [{"description": "Office rent March", "counterparty": "Landlord Ltd"},
                            {"description": "Card payment", "counterparty": "Paper Supplies"},
                            {"description": "Interest", "counterparty": ""}])
    assert api_names(alice_api.get(url(acme, "bank-transactions"), {"search": "rent"}), "description") == [
        "Office rent March"]
    assert api_names(alice_api.get(url(acme, "bank-transactions"), {"search": "supplies"}), "description") == [
        "Card payment"]
    assert api_names(alice_api.get(url(acme, "bank-transactions"), {"search": "GLOBEXSECRET"}),
                     "description") == []


def test_page_search_shows_matches_keeps_the_term_and_says_when_none_match(acme, alice_client):
    add_contacts(acme, "Ada Lovelace", "Grace Hopper")
    found = alice_client.get(page_url(acme, "contacts"), {"search": "hopp"})
    assert [c.name for c in listed(found)] == ["Grace Hopper"]
    assert b'value="hopp"' in found.content and b"1 result" in found.content
    none = alice_client.get(page_url(acme, "contacts"), {"search": "zzzz"})
    assert listed(none) == [] and b"No contacts match." in none.content and b"0 results" in none.content


def test_search_in_the_access_log_is_scrubbed():
    line = scrub('GET /c/12/contacts/lookup/?q=Ada+Lovelace HTTP/1.1 "/c/12/invoices/?search=Lovelace&sort=number"')
    assert "Ada" not in line and "Lovelace" not in line
    assert line.startswith("GET /c/12/contacts/lookup/?q=[redacted] HTTP/1.1")


# --- filters ---------------------------------------------------------------------------------------

def test_invoice_status_and_issue_date_filters(acme, alice_api, alice_client):
    with tenant_context(acme.company.pk):  # the fixture's invoice, dated well before these
        Invoice.objects.filter(pk=acme.invoice.pk).update(issue_date=DAY - timedelta(days=400), status="void")
    add_invoices(acme, [{"number": "A", "status": "sent", "issue_date": DAY - timedelta(days=40)},
                        {"number": "B", "status": "sent", "issue_date": DAY},
                        {"number": "C", "status": "paid", "issue_date": DAY}])
    get = alice_api.get
    assert api_names(get(url(acme, "invoices"), {"status": "sent", "sort": "number"}), "number") == ["A", "B"]
    assert api_names(get(url(acme, "invoices"), {"issued_from": DAY.isoformat(), "sort": "number"}),
                     "number") == ["B", "C"]
    assert api_names(get(url(acme, "invoices"), {"issued_to": (DAY - timedelta(days=1)).isoformat()}),
                     "number") == ["A", "ACMESECRET-001"]
    assert api_names(get(url(acme, "invoices"), {"status": "sent", "issued_from": DAY.isoformat()}),
                     "number") == ["B"]
    page = alice_client.get(page_url(acme, "invoices"), {"status": "paid"})
    assert [invoice.number for invoice in listed(page)] == ["C"]


def test_transaction_account_date_and_amount_filters(acme, alice_api):
    with tenant_context(acme.company.pk):
        savings = services.create_record(company=acme.company, model=BankAccount, actor=None,
                                         fields={"name": "Savings", "holder_name": "Acme", "account_number": "S-1"})
    add_transactions(acme, [{"description": "small", "amount": Decimal("5.00")},
                            {"description": "big", "amount": Decimal("500.00"), "booked_on": DAY - timedelta(days=3)},
                            {"description": "out", "amount": Decimal("-80.00")}])
    add_transactions(acme, [{"description": "saved", "amount": Decimal("50.00")}], account=savings)
    listing = url(acme, "bank-transactions")

    def descriptions(**params):
        return sorted(api_names(alice_api.get(listing, params), "description"))

    assert descriptions(bank_account=savings.pk) == ["saved"]
    assert descriptions(amount_min="5", amount_max="100") == ["ACMESECRET payment", "saved", "small"]  # 12.34
    assert descriptions(amount_max="-0.01") == ["out"]
    assert descriptions(booked_to=(DAY - timedelta(days=1)).isoformat(), amount_min="100") == ["big"]
    assert descriptions(booked_from=DAY.isoformat(), bank_account=acme.bank_account.pk) == ["out", "small"]


def test_bank_connection_status_filter(acme, alice_api):
    assert api_names(alice_api.get(url(acme, "bank-connections"), {"status": "active"}), "id") == [
        acme.bank_connection.pk]
    assert api_names(alice_api.get(url(acme, "bank-connections"), {"status": "disconnected"}), "id") == []


@pytest.mark.parametrize("resource, params, field", [
    ("invoices", {"status": "lost"}, "status"),
    ("invoices", {"issued_from": "2031-02-30"}, "issued_from"),
    ("bank-transactions", {"amount_min": "lots"}, "amount_min"),
    ("bank-transactions", {"bank_account": "999999999"}, "bank_account"),
])
def test_a_bad_filter_value_is_a_400_in_the_api_and_shown_on_the_page(acme, alice_api, alice_client, resource,
                                                                        params, field):
    response = alice_api.get(url(acme, resource), params)
    assert response.status_code == 400 and field in response.json()
    page = alice_client.get(page_url(acme, resource), params)
    assert page.status_code == 200
    assert field in page.context["finder"].form.errors
    assert len(listed(page)) == 1  # the bad filter is ignored, the list still shows


@pytest.mark.policy("RET-2")
def test_another_companys_bank_account_is_not_a_filter_choice(acme, globex, alice_api, alice_client):
    response = alice_api.get(url(acme, "bank-transactions"), {"bank_account": globex.bank_account.pk})
    assert response.status_code == 400 and b"GLOBEX" not in response.content
    page = alice_client.get(page_url(acme, "bank-transactions"))
    assert b"ACMESECRET Main" in page.content and b"GLOBEXSECRET" not in page.content


# --- sorting ---------------------------------------------------------------------------------------

def test_every_sort_of_the_whitelist_orders_the_api_list(acme, alice_api):
    ada, zed = add_contacts(acme, "Ada", "Zed")
    add_invoices(acme, [{"number": "N-2", "contact": zed, "status": "sent", "issue_date": DAY, "total": Decimal("7")},
                        {"number": "N-1", "contact": ada, "status": "void", "issue_date": DAY - timedelta(days=1),
                         "total": Decimal("900")}])
    listing = url(acme, "invoices")
    expected = {"number": ["ACMESECRET-001", "N-1", "N-2"], "-number": ["N-2", "N-1", "ACMESECRET-001"],
                "contact": ["ACMESECRET-001", "N-1", "N-2"], "-contact": ["N-2", "N-1", "ACMESECRET-001"],
                "status": ["ACMESECRET-001", "N-2", "N-1"], "-status": ["N-1", "N-2", "ACMESECRET-001"]}
    for sort, numbers in expected.items():
        assert api_names(alice_api.get(listing, {"sort": sort}), "number") == numbers, sort
    dates = [row["issue_date"] for row in alice_api.get(listing).json()["results"]]
    assert dates == sorted(dates, reverse=True)  # the default: newest first


@pytest.mark.parametrize("resource", ["contacts", "invoices", "bank-accounts", "bank-connections",
                                      "bank-transactions"])
def test_a_list_without_parameters_is_the_list_in_its_default_sort(acme, alice_api, resource):
    """Issue 16: no finder is built for a bare list; it answers what the finder gives for the default sort."""
    from ledger import filters

    ada, zed, mia = add_contacts(acme, "Ada", "Zed", "Mia")
    add_transactions(acme, [{"description": f"Row {n}", "amount": Decimal(n), "booked_on": DAY - timedelta(days=n)}
                            for n in range(3)])
    add_invoices(acme, [{"number": f"D-{n}", "contact": contact, "status": "draft",
                         "issue_date": DAY - timedelta(days=n), "total": Decimal(n + 1)}
                        for n, contact in enumerate((zed, ada, mia))])
    accounts = [services.create_record(company=acme.company, model=BankAccount, actor=acme.owner,
                                       fields={"name": name, "bank_name": "Bank", "holder_name": "Holder", "account_number": "GB00 0000",
                                               "currency": "EUR"}) for name in ("Zeta", "Alpha", "Mu")]
    for n, account in enumerate(accounts):
        services.connect_bank(company=acme.company, actor=acme.owner, bank_account_id=account.pk,
                              provider=f"Provider {n}", login_name="login", credentials="secret")
    finder = {"contacts": filters.ContactFinder, "invoices": filters.InvoiceFinder,
              "bank-accounts": filters.BankAccountFinder, "bank-connections": filters.BankConnectionFinder,
              "bank-transactions": filters.BankTransactionFinder}[resource]
    bare = alice_api.get(url(acme, resource), {"page_size": 3})
    sorted_ = alice_api.get(url(acme, resource), {"page_size": 3, "sort": finder.default_sort})
    reverse = alice_api.get(url(acme, resource), {"page_size": 3, "sort": "-" + finder.default_sort.lstrip("-")
                                                  if not finder.default_sort.startswith("-")
                                                  else finder.default_sort.lstrip("-")})
    assert bare.status_code == sorted_.status_code == reverse.status_code == 200
    assert bare.json()["results"] == sorted_.json()["results"] and bare.json()["count"] == sorted_.json()["count"]
    assert bare.json()["results"] != reverse.json()["results"]  # the rows differ in that order: a real check


@pytest.mark.parametrize("sort", ["email", "-phone", "id; drop table", "name,id", "--name", "created_at"])
def test_a_sort_outside_the_whitelist_is_a_400_in_the_api_and_the_default_on_the_page(acme, alice_api,
                                                                                       alice_client, sort):
    add_contacts(acme, "Zed", "Ada")
    response = alice_api.get(url(acme, "contacts"), {"sort": sort})
    assert response.status_code == 400 and "sort" in response.json()
    page = alice_client.get(page_url(acme, "contacts"), {"sort": sort}, follow=True)
    assert page.status_code == 200
    assert [c.name for c in listed(page)] == ["ACMESECRET Contact", "Ada", "Zed"]
    assert b"cannot be sorted that way" in page.content


def test_column_headers_sort_and_say_which_way_with_aria_sort(acme, alice_client):
    add_contacts(acme, "Ada", "Zed")
    page = alice_client.get(page_url(acme, "contacts")).content.decode()
    assert re.search(r'<th scope="col" aria-sort="ascending"><a class="sort" href="\?sort=-name">Name', page)
    assert '<th scope="col">Email</th>' in page  # sealed: not sortable
    reversed_page = alice_client.get(page_url(acme, "contacts"), {"sort": "-name"})
    assert [c.name for c in listed(reversed_page)] == ["Zed", "Ada", "ACMESECRET Contact"]
    assert 'aria-sort="descending"><a class="sort" href="?sort=name"' in reversed_page.content.decode()
    invoices = alice_client.get(page_url(acme, "invoices"), {"status": "draft"}).content.decode()
    assert 'aria-sort="descending"><a class="sort" href="?status=draft&amp;sort=issue_date">Issued' in invoices
    assert '<th scope="col" class="num">Total</th>' in invoices  # computed per invoice: not sortable
    assert alice_client.get(page_url(acme, "invoices"), {"sort": "total"}).context["finder"].sort == "-issue_date"


# --- cursor pages ----------------------------------------------------------------------------------

def _walk(api, start: str, params: dict) -> list[dict]:
    rows, link, pages = [], start, 0
    response = api.get(link, params)
    while True:
        assert response.status_code == 200, response.content
        body = response.json()
        rows += body["results"]
        pages += 1
        assert pages < 50
        if not body["next"]:
            return rows
        response = api.get(body["next"])


@pytest.mark.parametrize("sort", ["-issue_date", "status", "-contact", "-status", "number"])
def test_cursor_pages_walk_every_invoice_once_in_order(acme, alice_api, sort):
    contacts = add_contacts(acme, "Ada", "Bea", "Cy")
    add_invoices(acme, [{"number": f"W-{i:03d}", "contact": contacts[i % 3], "status": ["draft", "sent", "paid"][i % 3],
                         "issue_date": DAY - timedelta(days=i % 7), "total": Decimal(i % 5)} for i in range(70)])
    rows = _walk(alice_api, url(acme, "invoices"), {"sort": sort, "page_size": 9})
    ids = [row["id"] for row in rows]
    assert len(ids) == len(set(ids)) == 71
    with tenant_context(acme.company.pk):
        from ledger import selectors
        key = {"-issue_date": "-issue_date", "status": "status", "-contact": "-contact__name", "-status": "-status",
               "number": "number"}[sort]
        expected = list(selectors.invoices(company=acme.company)
                        .order_by(key, "-pk" if key.startswith("-") else "pk").values_list("pk", flat=True))
    assert ids == expected


def test_cursor_pages_are_stable_while_rows_are_added(acme, alice_api):
    add_invoices(acme, [{"number": f"S-{i:03d}"} for i in range(30)])
    with tenant_context(acme.company.pk):
        before = set(Invoice.objects.values_list("pk", flat=True))
    first = alice_api.get(url(acme, "invoices"), {"sort": "number", "page_size": 10}).json()
    add_invoices(acme, [{"number": f"S-{i:03d}a"} for i in range(0, 30, 3)])  # some sort before the cursor, some after
    seen = [row["id"] for row in first["results"]]
    link = first["next"]
    while link:
        body = alice_api.get(link).json()
        seen += [row["id"] for row in body["results"]]
        link = body["next"]
    assert len(seen) == len(set(seen))  # nothing twice
    assert before <= set(seen)  # nothing that was there is skipped


def test_previous_goes_back_to_the_same_rows(acme, alice_api):
    add_invoices(acme, [{"number": f"P-{i:03d}"} for i in range(24)])
    first = alice_api.get(url(acme, "invoices"), {"sort": "-number", "page_size": 10}).json()
    assert first["previous"] is None
    second = alice_api.get(first["next"]).json()
    third = alice_api.get(second["next"]).json()
    assert third["next"] is None and len(third["results"]) == 5
    back = alice_api.get(third["previous"]).json()
    assert back["results"] == second["results"]
    assert alice_api.get(back["previous"]).json()["results"] == first["results"]
    assert parse_qs(urlsplit(first["next"]).query)["sort"] == ["-number"]  # the parameters ride along


def test_deep_pages_use_no_offset_and_as_many_queries_as_the_first(acme, alice_api):
    add_invoices(acme, [{"number": f"D-{i:03d}"} for i in range(60)])
    alice_api.get(url(acme, "invoices"))  # the hour's first request also notes her last seen
    with CaptureQueriesContext(connection) as first_queries:
        first = alice_api.get(url(acme, "invoices"), {"page_size": 5}).json()
    link = first["next"]
    for _ in range(8):
        link = alice_api.get(link).json()["next"]
    with CaptureQueriesContext(connection) as deep_queries:
        deep = alice_api.get(link)
    assert deep.status_code == 200 and len(deep.json()["results"]) == 5
    sql = " ".join(query["sql"] for query in deep_queries.captured_queries)
    assert "OFFSET" not in sql.upper()
    assert len(deep_queries) == len(first_queries) + 1  # the cursor row's sort key


def test_a_bad_or_stale_cursor_is_a_400_in_the_api_and_the_first_page_on_pages(acme, globex, alice_api, alice_client):
    add_invoices(acme, [{"number": f"C-{i:03d}"} for i in range(8)])
    first = alice_api.get(url(acme, "invoices"), {"page_size": 3, "sort": "number"}).json()
    last = first["results"][-1]["id"]
    with tenant_context(acme.company.pk):  # the row the next page starts after
        InvoiceLine.objects.filter(invoice_id=last).delete()
        Invoice.objects.filter(pk=last).delete()
    gone = alice_api.get(first["next"])
    assert gone.status_code == 400 and "cursor" in gone.json()
    for bad in ("nonsense", paging.Cursor(True, globex.invoice.pk).encode(), "YTE5OTk5OTk5OTk5OTk5OTk5OTk5OTk5"):
        response = alice_api.get(url(acme, "invoices"), {"cursor": bad})
        assert response.status_code == 400 and "cursor" in response.json(), bad
    page = alice_client.get(page_url(acme, "invoices"), {"cursor": "nonsense"})
    assert page.status_code == 200 and b"no longer there" in page.content and len(listed(page)) == 8


def test_pages_have_previous_and_next_and_count_results(acme, alice_client, monkeypatch):
    add_contacts(acme, *[f"Person {i:02d}" for i in range(55)])
    first = alice_client.get(page_url(acme, "contacts"))
    html = first.content.decode()
    assert "56 results" in html and "Next →" in html and "← Previous" not in html
    next_url = re.search(r'href="(\?cursor=[^"]+)">Next', html).group(1)
    second = alice_client.get(page_url(acme, "contacts") + next_url.replace("&amp;", "&"))
    assert len(listed(second)) == 6 and "← Previous" in second.content.decode()
    assert {c.pk for c in listed(first)}.isdisjoint({c.pk for c in listed(second)})
    monkeypatch.setattr(paging, "COUNT_CAP", 10)
    capped = alice_client.get(page_url(acme, "contacts"))
    assert b"More than 10 results" in capped.content


def test_the_api_count_stops_at_the_cap_and_says_so(acme, alice_api, monkeypatch):
    add_invoices(acme, [{"number": f"K-{i}"} for i in range(12)])
    body = alice_api.get(url(acme, "invoices")).json()
    assert (body["count"], body["count_capped"]) == (13, False)
    monkeypatch.setattr(paging, "COUNT_CAP", 10)
    body = alice_api.get(url(acme, "invoices")).json()
    assert (body["count"], body["count_capped"]) == (10, True)


def _counts(queries) -> int:
    return sum(query["sql"].lstrip().upper().startswith("SELECT COUNT(") for query in queries)


def test_the_count_rides_on_the_page_query_pages_and_api_alike(acme, alice_client, alice_api):
    """Issue 16: the capped count is a subquery of the page's query, not a round trip of its own."""
    add_contacts(acme, *[f"Counted {i:02d}" for i in range(30)])
    with CaptureQueriesContext(connection) as queries:
        page = alice_client.get(page_url(acme, "contacts"))
    assert "31 results" in page.content.decode() and _counts(queries) == 0
    with CaptureQueriesContext(connection) as queries:
        body = alice_api.get(url(acme, "contacts"), {"page_size": "10"}).json()
    assert (body["count"], body["count_capped"], len(body["results"])) == (31, False, 10) and _counts(queries) == 0
    second = alice_api.get(body["next"]).json()  # a cursor page counts the whole list, not what follows
    assert (second["count"], len(second["results"])) == (31, 10)


def test_an_empty_page_still_counts(acme, alice_client, alice_api):
    assert "0 results" in alice_client.get(page_url(acme, "contacts"), {"search": "nobody-by-this-name"}).content.decode()
    body = alice_api.get(url(acme, "contacts"), {"search": "nobody-by-this-name"}).json()
    assert (body["count"], body["count_capped"], body["results"]) == (0, False, [])


def test_list_page_queries_do_not_grow_with_rows(acme, alice_client, django_assert_max_num_queries):
    add_invoices(acme, [{"number": f"Q-{i}"} for i in range(80)])
    alice_client.get(page_url(acme, "invoices"))
    with django_assert_max_num_queries(10):  # of which two id lookups: the number and the contacts' names
        response = alice_client.get(page_url(acme, "invoices"), {"search": "q-", "status": "draft"})
    assert len(listed(response)) == 50


# --- the API's parameters and schema ---------------------------------------------------------------

@pytest.mark.parametrize("params", [{"page": "2"}, {"serach": "ada"}, {"ordering": "name"}, {"status": "sent"}])
def test_unknown_list_parameters_are_a_400_not_ignored(acme, alice_api, params):
    response = alice_api.get(url(acme, "contacts"), params)
    assert response.status_code == 400
    assert list(response.json()) == list(params) and "This list takes" in response.json()[next(iter(params))][0]


def test_search_on_a_list_without_search_is_refused(acme, alice_api):
    assert alice_api.get(url(acme, "bank-accounts"), {"search": "main"}).status_code == 400


def test_list_parameters_do_not_narrow_a_records_own_url(acme, alice_api):
    response = alice_api.get(f"{url(acme, 'invoices')}{acme.invoice.pk}/", {"status": "paid"})
    assert response.status_code == 200


def test_the_schema_documents_the_list_parameters(acme, client):
    client.force_login(acme.owner)
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    operation = schema["paths"]["/api/v1/companies/{company_id}/invoices/"]["get"]
    parameters = {p["name"]: p for p in operation["parameters"]}
    assert {"search", "status", "issued_from", "issued_to", "sort", "cursor", "page_size"} <= set(parameters)
    assert {"-issue_date", "number", "-status", "contact"} <= set(parameters["sort"]["schema"]["enum"])
    assert "total" not in parameters["sort"]["schema"]["enum"]
    assert parameters["status"]["schema"]["enum"] == ["draft", "paid", "sent", "void"]
    assert parameters["issued_from"]["schema"]["format"] == "date"
    transactions = schema["paths"]["/api/v1/companies/{company_id}/bank-transactions/"]["get"]
    assert {"search", "bank_account", "booked_from", "booked_to", "amount_min", "amount_max"} <= {
        p["name"] for p in transactions["parameters"]}
    contacts = {p["name"]: p for p in schema["paths"]["/api/v1/companies/{company_id}/contacts/"]["get"]["parameters"]}
    assert "sealed" in contacts["search"]["description"]
    page_schema = schema["components"]["schemas"]["PaginatedInvoiceList"]
    assert {"count", "count_capped", "next", "previous", "results"} == set(page_schema["properties"])


# --- the contact picker's lookup ---------------------------------------------------------------------

def lookup(tenant) -> str:
    return f"/c/{tenant.company.pk}/contacts/lookup/"


def test_lookup_returns_at_most_20_matching_contacts_by_name(acme, alice_client):
    add_contacts(acme, *[f"Lovelace {i:02d}" for i in range(25)], "Hopper")
    response = alice_client.get(lookup(acme), {"q": "lov"})
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    results = response.json()["results"]
    assert [r["name"] for r in results] == [f"Lovelace {i:02d}" for i in range(20)]
    assert set(results[0]) == {"id", "name"}
    assert [r["name"] for r in alice_client.get(lookup(acme), {"q": "H"}).json()["results"]] == ["Hopper"]
    assert len(alice_client.get(lookup(acme)).json()["results"]) == 20  # nothing typed: the first by name


@pytest.mark.policy("RET-2")
def test_lookup_never_shows_another_companys_contacts(acme, globex, alice_client):
    add_contacts(globex, "Shared Name Globex")
    add_contacts(acme, "Shared Name Acme")
    names = [r["name"] for r in alice_client.get(lookup(acme), {"q": "shared"}).json()["results"]]
    assert names == ["Shared Name Acme"]
    assert alice_client.get(lookup(acme), {"q": "globexsecret"}).json()["results"] == []


@pytest.mark.policy("RET-2")
def test_lookup_is_for_members_only(acme, globex, guest, client):
    anonymous = client.get(lookup(acme), {"q": "a"})
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/accounts/login/")
    client.force_login(globex.owner)
    assert client.get(lookup(acme), {"q": "a"}).status_code == 404
    client.force_login(guest)  # a guest reads the contacts list anyway
    assert client.get(lookup(acme), {"q": "acme"}).json()["results"][0]["id"] == acme.contact.pk


def test_lookup_uses_one_query_whatever_the_company_size(acme, alice_client, django_assert_max_num_queries):
    add_contacts(acme, *[f"Name {i}" for i in range(30)])
    alice_client.get(lookup(acme), {"q": "nam"})
    with django_assert_max_num_queries(7):  # savepoint and release, session, user, membership, ids, names
        alice_client.get(lookup(acme), {"q": "nam"})


# --- the invoice form's contact field ------------------------------------------------------------

def invoice_data(**contact) -> dict:
    return {**contact, "number": "PICK-1", "issue_date": "2031-03-10", "status": "draft", "currency": "USD",
            "lines-TOTAL_FORMS": "1", "lines-INITIAL_FORMS": "0",
            "lines-0-description": "Work", "lines-0-quantity": "1", "lines-0-unit_price": "5"}


def test_the_invoice_form_renders_a_picker_not_every_contact(acme, alice_client):
    add_contacts(acme, *[f"Client {i:03d}" for i in range(40)])
    html = alice_client.get(f"/c/{acme.company.pk}/invoices/new/").content.decode()
    assert "<option" not in html.split('id="id_number"')[0]  # no contact <select>
    assert "Client 0" not in html
    assert f'data-lookup-url="/c/{acme.company.pk}/contacts/lookup/"' in html
    assert re.search(r'<label for="id_contact">Contact:?</label>', html)
    assert 'name="contact_search"' in html and 'id="id_contact"' in html and "contact_picker.js" in html


def test_editing_an_invoice_shows_its_contacts_name_and_id(acme, alice_client):
    html = alice_client.get(f"/c/{acme.company.pk}/invoices/{acme.invoice.pk}/edit/").content.decode()
    assert f'name="contact" value="{acme.contact.pk}"' in html
    assert 'value="ACMESECRET Contact"' in html


def test_the_chosen_contact_id_is_saved(acme, alice_client):
    ada, = add_contacts(acme, "Ada Lovelace")
    response = alice_client.post(f"/c/{acme.company.pk}/invoices/new/",
                                 invoice_data(contact=str(ada.pk), contact_search="Ada Lovelace"))
    assert response.status_code == 302, response.content.decode()[:1500]
    with tenant_context(acme.company.pk):
        assert Invoice.objects.get(number="PICK-1").contact_id == ada.pk


@pytest.mark.policy("RET-2")
def test_another_companys_contact_id_is_refused(acme, globex, alice_client):
    response = alice_client.post(f"/c/{acme.company.pk}/invoices/new/",
                                 invoice_data(contact=str(globex.contact.pk), contact_search="x"))
    assert response.status_code == 400 and b"Select a valid choice" in response.content
    assert b"GLOBEXSECRET" not in response.content
    with tenant_context(acme.company.pk):
        assert not Invoice.objects.filter(number="PICK-1").exists()


def test_without_javascript_a_typed_name_is_taken_or_the_matches_are_offered(acme, alice_client):
    ada, adam, _ = add_contacts(acme, "Ada Lovelace", "Adam Lovelace", "Grace Hopper")
    create = f"/c/{acme.company.pk}/invoices/new/"
    several = alice_client.post(create, invoice_data(contact="", contact_search="lovelace"))
    html = several.content.decode()
    assert several.status_code == 400 and "Several contacts match “lovelace”: choose one." in html
    assert f'type="radio" name="contact" value="{ada.pk}"' in html and f'value="{adam.pk}"' in html
    assert "Grace Hopper" not in html
    unknown = alice_client.post(create, invoice_data(contact="", contact_search="Nobody"))
    assert unknown.status_code == 400 and "No contact is named “Nobody”" in unknown.content.decode()
    chosen = alice_client.post(create, {**invoice_data(contact_search="lovelace"), "contact": ["", str(adam.pk)]})
    assert chosen.status_code == 302
    exact = alice_client.post(create, {**invoice_data(contact="", contact_search="  grace HOPPER "),
                                       "number": "PICK-2"})
    assert exact.status_code == 302
    with tenant_context(acme.company.pk):
        assert Invoice.objects.get(number="PICK-1").contact_id == adam.pk
        assert Invoice.objects.get(number="PICK-2").contact.name == "Grace Hopper"


def test_a_contact_is_required(acme, alice_client):
    response = alice_client.post(f"/c/{acme.company.pk}/invoices/new/", invoice_data(contact="", contact_search=""))
    assert response.status_code == 400 and b"This field is required" in response.content


# --- the indexes -----------------------------------------------------------------------------------

def _plan(queryset, **settings: str) -> str:
    """The plan with every way but the one under test penalised: the tables are tiny here, any plan is cheap."""
    with connection.cursor() as cursor:
        for name, value in settings.items():
            cursor.execute(f"SET LOCAL {name} = {value}")
        sql, params = queryset.query.sql_with_params()
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
        for name in settings:
            cursor.execute(f"RESET {name}")
    return plan


@pytest.mark.policy("RET-2")
def test_the_id_lookup_answers_for_the_current_company_only_and_exactly(acme, globex):
    add_contacts(acme, "Ada Lovelace", "Adam Lovell", "Grace Hopper", "Lo_ve 100%")
    add_contacts(globex, "Ada Lovelace of Globex")

    def ids(kind: str, term: str, most: int = 100) -> list[int] | None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT ledger_search_ids(%s, %s, %s)", [kind, term, most])
            found = cursor.fetchone()[0]
        return None if found is None else sorted(found)

    with tenant_context(acme.company.pk):
        by_name = dict(Contact.objects.values_list("name", "pk"))
        assert ids("contact.name", "lovel") == sorted([by_name["Ada Lovelace"], by_name["Adam Lovell"]])
        assert ids("contact.name", "LO") == sorted([by_name["Ada Lovelace"], by_name["Adam Lovell"],
                                                    by_name["Lo_ve 100%"]])
        assert ids("contact.name", "o_v") == [by_name["Lo_ve 100%"]]  # _ is a letter here, not a wildcard
        assert ids("contact.name", "00%") == [by_name["Lo_ve 100%"]]
        assert ids("contact.name", "0%") == []  # two characters: the start of a word only
        assert ids("contact.name", "lov", most=1) is None  # too many for a list: the caller filters instead
        assert ids("invoice.number", "acmesecret") == [acme.invoice.pk]
        assert ids("banktransaction.counterparty", "payer") == [acme.bank_transaction.pk]
        assert ids("banktransaction.description", "globexsecret") == []
        with pytest.raises(DatabaseError, match="no kind"), transaction.atomic():
            ids("contact.email", "x")
    assert ids("contact.name", "lovel") == []  # no company entered: nothing


@pytest.mark.policy("RET-2")
def test_the_id_lookup_is_a_definer_function_only_the_app_may_call(acme):
    with connection.cursor() as cursor:
        cursor.execute("SELECT prosecdef, proconfig, proacl::text[] FROM pg_proc WHERE proname = 'ledger_search_ids'")
        definer, config, acl = cursor.fetchone()
    assert definer and config == ["search_path=pg_catalog, pg_temp"]
    assert not any(entry.startswith("=") for entry in acl)  # PUBLIC may not call it
    assert any(entry.startswith(f"{settings.DATABASE_APP_USER}=X") for entry in acl)


@pytest.mark.django_db(databases=["default", "owner"])
def test_inside_the_lookup_the_gram_index_can_serve_the_search(acme):
    """The function's owner bypasses row-level security, and its condition is each gram index's own expression.

    The app role's own query could not use the index: no GIN operator is LEAKPROOF (ledger/search.py).
    Which plan a query gets depends on the table's size: bench/finding.py shows them at 100,000 rows.
    """
    with connections["owner"].cursor() as cursor:
        cursor.execute("SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = current_user")
        assert cursor.fetchone()[0], "the migrating role must bypass row-level security for indexed search"
        cursor.execute("SELECT pg_get_functiondef('ledger_search_ids(text, text, integer)'::regprocedure)")
        body = cursor.fetchone()[0]
        assert "public.ledger_search_grams(t.company_id, t.%I) @> public.ledger_search_term_grams($1, $2)" in body
        for table, column, index in (("ledger_contact", "name", "contact_name_search"),
                                     ("ledger_invoice", "number", "invoice_number_search"),
                                     ("ledger_banktransaction", "description", "banktx_description_search"),
                                     ("ledger_banktransaction", "counterparty", "banktx_counterparty_search")):
            assert f"v_table := '{table}'; v_column := '{column}';" in body
            cursor.execute("SELECT pg_get_indexdef(%s::regclass)", [index])
            assert cursor.fetchone()[0].endswith(f"USING gin (ledger_search_grams(company_id, ({column})::text))")


def test_a_term_matching_very_many_rows_is_filtered_in_order_instead(acme, alice_api, monkeypatch):
    from ledger import search

    add_contacts(acme, "Ada Lovelace", "Adam Lovell", "Grace Hopper")
    monkeypatch.setattr(search, "MOST", 1)
    with CaptureQueriesContext(connection) as queries:
        names = api_names(alice_api.get(url(acme, "contacts"), {"search": "lovel"}))
    assert names == ["Ada Lovelace", "Adam Lovell"]
    listing = [q["sql"] for q in queries.captured_queries if 'FROM "ledger_contact"' in q["sql"] and "LIMIT" in q["sql"]]
    assert listing and "LIKE" in listing[-1] and "ANY(" not in listing[-1]
    assert api_names(alice_api.get(url(acme, "contacts"), {"search": "hop"})) == ["Grace Hopper"]  # one: ids


@pytest.mark.policy("RET-2")
def test_every_search_key_carries_the_company(acme):
    with tenant_context(acme.company.pk), connection.cursor() as cursor:
        cursor.execute("SELECT ledger_search_grams(%s, 'Ada Lo'), ledger_search_term_grams(%s, 'lo'), "
                       "ledger_search_term_grams(%s, 'LOVE')", [acme.company.pk] * 3)
        grams, short, long = cursor.fetchone()
    prefix = f"{acme.company.pk}:"
    assert set(grams) == {prefix + g for g in (" a", " ad", "ada", "da ", "a l", " l", " lo")}
    assert short == [f"{prefix} lo"]  # a word start
    assert sorted(long) == [f"{prefix}lov", f"{prefix}ove"]


def test_a_search_asks_the_id_lookup_and_the_list_takes_the_ids(acme, alice_api):
    add_contacts(acme, "Ada Lovelace")
    with CaptureQueriesContext(connection) as queries:
        alice_api.get(url(acme, "invoices"), {"search": "lovelace"})
    sql = [q["sql"] for q in queries.captured_queries]
    assert sum("ledger_search_ids" in q for q in sql) == 2  # the number and the contacts' names
    listing = [q for q in sql if q.startswith('SELECT "ledger_invoice"') and "LIMIT" in q][-1]
    assert "= ANY(" in listing and "LIKE" not in listing


def test_a_deep_page_starts_at_its_key_in_the_index(acme):
    from ledger import selectors

    with tenant_context(acme.company.pk):
        queryset = selectors.contacts(company=acme.company)
        rows = queryset.filter(paging.RowCompare("name", "M", 10, greater=True), name__gte="M")
        plan = _plan(rows.order_by(*paging.Order("name").order_by())[:51], enable_seqscan="off",
                     enable_bitmapscan="off", enable_sort="off")
    assert "contact_company_name_id" in plan
    condition = plan.split("Index Cond:")[1].splitlines()[0]
    assert "company_id" in condition and "name" in condition  # it starts at the key, not at the company's first row


def test_choice_lists_are_read_in_one_query_not_by_a_server_side_cursor(acme, alice_client):
    """Issue 16: ``QuerySet.iterator()`` behind a select's choices is DECLARE, FETCH and CLOSE on PostgreSQL."""
    with tenant_context(acme.company.pk):
        for name in ("Payroll", "Savings"):
            services.create_record(company=acme.company, model=BankAccount, actor=None,
                                   fields={"name": name, "holder_name": "Acme", "account_number": f"PK00{name}"})
    for path in (page_url(acme, "bank-transactions"), page_url(acme, "bank-transactions") + "new/"):
        with CaptureQueriesContext(connection) as queries:
            page = alice_client.get(path).content.decode()
        assert ">Payroll</option>" in page and ">Savings</option>" in page, path
        assert not any(query["sql"].lstrip().upper().startswith("DECLARE") for query in queries), path
