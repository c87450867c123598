"""Finding things at 100,000 rows (issue 14): the contact picker, first and deep pages, search, counts.

One company gets ``BENCH_FINDING_ROWS`` (default 100,000) contacts, as many invoices (two lines
each) and as many bank transactions, inserted in SQL under its tenant context, then VACUUM ANALYZE
(as a live database would be after autovacuum). The company is kept between runs and reused.

Measured in-process through Django's test client (middleware, session, tenant, view, template or
serializer: all but the network), each against its **floor**: the same SQL the view ran, sent
through a raw cursor, and PostgreSQL's own execution time from EXPLAIN ANALYZE.

1. the contact lookup behind the picker, ~50 terms of 1-3 letters: p50 / p95;
2. list pages and API lists: the first page against a deep one (page 1,000: row 50,000 on pages of
   50, row 25,000 in the API's pages of 25) reached by cursor, in several sorts; and the same deep
   page by OFFSET, as the lists paged before;
3. search with a term, pages and API;
4. counting every match against the capped count the pages show.
"""

from __future__ import annotations

import os
import random
import re
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from django.core.management import call_command
from django.core.paginator import Paginator
from django.db import connection, connections, transaction
from django.test import Client

from accounts.models import Company, Membership, User
from accounts.tenancy import tenant_context
from ledger import paging, selectors, services
from ledger.models import BankAccount, Contact
from ledger.resources import BY_SLUG

ROWS = int(os.environ.get("BENCH_FINDING_ROWS", "100000"))
EMAIL = f"bench-finding-{ROWS}@example.com"
COMPANY = f"Bench Finding {ROWS}"
PASSWORD = "bench-password-not-secret"
REPEAT = 7
LOOKUPS = 50
CHUNK = 50_000

FIRST = ["Amina", "Bilal", "Carmen", "Dmitri", "Elif", "Farah", "Goran", "Hana", "Ibrahim", "Jonas", "Keiko", "Lucia",
         "Mateo", "Nadia", "Omar", "Priya", "Quentin", "Rosa", "Sami", "Tara", "Ugo", "Vera", "Wen", "Xavier", "Yara",
         "Zoltan", "Ada", "Grace", "Alan", "Ines", "Kofi", "Lena", "Marek", "Noor", "Olga", "Pablo", "Rania", "Sven",
         "Thandi", "Yusuf"]
LAST = ["Ahmed", "Berg", "Costa", "Dubois", "Eriksen", "Fischer", "Garcia", "Hussain", "Ivanova", "Jensen", "Khan",
        "Lopez", "Meyer", "Novak", "Okafor", "Petrov", "Quinn", "Rossi", "Silva", "Tanaka", "Lovelace", "Hopper",
        "Turing", "Nakamura", "Mensah", "Kowalski", "Haddad", "Lindqvist", "Moreau", "Osei"]
SUFFIX = ["", "", "", "", " Ltd", " & Sons", " Trading", " Bakery", " Consulting", " Studio"]
MERCHANTS = ["Metro Cash", "City Power", "Water Board", "Office Depot", "Shell Station", "Daraz", "Foodpanda",
             "Careem", "PTCL", "Jazz", "Imtiaz Store", "Al-Fatah", "Hotel Avari", "PIA", "Amazon"]
WHAT = ["Card payment", "Transfer", "Salary", "Invoice payment", "Rent", "Utilities", "Refund", "Standing order",
        "Cash deposit", "Bank fee"]


def _array(values: list[str]) -> str:
    return "(ARRAY[" + ",".join("'" + v.replace("'", "''") + "'" for v in values) + "])"


# --- seeding ----------------------------------------------------------------------------------------

def _company() -> Company:
    membership = Membership.objects.filter(user__email=EMAIL, company__name=COMPANY).select_related("company").first()
    if membership is not None:
        with tenant_context(membership.company_id):
            if Contact.objects.filter(company=membership.company).count() == ROWS:
                return membership.company
        raise SystemExit(f"{COMPANY} exists with another size (an interrupted seed?): remove it")
    call_command("seed_demo", email=EMAIL, password=PASSWORD, company=COMPANY, size=0, verbosity=0)
    company = Membership.objects.select_related("company").get(user__email=EMAIL, company__name=COMPANY).company
    started = time.perf_counter()
    _seed(company)
    print(f"seeded {ROWS:,} contacts, invoices (2 lines each) and bank transactions in "
          f"{time.perf_counter() - started:.1f} s")
    return company


