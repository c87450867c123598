"""Rows of the lookups every request makes, read by SQL built once per process (issue 16).

The API token check and the membership lookup run on every request, and their shape never
changes. Through the ORM each one costs 0.4–0.6 ms of Python on this machine (building the
queryset, compiling it, resolving the select-related tree) around a 0.13 ms round trip; the
profile of the API list put them among its largest costs. Here their SELECT is built from the
models' own metadata once, and instances are made by ``Model.from_db``, the ORM's own
constructor for loaded rows, so a field added to a model is read without a change here.

Only for fixed lookups by key: anything with filters, search or sort stays a queryset.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Generic, TypeVar

from django.db import connection
from django.db.models import Model

M = TypeVar("M", bound=Model)


class Selected(Generic[M]):
    """A model's concrete columns in a hand-written SELECT under ``alias``, and its instance from them."""

    def __init__(self, model: type[M], alias: str) -> None:
        self.model = model
        self.alias = alias
        self.fields = tuple(model._meta.concrete_fields)
        self.attnames = [field.attname for field in self.fields]
        self.width = len(self.fields)
        quote = connection.ops.quote_name
        self.table = f"{quote(model._meta.db_table)} {alias}"
        self._columns = {name: f"{alias}.{quote(str(field.column))}"
                         for field in self.fields for name in (field.name, field.attname)}
        self.columns = ", ".join(self._columns[field.attname] for field in self.fields)
        self._converters = []  # what the ORM's compiler applies to each column: the backend's, then the field's
        for i, field in enumerate(self.fields):
            column = field.get_col(alias)
            converters = connection.ops.get_db_converters(column) + column.get_db_converters(connection)
            if converters:
                self._converters.append((i, column, converters))

    def column(self, name: str) -> str:
        """``alias."column"`` of the field ``name`` (its attname or name), for the WHERE clause."""
        return self._columns[name]

    def load(self, row: Sequence[Any], start: int = 0) -> M:
        """The instance from ``row[start:start + width]``, as the ORM would have loaded it."""
        values = list(row[start:start + self.width])
        for i, column, converters in self._converters:
            for convert in converters:
                values[i] = convert(values[i], column, connection)
        return self.model.from_db(connection.alias, self.attnames, values)
