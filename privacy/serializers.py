"""The API's read path for model rows (issue 16): fields planned once, sealed values opened in batches.

DRF's ``ModelSerializer`` works out its fields from the model, and walks every field's source,
again for every serializer and row; a list of rows with sealed fields opened each value through
the attribute, one by one. For the API lists those were a third of the serializer's time.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import UTC
from operator import attrgetter
from typing import Any

from django.db import models
from django.db.models import Model
from django.db.models.manager import BaseManager
from rest_framework import serializers
from rest_framework.fields import Field, SkipField
from rest_framework.relations import PKOnlyObject

from privacy.fields import open_all


class ShownRowsListSerializer(serializers.ListSerializer):
    """A list of rows about to be shown: the sealed values it shows are opened in batches first.

    ``privacy.fields.open_all`` opens a page's values per field with one key lookup, where reading
    each attribute would go through the whole open path value by value (issue 16).
    """

    def to_representation(self, data: Any) -> list[Any]:
        child = self.child
        if not isinstance(child, PlannedReadSerializer):  # (a Meta shared with a plain serializer)
            return super().to_representation(data)
        rows = list(data.all() if isinstance(data, BaseManager) else data)
        open_all(rows, attnames=child.shown_attnames())
        return [child.to_representation(row) for row in rows]


Plan = list[tuple[str, Callable[[Any], Any] | None, Field]]


class UtcDateTimeField(serializers.DateTimeField):
    """Timestamps in UTC, ``…Z``: what the API always showed (TIME_ZONE is UTC and no view activates another),
    now said once instead of asked of the thread's current timezone for every value (issue 16)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("default_timezone", UTC)
        super().__init__(*args, **kwargs)


class PlannedReadSerializer(serializers.ModelSerializer):
    """DRF's ``to_representation`` with the walk over the fields planned once per serializer (issue 16).

    DRF looks every field's source up again for each row (``Field.get_attribute``: a generic walk
    with callable checks), which was a third of the API list's serializer time. A field whose
    source is one of the model's own columns is read here with ``attrgetter``; every other field
    (relations, dotted or callable sources, nested serializers) keeps DRF's own path, and every
    value is still formatted by its field's ``to_representation``. Lists of it use
    ``ShownRowsListSerializer``. One difference: a direct column read that fails (it cannot, for a
    loaded row's own column) raises, where DRF would show the field's default or skip it.

    The model's fields are built once per class (``get_fields``), so a subclass's ``get_fields``
    may change the copies it gets (``CompanyScopedSerializer`` sets per-company querysets) but
    must not rely on the context to decide which fields exist.
    """

    serializer_field_mapping = {**serializers.ModelSerializer.serializer_field_mapping,
                                models.DateTimeField: UtcDateTimeField}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        meta = cls.__dict__.get("Meta")
        if meta is not None and not hasattr(meta, "list_serializer_class"):
            meta.list_serializer_class = ShownRowsListSerializer

    def to_representation(self, instance: Any) -> dict[str, Any]:
        if not isinstance(instance, self.Meta.model):  # validated data, a dict: DRF's generic walk
            return super().to_representation(instance)
        plan = self._plan()
        shown: dict[str, Any] = {}
        for name, read, field in plan:
            if read is not None:
                attribute = read(instance)
                check_for_none = attribute
            else:
                try:
                    attribute = field.get_attribute(instance)
                except SkipField:
                    continue
                check_for_none = attribute.pk if isinstance(attribute, PKOnlyObject) else attribute
            shown[name] = None if check_for_none is None else field.to_representation(attribute)
        return shown

    def get_fields(self) -> dict[str, Field]:
        """ModelSerializer's fields, worked out from the model once per class; each serializer gets copies.

        (What DRF does for declared fields, ``copy.deepcopy``; building them from the model's
        metadata again on every request cost twice that.)
        """
        built: dict[str, Field] | None = type(self).__dict__.get("_built_fields")
        if built is None:
            built = super().get_fields()
            type(self)._built_fields = built  # type: ignore[attr-defined]
        return copy.deepcopy(built)

    def shown_attnames(self) -> frozenset[str]:
        """The model attributes this serializer reads directly (``ShownRowsListSerializer`` opens those)."""
        return frozenset(field.source_attrs[0] for _name, read, field in self._plan() if read is not None)

    def _plan(self) -> Plan:
        plan: Plan | None = self.__dict__.get("_read_plan")
        if plan is None:
            fields = self.fields
            plan = self.__dict__["_read_plan"] = [
                (name, None if source is None else attrgetter(source), fields[name]) for name, source in self._readers()]
        return plan

    def _readers(self) -> list[tuple[str, str | None]]:
        """Per readable field, in order: its name and the model column it reads directly (None: DRF's path).

        Worked out once per class and set of fields (a serializer may drop or add fields per instance).
        """
        readable = list(self._readable_fields)
        known: dict[tuple[str, ...], list[tuple[str, str | None]]] = type(self).__dict__.get("_read_sources", {})
        names = tuple(str(field.field_name) for field in readable)
        readers = known.get(names)
        if readers is None:
            model: type[Model] = self.Meta.model
            columns = {name for f in model._meta.concrete_fields if not f.is_relation
                       for name in (f.name, f.attname)}
            readers = [(name,
                        field.source_attrs[0] if (type(field).get_attribute is Field.get_attribute
                                                  and len(field.source_attrs) == 1
                                                  and field.source_attrs[0] in columns) else None)
                       for name, field in zip(names, readable, strict=True)]
            type(self)._read_sources = {**known, names: readers}  # type: ignore[attr-defined]
        return readers