def _run(company_id: int, sql: str, params: list[Any]) -> None:
    with tenant_context(company_id), connection.cursor() as cursor:
        cursor.execute(sql, params)


def _seed(company: Company) -> None:
    pk = company.pk
    first, last, suffix, merchants, what = map(_array, (FIRST, LAST, SUFFIX, MERCHANTS, WHAT))
    with tenant_context(pk):
        for i, name in enumerate(("Current account", "Savings", "Card account")):
            services.create_record(company=company, model=BankAccount, actor=None,
                                   fields={"name": name, "holder_name": COMPANY, "account_number": f"PK00BENCH{i}"})
    for start in range(0, ROWS, CHUNK):
        stop = min(start + CHUNK, ROWS)
        _run(pk, f"""
            INSERT INTO ledger_contact (company_id, name, email, phone, address, created_at)
            SELECT %s, {first}[1 + (g * 7919) %% {len(FIRST)}] || ' ' || {last}[1 + (g * 104729) %% {len(LAST)}]
                       || {suffix}[1 + (g * 31) %% {len(SUFFIX)}], '', '', '', now()
            FROM generate_series(%s::bigint, %s::bigint) g""", [pk, start + 1, stop])
    parents = "WITH parents AS (SELECT array_agg(id ORDER BY id) AS ids FROM {} WHERE company_id = %s)"
    for start in range(0, ROWS, CHUNK):
        stop = min(start + CHUNK, ROWS)
        _run(pk, parents.format("ledger_contact") + """,
            made AS (
                INSERT INTO ledger_invoice (company_id, contact_id, number, issue_date, due_date, status, currency,
                                            notes, created_at)
                SELECT %s, ids[1 + (g * 7907) %% cardinality(ids)], 'INV-' || lpad(g::text, 6, '0'),
                       DATE '2031-03-10' - ((g * 37) %% 730)::int, DATE '2031-03-10' - ((g * 37) %% 730)::int + 30,
                       (ARRAY['draft','sent','paid','paid','void'])[1 + g %% 5], 'USD', '', now()
                FROM parents, generate_series(%s::bigint, %s::bigint) g
                RETURNING id)
            INSERT INTO ledger_invoiceline (company_id, invoice_id, position, description, quantity, unit_price)
            SELECT %s, made.id, p, 'Consulting hour', 1 + made.id %% 5, round((10 + (made.id * 37 + p * 11) %% 990)::numeric, 2)
            FROM made CROSS JOIN generate_series(0, 1) p""", [pk, pk, start + 1, stop, pk])
        _run(pk, parents.format("ledger_bankaccount") + f"""
            INSERT INTO ledger_banktransaction (company_id, bank_account_id, booked_on, description, counterparty, amount)
            SELECT %s, ids[1 + g %% cardinality(ids)], DATE '2031-03-10' - ((g * 13) %% 730)::int,
                   {what}[1 + (g * 17) %% {len(WHAT)}] || ' ' || {merchants}[1 + (g * 7) %% {len(MERCHANTS)}],
                   {first}[1 + (g * 3) %% {len(FIRST)}] || ' ' || {last}[1 + (g * 11) %% {len(LAST)}],
                   round(((g * 7919) %% 200000 - 100000)::numeric / 100, 2)
            FROM parents, generate_series(%s::bigint, %s::bigint) g""", [pk, pk, start + 1, stop])
    with connections["owner"].cursor() as cursor:  # what autovacuum would have done by the time anyone pages
        for table in ("ledger_contact", "ledger_invoice", "ledger_invoiceline", "ledger_banktransaction"):
            cursor.execute(f'VACUUM (ANALYZE) "{table}"')


# --- measuring --------------------------------------------------------------------------------------

def _ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def _p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[max(0, round(0.95 * len(ordered)) - 1)] * 1000


def _times(func: Callable[[], object], repeat: int = REPEAT) -> list[float]:
    func()  # warm
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        func()
        samples.append(time.perf_counter() - started)
    return samples


