"""Text search over the ledger's plain-text columns, served by company-scoped gram indexes.

What a term matches: a term of three characters or more matches any part of the value
("lace" finds "Ada Lovelace"); a term of one or two characters matches the start of a word
("ad" and "lo" find her, "ce" does not). Case does not matter. Sealed columns (a contact's
email, phone and address) are ciphertext in the database and cannot be searched.

The index: each searched column has a GIN index over ``ledger_search_grams(company_id, value)``
(migration 0010), the text array of the value's three-character grams and of its word starts,
each prefixed with the company id ("42: ad", "42:ada", …), so a posting list holds one company's
rows only. pg_trgm would give the grams, but the embedded PostgreSQL of ``make run`` and the tests
ships no contrib extension; these SQL functions are core PostgreSQL everywhere.

Why a function finds the ids (measured at 100,000 rows, bench/finding.py): under row-level
security PostgreSQL uses a condition of the query as an index condition only if its operator is
LEAKPROOF, and no GIN operator is (nor ILIKE, so pg_trgm would not help either); the app role's
search walked every row of the company, computing grams per row: 2-7 s. ``ledger_search_ids``
(SECURITY DEFINER, owned by the migrating role) asks the index for the current company's rows
only, rechecks them exactly, and returns their ids; the query then takes ``id = ANY(ids)``, which
is leakproof. A term that matches more than ``MOST`` rows gets no id list: such rows are dense,
and walking the list's order with a filter finds a page of them at once. Where the migrating role
is itself subject to row-level security (no superuser, no BYPASSRLS), the function still answers
right, only without the index.
"""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.db import connection
from django.db.models import BigIntegerField, BooleanField, F, Func, Model, Q, TextField, Value

LONGEST_TERM = 100  # characters; a longer term is cut (a name is at most 200)
WORD_START = 3  # terms shorter than this match the start of a word
MOST = 10_000  # more matches than this: no id list (see the module doc)
# (model, column) -> the kind ledger_search_ids knows; each has a gram index (models' Meta).
KINDS = {("contact", "name"): "contact.name", ("invoice", "number"): "invoice.number",
         ("banktransaction", "description"): "banktransaction.description",
         ("banktransaction", "counterparty"): "banktransaction.counterparty"}


class SearchGrams(Func):
    """``ledger_search_grams(company_id, column)``: the indexed expression (models' GIN indexes)."""

    function = "ledger_search_grams"
    output_field = ArrayField(TextField())


def normalise(term: str) -> str:
    """The term as searched: inner runs of white space as one space, ends trimmed, at most LONGEST_TERM.

    NUL is dropped: PostgreSQL text cannot hold it (and no stored value has one).
    """
    return " ".join(term.replace("\x00", "").split())[:LONGEST_TERM].strip()


def _ids(kind: str, term: str) -> list[int] | None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT ledger_search_ids(%s, %s, %s)", [kind, term, MOST])
        found = cursor.fetchone()[0]
    return None if found is None else list(found)


def exactly(column: str, term: str) -> Q:
    """The match itself, as a filter (what the function rechecks; used when matches are dense)."""
    if len(term) < WORD_START:
        return Q(**{f"{column}__istartswith": term}) | Q(**{f"{column}__icontains": f" {term}"})
    return Q(**{f"{column}__icontains": term})


def matches(model: type[Model], column: str, term: str) -> Q:
    """Rows of ``model`` (in the current company) whose ``column`` matches ``term`` (normalised, non-empty).

    Runs one query now (the id lookup); the Q it returns holds the ids, or the plain filter when
    the term matches more than MOST rows.
    """
    ids = _ids(KINDS[(model._meta.model_name or "", column)], term)
    if ids is None:
        return exactly(column, term)
    if not ids:
        return Q(pk__in=[])
    return Q(AnyOf(F("pk"), ids))


class AnyOf(Func):
    """``id = ANY(%s::bigint[])``: one array parameter, and an operator row-level security lets an index use."""

    arg_joiner = " = "
    template = "(%(expressions)s)"
    output_field = BooleanField()

    def __init__(self, field: F, ids: list[int]) -> None:
        super().__init__(field, Func(Value(ids, output_field=ArrayField(BigIntegerField())),
                                     template="ANY(%(expressions)s::bigint[])"))
