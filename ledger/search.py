"""Text search over the ledger's plain-text columns, served by company-scoped gram indexes.

What a term matches: a term of three characters or more matches any part of the value
("lace" finds "Ada Lovelace"); a term of one or two characters matches the start of a word
("ad" and "lo" find her, "ce" does not). Case does not matter. Sealed columns (a contact's
email, phone and address) are ciphertext in the database and cannot be searched.

How it stays fast: each searched column has a GIN index over ``ledger_search_grams(company_id,
value)`` (migration 0010), the text array of the value's three-character grams and of its word
starts, each prefixed with the company id ("42: ad", "42:ada", …). A term's grams must all be
present (``@>``), an exact ``ILIKE`` then rechecks the few candidates. Keys carry the company,
so a posting list holds one company's rows only: another company's "ada"s cost nothing.
pg_trgm would do the gram part, but the embedded PostgreSQL of ``make run`` and the tests ships
no contrib extension; these two SQL functions are core PostgreSQL everywhere.
"""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.db.models import BooleanField, F, Func, Q, TextField, Value

LONGEST_TERM = 100  # characters; a longer term is cut (a name is at most 200)
WORD_START = 3  # terms shorter than this match the start of a word


class SearchGrams(Func):
    """``ledger_search_grams(company_id, column)``: the indexed expression (models' GIN indexes)."""

    function = "ledger_search_grams"
    output_field = ArrayField(TextField())


class TermGrams(Func):
    """The grams a term needs (``ledger_search_term_grams``): immutable, so computed once at planning."""

    function = "ledger_search_term_grams"
    output_field = ArrayField(TextField())


class HasGrams(Func):
    """``grams @> term_grams``: the index condition."""

    arg_joiner = " @> "
    template = "(%(expressions)s)"
    output_field = BooleanField()


def normalise(term: str) -> str:
    """The term as searched: inner runs of white space as one space, ends trimmed, at most LONGEST_TERM.

    NUL is dropped: PostgreSQL text cannot hold it (and no stored value has one).
    """
    return " ".join(term.replace("\x00", "").split())[:LONGEST_TERM].strip()


def matches(column: str, term: str, *, company_id: int) -> Q:
    """Rows whose ``column`` (a plain-text column with a gram index) matches ``term``.

    ``term`` must be normalised and non-empty. ``company_id`` is the company of the rows (the
    selector's own filter; the index keys carry it).
    """
    grams = HasGrams(SearchGrams(F("company_id"), F(column)), TermGrams(Value(company_id), Value(term)))
    if len(term) < WORD_START:
        exact = Q(**{f"{column}__istartswith": term}) | Q(**{f"{column}__icontains": f" {term}"})
    else:
        exact = Q(**{f"{column}__icontains": term})
    return Q(grams) & exact

