"""``seed_demo``: an owner, a company and N rows of realistic sample data, fast.

Rows are generated inside PostgreSQL (``INSERT … SELECT … FROM generate_series``) in chunks,
one statement and transaction per chunk under the company's tenant context, so row-level security checks
every row and memory stays flat. (COPY FROM is refused on tables with row-level security.)
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.core.validators import validate_email
from django.db import connection, connections, models
from django.utils import timezone
from psycopg2.extras import execute_values
from tqdm import tqdm

from accounts import services as account_services
from accounts.models import Company, Membership, User
from accounts.tenancy import tenant_context
from ledger.models import BankAccount, Contact
from privacy.crypto import Place, seal
from privacy.fields import next_ids
from privacy.keys import active_key

CHUNK = 50_000
SEALED_CHUNK = 10_000  # rows sealed in Python per transaction
ANALYZE_FROM = 10_000  # below this, autovacuum's own ANALYZE comes soon enough
SEEDED_TABLES = ["ledger_bankaccount", "ledger_contact", "ledger_invoice", "ledger_invoiceline",
                 "ledger_banktransaction"]
# How the rows are shared out; bank transactions take the rest.
CONTACT_SHARE, INVOICE_SHARE, LINES_PER_INVOICE, BANK_ACCOUNTS = 0.05, 0.10, 2, 3

FIRST_NAMES = ["Amina", "Bilal", "Carmen", "Dmitri", "Elif", "Farah", "Goran", "Hana", "Ibrahim", "Jonas", "Keiko",
               "Lucia", "Mateo", "Nadia", "Omar", "Priya", "Quentin", "Rosa", "Sami", "Tara", "Usman", "Valentina",
               "Wei", "Ximena", "Yusuf", "Zara", "Ayesha", "Bruno", "Chloé", "Daniyal", "Esra", "Felix", "Grace",
               "Hamza", "Ines", "Jamal", "Kiran", "Leila", "Marek", "Noor"]
LAST_NAMES = ["Ahmed", "Berg", "Costa", "Dubois", "Eriksen", "Fischer", "Garcia", "Hussain", "Ivanova", "Jensen", "Khan",
              "Lopez", "Meyer", "Novak", "Okafor", "Petrov", "Quinn", "Rossi", "Silva", "Tanaka", "Umar", "Varga",
              "Wójcik", "Xu", "Yilmaz", "Zaidi", "Abbasi", "Brennan", "Chaudhry", "D'Souza", "Esposito", "Fontaine",
              "Gill", "Haddad", "Iqbal", "Jovanović", "Kowalski", "Lindqvist", "Malik", "Nakamura"]
BUSINESS_SUFFIXES = ["Traders", "& Sons", "Bakery", "Textiles", "Design Studio", "Logistics", "Pharmacy", "Motors",
                     "Catering", "Printing Press", "Electronics", "Builders"]
STREETS = ["Market Road", "Mall Road", "Canal View", "Station Street", "Garden Town", "Main Boulevard", "Mill Lane",
           "Harbour Street"]
CITIES = ["Lahore", "Sialkot", "Karachi", "Berlin", "Lisbon", "Toronto", "Nairobi", "Osaka", "Madrid", "Oslo"]
BANKS = [("Operating account", "Meezan Bank"), ("Savings", "HBL"), ("Payroll", "Bank Alfalah")]


def _sql_array(values: list[str]) -> str:
    """A literal text array for the generated SQL (quotes doubled; the values are ours, never input)."""
    return "(ARRAY[" + ",".join("'" + value.replace("'", "''") + "'" for value in values) + "])"


FIRST, LAST = _sql_array(FIRST_NAMES), _sql_array(LAST_NAMES)
# Invoice items and their usual unit price (the seeded price varies around it).
ITEMS = [("Bookkeeping, monthly", 25_000), ("Consulting hour", 6_500), ("Website hosting, yearly", 18_000),
         ("Office supplies", 3_200), ("Delivery", 1_500), ("Logo and brand design", 45_000), ("Repair service", 8_000),
         ("Training session", 12_000), ("Software licence", 9_900), ("Catering for 20", 30_000),
         ("Photography, half day", 22_000), ("Translation, per page", 2_400)]
ITEM = _sql_array([name for name, _ in ITEMS])
ITEM_PRICE = "(ARRAY[" + ",".join(str(price) for _, price in ITEMS) + "])"
MERCHANTS = _sql_array(["Metro Cash & Carry", "Shell", "Daraz", "Foodpanda", "Al-Fatah Stores", "Careem",
                        "Hafeez Stationers", "PIA", "Imtiaz Super Market", "Gul Ahmed"])
UTILITIES = _sql_array(["K-Electric", "SNGPL gas", "PTCL internet", "Jazz mobile", "Water board"])
# (deterministic) variety without a random generator: PostgreSQL's integer hash of the row number.
MIX = "(hashint8(g::bigint) & 2147483647)"  # & not abs(): abs(-2^31) overflows

# ``--demo``: a known login for trying the product locally (README). Never on a real deployment.
DEMO_EMAIL, DEMO_PASSWORD, DEMO_COMPANY, DEMO_SIZE = "demo@example.com", "demo-books-2-years", "Rossi Bakery", 5000


class Command(BaseCommand):
    help = "Create an owner with a company and N rows of sample ledger data (bulk insert)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--email")
        parser.add_argument("--password")
        parser.add_argument("--company", help="company name")
        parser.add_argument("--size", type=int, default=1000, help="number of ledger rows (default 1000)")
        parser.add_argument("--demo", action="store_true",
                            help=f"local mode only: {DEMO_EMAIL} / {DEMO_PASSWORD}, seeded once with {DEMO_SIZE} rows")

    def handle(self, *args: Any, email: str | None, password: str | None, company: str | None, size: int,
               demo: bool = False, **options: Any) -> None:
        if demo:
            self._demo(verbosity=options["verbosity"])
            return
        if not (email and password and company):
            raise CommandError("--email, --password and --company are required (or --demo).")
        if size < 0:
            raise CommandError("--size must be 0 or more")
        try:
            validate_email(email)
        except ValidationError as exc:
            raise CommandError("--email is not an email address.") from exc
        longest = Company._meta.get_field("name").max_length
        if not company.strip() or len(company) > longest:  # type: ignore[operator]
            raise CommandError(f"--company needs a name of 1 to {longest} characters.")
        owner, company_obj = self._owner_and_company(email=email, password=password, company_name=company)
        plan = _plan(size)
        with tqdm(total=size, unit="rows", disable=options["verbosity"] == 0, file=self.stderr) as bar:
            _seed(company_obj.pk, plan, bar.update)
        if size >= ANALYZE_FROM:
            _analyze()
        if options["verbosity"]:
            self.stdout.write(f"Seeded company {company_obj.pk} with {size} rows for user {owner.pk}.")

    def _demo(self, *, verbosity: int) -> None:
        """The demo login, seeded on first use only; its address counts as verified (the operator made it)."""
        if not settings.LOCAL:
            raise CommandError("--demo makes an account with a published password: local mode only.")
        owner, company = self._owner_and_company(email=DEMO_EMAIL, password=DEMO_PASSWORD, company_name=DEMO_COMPANY)
        if owner.email_verified_at is None:
            owner.email_verified_at = timezone.now()
            owner.save(update_fields=["email_verified_at"])
        with tenant_context(company.pk):
            seeded = Contact.objects.filter(company=company).exists()
        if not seeded:
            with tqdm(total=DEMO_SIZE, unit="rows", disable=verbosity == 0, file=self.stderr) as bar:
                _seed(company.pk, _plan(DEMO_SIZE), bar.update)
        if verbosity:
            self.stdout.write(f"Demo login: {DEMO_EMAIL} / {DEMO_PASSWORD} (company {DEMO_COMPANY!r})")

    def _owner_and_company(self, *, email: str, password: str, company_name: str) -> tuple[User, Company]:
        user = User.objects.filter(email__iexact=email).first()
        if user is None:
            try:
                user = account_services.sign_up(email=email, password=password, full_name="Demo Owner",
                                                company_name=company_name)
            except ValidationError as exc:
                raise CommandError("Password refused: " + " ".join(exc.messages)) from exc
        elif not user.check_password(password):
            raise CommandError("That email already has an account with another password.")
        membership = (
            Membership.objects.filter(user=user, role=Membership.Role.OWNER, company__name=company_name,
                                      company__status=Company.Status.ACTIVE)
            .select_related("company").first()
        )
        if membership is None:
            return user, account_services.create_company(name=company_name, owner=user)
        return user, membership.company


def _plan(size: int) -> dict[str, int]:
    accounts = min(BANK_ACCOUNTS, size)
    contacts = min(max(int(size * CONTACT_SHARE), 1 if size > accounts else 0), size - accounts)
    invoices = min(int(size * INVOICE_SHARE), (size - accounts - contacts) // 3) if contacts else 0
    lines = invoices * LINES_PER_INVOICE
    return {"bank_accounts": accounts, "contacts": contacts, "invoices": invoices, "lines": lines,
            "transactions": size - accounts - contacts - invoices - lines}


def _chunks(total: int, size: int = CHUNK) -> list[tuple[int, int]]:
    return [(start, min(start + size, total)) for start in range(0, total, size)]


def _contact(g: int) -> tuple[list[Any], list[str]]:
    """A person or a small business, with an address-book email, phone and street address."""
    mix = g * 2654435761 % 2**32  # Knuth's multiplicative hash: neighbours get unrelated names
    first, last = FIRST_NAMES[mix % 40], LAST_NAMES[(mix // 40) % 40]
    if mix % 3 == 0:
        name = f"{last} {BUSINESS_SUFFIXES[(mix // 1600) % len(BUSINESS_SUFFIXES)]}"
        email = f"accounts.{g}@{last.lower().replace(chr(39), '')}-business.example"
    else:
        name = f"{first} {last}"
        email = f"{first.lower()}.{g}@example.com"
    return ([name, timezone.now()],
            [email, f"+92 3{mix % 50:02d} {g % 10_000_000:07d}",
             f"{1 + mix % 300} {STREETS[mix % len(STREETS)]}\n{CITIES[(mix // 7) % len(CITIES)]}"])


def _bank_account(g: int) -> tuple[list[Any], list[str]]:
    label, bank = BANKS[(g - 1) % len(BANKS)]
    return ([label if g <= len(BANKS) else f"{label} {g}", bank,
             f"{FIRST_NAMES[g % 40]} {LAST_NAMES[(g * 7) % 40]}", "PKR",
             timezone.now()],
            [f"PK{(g * 7919) % 100:02d}MEZN{g * 104729:016d}"])


def _insert_sealed(company_id: int, model: type[models.Model], plain: list[str], sealed: list[str],
                   rows: Iterable[tuple[list[Any], list[str]]], count: int) -> None:
    """Insert rows whose personal fields are sealed in Python (the database never sees them plain).

    Ids come from the sequence first: each sealed value is bound to its row id.
    """
    with tenant_context(company_id), connection.cursor() as cursor:
        key = active_key(company_id)
        values = []
        for row_id, (plain_values, sealed_values) in zip(next_ids(model, count), rows, strict=True):
            values.append([row_id, company_id, *plain_values, *(
                seal(text, key=key, place=Place(company_id, model._meta.label, name, row_id))
                for name, text in zip(sealed, sealed_values, strict=True))])
        columns = ", ".join(["id", "company_id", *plain, *sealed])
        execute_values(cursor, f"INSERT INTO {model._meta.db_table} ({columns}) VALUES %s", values, page_size=2000)


def _run(company_id: int, sql: str, params: list[Any]) -> None:
    with tenant_context(company_id), connection.cursor() as cursor:
        cursor.execute(sql, params)


def _parents(table: str) -> str:
    """A CTE holding the ids of this company's rows of ``table``: references never guess ids.

    (A range of "the newest N ids" would take in another company's rows inserted meanwhile.)
    """
    return f"WITH parents AS (SELECT array_agg(id ORDER BY id) AS ids FROM {table} WHERE company_id = %s)"


def _analyze() -> None:
    """Fresh planner statistics after a bulk load (a list page went from 443 ms to 32 ms).

    As the owner: the app role may not ANALYZE tables it does not own.
    """
    with connections["owner"].cursor() as cursor:
        for table in SEEDED_TABLES:
            cursor.execute(f'ANALYZE "{table}"')


def _seed(company_id: int, plan: dict[str, int], progress: Any) -> None:
    """Two years of a small business's books, ending today (Django's clock, so tests can pin it)."""
    today = timezone.localdate()
    number_prefix = f"INV-{secrets.token_hex(3).upper()}-"  # distinct per run: seeding twice never collides
    if plan["bank_accounts"]:
        _insert_sealed(company_id, BankAccount, ["name", "bank_name", "holder_name", "currency", "created_at"],
                       ["account_number"], (_bank_account(g) for g in range(1, plan["bank_accounts"] + 1)),
                       plan["bank_accounts"])
        progress(plan["bank_accounts"])

    for start, stop in _chunks(plan["contacts"], SEALED_CHUNK):
        _insert_sealed(company_id, Contact, ["name", "created_at"], ["email", "phone", "address"],
                       (_contact(g) for g in range(start + 1, stop + 1)), stop - start)
        progress(stop - start)

    for start, stop in _chunks(plan["invoices"]):
        _run(company_id, _parents("ledger_contact") + f""",
            rows AS (
                SELECT g, h %% 730 AS age, (h / 730) %% 20 AS roll, h, %s::date AS today
                FROM generate_series(%s::bigint, %s::bigint) g CROSS JOIN LATERAL (SELECT {MIX} AS h) mixed),
            new_invoices AS (
                INSERT INTO ledger_invoice (company_id, contact_id, number, issue_date, due_date, status, currency, notes, created_at)
                SELECT %s, parents.ids[1 + h %% cardinality(parents.ids)], %s || lpad(g::text, greatest(5, length(g::text)), '0'),
                       today - age::int, today - age::int + (ARRAY[14, 30, 30, 45])[1 + (h / 7) %% 4],
                       CASE WHEN age < 21 THEN (CASE WHEN roll < 8 THEN 'draft' ELSE 'sent' END)
                            WHEN age < 90 THEN (CASE WHEN roll < 9 THEN 'sent' WHEN roll < 19 THEN 'paid' ELSE 'void' END)
                            ELSE (CASE WHEN roll < 18 THEN 'paid' WHEN roll < 19 THEN 'sent' ELSE 'void' END) END,
                       'PKR', (ARRAY['', '', 'Thank you for your business.', 'Payment by bank transfer within the due date.'])[1 + (h / 13) %% 4],
                       ((today - age::int) + time '09:00') AT TIME ZONE 'UTC'
                FROM parents, rows
                RETURNING id)
            INSERT INTO ledger_invoiceline (company_id, invoice_id, position, description, quantity, unit_price)
            SELECT %s, i.id, p, {ITEM}[1 + item.h %% 12], 1 + (item.h / 12) %% 4,
                   round({ITEM_PRICE}[1 + item.h %% 12] * (80 + (item.h / 48) %% 41) / 100.0, 2)
            FROM new_invoices i CROSS JOIN generate_series(0, %s) p
                 CROSS JOIN LATERAL (SELECT hashint8(i.id * 8 + p) & 2147483647 AS h) item""",
             [company_id, today, start + 1, stop, company_id, number_prefix, company_id, LINES_PER_INVOICE - 1])
        progress((stop - start) * (1 + LINES_PER_INVOICE))

    for start, stop in _chunks(plan["transactions"]):
        _run(company_id, _parents("ledger_bankaccount") + f"""
            INSERT INTO ledger_banktransaction (company_id, bank_account_id, booked_on, description, counterparty, amount)
            SELECT %s, parents.ids[1 + h %% cardinality(parents.ids)], today - (h %% 730)::int,
                   CASE WHEN kind < 30 THEN 'Card payment ' || {MERCHANTS}[1 + size %% 10]
                        WHEN kind < 45 THEN 'Invoice payment'
                        WHEN kind < 52 THEN 'Refund ' || {MERCHANTS}[1 + size %% 10]
                        WHEN kind < 67 THEN 'Bill ' || {UTILITIES}[1 + size %% 5]
                        WHEN kind < 77 THEN 'Salary'
                        WHEN kind < 82 THEN 'Office rent'
                        WHEN kind < 94 THEN 'Bank charges'
                        ELSE 'Cash deposit' END,
                   CASE WHEN kind < 30 OR (kind >= 45 AND kind < 52) THEN {MERCHANTS}[1 + size %% 10]
                        WHEN kind < 45 OR (kind >= 67 AND kind < 77) THEN {FIRST}[1 + size %% 40] || ' ' || {LAST}[1 + (size / 40) %% 40]
                        WHEN kind < 67 THEN {UTILITIES}[1 + size %% 5]
                        WHEN kind < 82 THEN 'Gulberg Properties'
                        ELSE '' END,
                   CASE WHEN kind < 30 THEN -(200 + size %% 15000 + cents)
                        WHEN kind < 45 THEN 5000 + size %% 145000 + cents
                        WHEN kind < 52 THEN 100 + size %% 5000 + cents
                        WHEN kind < 67 THEN -(2000 + size %% 23000 + cents)
                        WHEN kind < 77 THEN -(45000 + (size %% 106) * 1000)
                        WHEN kind < 82 THEN -85000
                        WHEN kind < 94 THEN -(25 + size %% 575)
                        ELSE 1000 + (size %% 50) * 1000 END
            FROM parents, (SELECT %s::date AS today) clock, generate_series(%s::bigint, %s::bigint) g
                 CROSS JOIN LATERAL (SELECT {MIX} AS h) mixed
                 CROSS JOIN LATERAL (SELECT (h / 730) %% 100 AS kind, h / 73000 AS size,
                                            ((h / 7) %% 100)::numeric / 100 AS cents) parts""",
             [company_id, company_id, today, start + 1, stop])
        progress(stop - start)
