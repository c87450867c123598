"""Model fields whose values are stored sealed (``privacy.crypto``) under the company's key.

The column is ``bytea``. A loaded value stays sealed until the attribute is read; reading opens
it with the key named in the value and the place (company, model, field, row) it belongs to.
A value assigned in Python is sealed in ``pre_save`` with the company's active key.

Because the row id is part of the associated data, a model with sealed fields takes its id
from the sequence *before* the insert (``SealedFieldsModel.save``). Such fields cannot be
filtered on (the database only sees ciphertext) nor written with ``QuerySet.update``.
"""

from __future__ import annotations

import functools
from collections.abc import Collection, Sequence
from typing import Any

from django.db import connection, models
from django.db.models.query_utils import DeferredAttribute
from django.utils.functional import cached_property

from privacy import crypto, keys


class Sealed(bytes):
    """Ciphertext as stored; ``plaintext`` caches the opened value once read."""

    plaintext: str | None = None


def place_of(instance: models.Model, field_name: str) -> crypto.Place:
    return crypto.Place(instance.company_id, instance._meta.label, field_name, instance.pk)  # type: ignore[attr-defined]




class _SealedAttribute(DeferredAttribute):
    def __get__(self, instance: Any, cls: Any = None) -> Any:
        if instance is None:
            return self
        try:
            value = instance.__dict__[self.attname]
        except KeyError:  # deferred: let Django load it
            value = super().__get__(instance, cls)
        if value.__class__ is Sealed:  # runs for every read: no isinstance, no extra calls
            text = value.plaintext
            if text is None:
                text = value.plaintext = self.open_values([(value, instance.pk)], instance.company_id)[0] if value else ""
            return text
        return value

    @cached_property
    def attname(self) -> str:
        return str(self.field.attname)

    def open_values(self, values: list[tuple[Sealed, int]], company_id: int) -> list[str]:
        """``(sealed, row id)`` of one company, opened; the associated data's constant part once per company."""
        prefix = self._prefixes.get(company_id)
        if prefix is None:
            prefix = self._prefixes[company_id] = crypto.place_prefix(company_id, self.label, self.field.name)
        return crypto.open_many(values, keys.key_by_id, company_id, prefix)

    @cached_property
    def _prefixes(self) -> dict[int, bytes]:
        return {}

    @cached_property
    def label(self) -> str:
        return self.field.model._meta.label

    def __set__(self, instance: Any, value: Any) -> None:
        instance.__dict__[self.field.attname] = value


class SealedFieldMixin:
    """Shared behaviour of the sealed field types below."""

    descriptor_class: type[DeferredAttribute] = _SealedAttribute
    sealed = True

    def get_internal_type(self) -> str:
        return "BinaryField"

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        if value is None:
            return None
        return Sealed(value) if len(value) else ""  # one copy, straight from the driver's buffer

    def to_python(self, value: Any) -> Any:
        return value if value is None or isinstance(value, bytes) else str(value)

    def get_prep_value(self, value: Any) -> Any:
        if value is None or isinstance(value, bytes):
            return value
        if value == "":
            return b""
        raise TypeError("sealed fields cannot be compared with or updated to plain values; save the model")

    def get_db_prep_value(self, value: Any, connection: Any, prepared: bool = False) -> Any:
        value = self.get_prep_value(value)
        return None if value is None else connection.Database.Binary(value)

    def pre_save(self, model_instance: models.Model, add: bool) -> Any:
        name = self.attname  # type: ignore[attr-defined]
        value = model_instance.__dict__.get(name)
        if value is None or isinstance(value, bytes):
            return value
        if value == "":
            return b""
        if model_instance.pk is None:
            raise ValueError("a row with sealed fields needs its id before the insert (SealedFieldsModel)")
        place = place_of(model_instance, self.name)  # type: ignore[attr-defined]
        sealed = Sealed(crypto.seal(value, key=keys.active_key(place.company_id), place=place))
        sealed.plaintext = value
        model_instance.__dict__[name] = sealed
        return sealed

    def get_lookup(self, lookup_name: str) -> Any:
        if lookup_name not in {"exact", "isnull"}:
            return None
        return super().get_lookup(lookup_name)  # type: ignore[misc]

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()  # type: ignore[misc]
        return name, f"privacy.fields.{type(self).__name__}", args, kwargs


class SealedCharField(SealedFieldMixin, models.CharField):
    pass


class SealedEmailField(SealedFieldMixin, models.EmailField):
    pass


class SealedTextField(SealedFieldMixin, models.TextField):
    pass


class SealedFieldsModel(models.Model):
    """Base of models with sealed fields: the id is drawn before the insert (see module doc)."""

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self._state.adding and self.pk is None:
            self.pk = next_ids(type(self), 1)[0]
            kwargs["force_insert"] = True
        super().save(*args, **kwargs)


def next_ids(model: type[models.Model], count: int) -> list[int]:
    """``count`` fresh ids from the model's sequence, for rows inserted in bulk."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                       [model._meta.db_table, count])
        return [row[0] for row in cursor.fetchall()]


def sealed_fields(model: type[models.Model]) -> list[models.Field]:
    return [f for f in model._meta.concrete_fields if getattr(f, "sealed", False)]


def is_stored(instance: models.Model, name: str) -> bool:
    """Whether a sealed field holds a value, known without opening it (the empty string is stored as nothing)."""
    if name in instance.__dict__:
        return bool(instance.__dict__[name])
    # Deferred: read the column itself (refresh_from_db would go through the attribute, and open it).
    stored = type(instance)._base_manager.filter(pk=instance.pk).values_list(name, flat=True).first()
    return bool(stored)


def open_all(instances: Sequence[models.Model], *, attnames: Collection[str] | None = None) -> None:
    """Open every sealed value of ``instances`` not read yet: what reading each attribute does, in batches.

    For a page of rows about to be shown (issue 16): one batch per model, field and company, so
    the key is looked up once per batch and the loop stays in ``crypto.open_many``. Raises what
    reading the attribute would (DecryptionError, KeyDestroyed). ``attnames``: only those fields.
    """
    by_model: dict[type[models.Model], list[models.Model]] = {}
    for instance in instances:
        if isinstance(instance, models.Model):  # (a serializer may show validated data, dicts: nothing sealed)
            by_model.setdefault(type(instance), []).append(instance)
    for model, rows in by_model.items():
        fields = [field for field in _sealed_attnames(model) if attnames is None or field in attnames]
        pk = model._meta.pk.attname
        for field in fields:
            batches: dict[int, list[tuple[Sealed, int]]] = {}
            for row in rows:
                values = row.__dict__
                value = values.get(field)
                if value.__class__ is Sealed and value.plaintext is None and value:
                    company_id = values["company_id"] if "company_id" in values else row.company_id  # type: ignore[attr-defined]
                    batches.setdefault(company_id, []).append((value, values[pk] if pk in values else row.pk))
            for company_id, pairs in batches.items():
                for (sealed, _pk), text in zip(pairs, getattr(model, field).open_values(pairs, company_id),
                                               strict=True):
                    sealed.plaintext = text


@functools.cache
def _sealed_attnames(model: type[models.Model]) -> tuple[str, ...]:
    return tuple(f.attname for f in sealed_fields(model))
