"""Keyset pagination for the ledger's lists, pages and API alike: a deep page costs what the first does.

A page is "the ``size`` rows after (or before) row ``id`` in the order (sort key, id)". The
next page's query is ``WHERE (key, id) > (key of row id, id) ORDER BY key, id LIMIT size + 1``:
an index on (company, key, id) walks straight to it, where ``OFFSET n`` would read and drop n
rows first. The id breaks ties, so no row is shown twice or skipped, and rows inserted while
someone pages only appear where they belong.

The cursor is opaque to clients and holds only the boundary row's id and the direction, never
the sort key's value: that value may be a person's name, and cursors travel in URLs and logs.
The key is read back from the row itself (one indexed query). So a cursor whose row has since
been deleted cannot be continued (``CursorGone``), and one whose row was edited continues from
its new place.

Counting every match at each page is what grows with the company: ``capped_count`` stops at
``COUNT_CAP`` and the pages say "more than 10,000". The page's own query carries that count as an
uncorrelated subquery (PostgreSQL runs it once, as an InitPlan), so a list page is one round trip,
not two (issue 16: round trips were most of a list's cost under load); only an empty page counts apart.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db.models import BooleanField, F, Func, IntegerField, Model, Q, QuerySet, Value
from django.db.models.expressions import Combinable, RawSQL

COUNT_CAP = 10_000


class InvalidCursor(ValueError):
    """The cursor is not one we made."""


class CursorGone(LookupError):
    """The cursor's row no longer exists (or is not in this list): start again from the first page."""


@dataclass(frozen=True)
class Cursor:
    after: bool  # True: the rows after ``pk`` in the list's order; False: the rows before it
    pk: int

    def encode(self) -> str:
        raw = f"{'a' if self.after else 'b'}{self.pk}".encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def decode(cls, text: str) -> Cursor:
        try:
            raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode("ascii")
        except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
            raise InvalidCursor(text) from exc
        if len(raw) < 2 or raw[0] not in "ab" or not raw[1:].isdigit() or len(raw) > 20:
            raise InvalidCursor(text)
        return cls(after=raw[0] == "a", pk=int(raw[1:]))


@dataclass(frozen=True)
class Order:
    """A list's order: one key (a field path or annotation) and the id, both the same way."""

    key: str
    descending: bool = False

    def order_by(self, *, reverse: bool = False) -> tuple[Combinable, Combinable]:
        descending = self.descending != reverse
        return ((F(self.key).desc(), F("pk").desc()) if descending else (F(self.key).asc(), F("pk").asc()))


class RowCompare(Func):
    """``((key, id) > (%s, %s))``: PostgreSQL compares rows left to right, so one index range serves it."""

    template = "(%(expressions)s)"
    output_field = BooleanField()

    def __init__(self, key: str, value: Any, pk: int, *, greater: bool) -> None:
        super().__init__(Func(F(key), F("pk"), function=""), Func(Value(value), Value(pk), function=""),
                         arg_joiner=" > " if greater else " < ")


@dataclass
class Page:
    rows: list[Any]
    next: Cursor | None
    previous: Cursor | None
    count: int = 0  # the matching rows, counted up to COUNT_CAP (``capped_count``)
    capped: bool = False  # more than COUNT_CAP match


def keyset_page(queryset: QuerySet[Any], *, order: Order, cursor: Cursor | None, size: int) -> Page:
    """The ``size`` rows of ``queryset`` at ``cursor`` (None: the first page) in ``order``.

    ``queryset`` is already scoped to the company and filtered; raise CursorGone when the
    cursor's row is not in it. The page also holds the capped count of ``queryset``.
    """
    forward = cursor is None or cursor.after
    rows_query = queryset
    if cursor is not None:
        boundary = queryset.filter(pk=cursor.pk).values_list(order.key, flat=True)
        values = list(boundary[:1])
        if not values:
            raise CursorGone(cursor.pk)
        value = values[0]
        # "After" in a descending list is "smaller"; the plain bound lets the index start at the key.
        greater = forward != order.descending
        bound = Q(**{f"{order.key}__gte" if greater else f"{order.key}__lte": value})
        rows_query = queryset.filter(bound, RowCompare(order.key, value, cursor.pk, greater=greater))
    try:
        rows_query = rows_query.annotate(**{_COUNTED: _capped_count_expression(queryset)})
    except EmptyResultSet:  # a filter that matches nothing (no search hit): no rows, the count below says 0
        pass
    rows = list(rows_query.order_by(*order.order_by(reverse=not forward))[: size + 1])
    more = len(rows) > size
    rows = rows[:size]
    if not forward:
        rows.reverse()
        if not rows:  # nothing before it any more: the first page
            return keyset_page(queryset, order=order, cursor=None, size=size)
    if not rows:
        count, capped = capped_count(queryset)
        return Page([], None, Cursor(False, cursor.pk) if cursor else None, count, capped)
    counted = _counted(rows[0])
    count, capped = min(counted, COUNT_CAP), counted > COUNT_CAP
    first, last = _pk(rows[0]), _pk(rows[-1])
    if forward:
        return Page(rows, Cursor(True, last) if more else None, Cursor(False, first) if cursor else None,
                    count, capped)
    return Page(rows, Cursor(True, last), Cursor(False, first) if more else None, count, capped)


_COUNTED = "_capped_count"


def _capped_count_expression(queryset: QuerySet[Any]) -> RawSQL:
    """``(SELECT COUNT(*) FROM (<queryset's ids> LIMIT cap + 1))``, for the page query's select list."""
    sql, params = queryset.order_by().values("pk")[: COUNT_CAP + 1].query.sql_with_params()
    # The SQL is the ORM's own compilation of the queryset; every value stays a parameter.
    return RawSQL(f"SELECT COUNT(*) FROM ({sql}) capped", params, output_field=IntegerField())  # noqa: S608, S611


def _counted(row: Any) -> int:
    return int(getattr(row, _COUNTED) if isinstance(row, Model) else row[_COUNTED])


def _pk(row: Any) -> int:
    return int(row.pk if isinstance(row, Model) else row["pk"])


def capped_count(queryset: QuerySet[Any], *, cap: int | None = None) -> tuple[int, bool]:
    """How many rows match, counting at most ``cap`` + 1: (count, True when there are more than ``cap``)."""
    cap = COUNT_CAP if cap is None else cap
    counted = queryset.order_by().values("pk")[: cap + 1].count()
    return min(counted, cap), counted > cap