@contextmanager
def _captured() -> Iterator[list[tuple[str, Any]]]:
    """The SQL statements run on the default connection meanwhile (DEBUG is off: no query log)."""
    seen: list[tuple[str, Any]] = []

    def wrapper(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        seen.append((sql, params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(wrapper):
        yield seen


def _floor(company_id: int, statements: list[tuple[str, Any]]) -> tuple[float, float]:
    """The ledger statements among ``statements`` again: (raw cursor ms, PostgreSQL execution ms), summed."""
    ledger = [(sql, params) for sql, params in statements  # the rows, the count and the search's id lookup
              if sql.lstrip().startswith("SELECT") and ('"ledger_' in sql or "ledger_search_ids" in sql)]
    raw = exec_ms = 0.0
    with transaction.atomic(), tenant_context(company_id), connection.cursor() as cursor:
        for sql, params in ledger:
            for _ in range(2):  # warm, then time
                started = time.perf_counter()
                cursor.execute(sql, params)
                cursor.fetchall()
            raw += (time.perf_counter() - started) * 1000
            cursor.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}", params)
            exec_ms += cursor.fetchone()[0][0]["Execution Time"]
    return raw, exec_ms


class Bench:
    def __init__(self, company: Company) -> None:
        self.company = company
        self.client = Client()
        self.client.force_login(User.objects.get(email=EMAIL))

    def get(self, path: str, params: dict[str, Any]) -> Any:
        response = self.client.get(path, params)
        assert response.status_code == 200, (path, params, response.status_code, response.content[:300])
        return response

    def timed(self, path: str, params: dict[str, Any]) -> tuple[float, float, float]:
        """(median ms through Django, floor: raw cursor ms, PostgreSQL ms) of one request."""
        samples = _times(lambda: self.get(path, params))
        with _captured() as statements:
            self.get(path, params)
        raw, executed = _floor(self.company.pk, statements)
        return _ms(samples), raw, executed

    def deep_cursor(self, slug: str, sort: str, row: int) -> str:
        """The cursor of the page that starts after row ``row`` (found once, by OFFSET, for the bench only)."""
        resource = BY_SLUG[slug]
        with transaction.atomic(), tenant_context(self.company.pk):
            finder = resource.finder({"sort": sort}, queryset=resource.for_company(self.company), company=self.company)
            order = finder.order
            pk = finder.qs.order_by(*order.order_by()).values_list("pk", flat=True)[row - 1]
        return paging.Cursor(True, pk).encode()


def _lookup_terms() -> list[str]:
    rng = random.Random(14)
    terms = []
    for i in range(LOOKUPS):
        word = rng.choice(rng.choice([FIRST, LAST, ["Trading", "Bakery", "Studio", "Sons"]])).lower()
        size = 1 + i % 3
        start = 0 if size < 3 else rng.randrange(0, max(1, len(word) - 2))
        terms.append(word[start:start + size] if i % 10 else rng.choice("qxzjvw") + rng.choice("aeiou")[: size - 1])
    return terms


def run() -> None:
    print(f"\n== Finding things at {ROWS:,} rows of each kind in one company ==")
    company = _company()
    bench = Bench(company)
    c = company.pk
    print(f"(ms; median of {REPEAT} runs; floor = the view's own ledger SQL through a raw cursor / PostgreSQL's execution)"
          )

    # 1. the picker's lookup
    url = f"/c/{c}/contacts/lookup/"
    through, raw, executed, hits = [], [], [], []
    for term in _lookup_terms():
        started = time.perf_counter()
        response = bench.get(url, {"q": term})
        through.append(time.perf_counter() - started)
        hits.append(len(response.json()["results"]))
        with _captured() as statements:
            bench.get(url, {"q": term})
        floor_raw, floor_exec = _floor(c, statements)
        raw.append(floor_raw / 1000)
        executed.append(floor_exec / 1000)
    print(f"\n1. Contact lookup, {LOOKUPS} terms of 1-3 letters ({sum(h == 20 for h in hits)} full lists of 20, "
          f"{sum(h == 0 for h in hits)} empty):")
    print(f"   endpoint  p50 {_ms(through):6.2f}   p95 {_p95(through):6.2f}   max {max(through) * 1000:6.2f}")
    print(f"   raw SQL   p50 {_ms(raw):6.2f}   p95 {_p95(raw):6.2f}")
    print(f"   PG exec   p50 {_ms(executed):6.2f}   p95 {_p95(executed):6.2f}")
    with transaction.atomic(), tenant_context(c):
        old_select = _times(lambda: list(selectors.contacts(company=company).values_list("id", "name")), repeat=3)
    print(f"   (the old <select>: every contact's id and name read for each form: {_ms(old_select):.0f} ms "
          f"before rendering {ROWS:,} <option>s)")

    # 2. first and deep pages
    print("\n2. Lists: first page vs page 1,000 by cursor (pages: 50 rows, row 50,000; API: 25 rows, row 25,000)")
    print(f"   {'list':<40} {'first':>7} {'deep':>7} {'deep/first':>10} {'floor raw':>10} {'floor PG':>9}")
    cases = [("contacts", "name"), ("invoices", "-issue_date"), ("invoices", "number"), ("invoices", "contact"),
             ("invoices", "status"), ("bank-transactions", "-booked_on"), ("bank-transactions", "amount"),
             ("bank-transactions", "description")]
    for kind, base, size, deep_row in (("page", f"/c/{c}/{{}}/", None, 50_000),
                                       ("API", f"/api/v1/companies/{c}/{{}}/", 25, 25_000)):
        for slug, sort in cases:
            params: dict[str, Any] = {"sort": sort} | ({"page_size": size} if size else {})
            first, _, _ = bench.timed(base.format(slug), params)
            cursor = bench.deep_cursor(slug, sort, min(deep_row, ROWS // 2))
            deep, raw_ms, exec_ms = bench.timed(base.format(slug), {**params, "cursor": cursor})
            print(f"   {kind + ' ' + slug + ' ?sort=' + sort:<40} {first:7.1f} {deep:7.1f} {deep / first:9.2f}x "
                  f"{raw_ms:10.2f} {exec_ms:9.2f}")
    with transaction.atomic(), tenant_context(c):
        invoices = selectors.invoices(company=company)
        offset_first = _times(lambda: list(Paginator(invoices, 50).page(1).object_list), repeat=3)
        offset_deep = _times(lambda: list(Paginator(invoices, 50).page(1000).object_list), repeat=3)
    print(f"   before (OFFSET, invoices by date, queryset only): page 1 {_ms(offset_first):.1f} ms, "
          f"page 1,000 {_ms(offset_deep):.1f} ms ({_ms(offset_deep) / _ms(offset_first):.1f}x)")

    # 3. search
    print("\n3. Search (first page)")
    print(f"   {'list':<48} {'results':>16} {'ms':>7} {'floor raw':>10} {'floor PG':>9}")
    searches = [("contacts", "lovel"), ("contacts", "ahm"), ("contacts", "bakery"), ("contacts", "zq"),
                ("invoices", "004217"), ("invoices", "lovelace"), ("bank-transactions", "rent"),
                ("bank-transactions", "petrov"), ("bank-transactions", "xyzzy")]
    for kind, base, size in (("page", f"/c/{c}/{{}}/", None), ("API", f"/api/v1/companies/{c}/{{}}/", 25)):
        for slug, term in searches:
            params = {"search": term} | ({"page_size": size} if size else {})
            median, raw_ms, exec_ms = bench.timed(base.format(slug), params)
            response = bench.get(base.format(slug), params)
            shown = re.search(r'result-count">([\d,]+|More than [\d,]+) result', response.content.decode())
            found = response.json()["count"] if kind == "API" else shown.group(1) if shown else "?"
            print(f"   {kind + ' ' + slug + ' ?search=' + term:<48} {found!s:>16} {median:7.1f} {raw_ms:10.2f} "
                  f"{exec_ms:9.2f}")

    # 4. counting
    with transaction.atomic(), tenant_context(c):
        every = _times(lambda: invoices.count())
        capped = _times(lambda: paging.capped_count(invoices))
        sent = invoices.filter(status="sent")
        every_sent = _times(lambda: sent.count())
        capped_sent = _times(lambda: paging.capped_count(sent))
    print(f"\n4. Counting invoices: all {ROWS:,}: count(*) {_ms(every):.1f} ms, capped at {paging.COUNT_CAP:,} "
          f"{_ms(capped):.1f} ms; status=sent: {_ms(every_sent):.1f} ms vs {_ms(capped_sent):.1f} ms")
