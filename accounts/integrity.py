"""A unique constraint that the database enforces answers like the check before it (issue 15, SAF-4).

Services check "is this number taken?" before they write, for a clear message; two requests at
once both pass that check, and the database's unique constraint stops the second with an
``IntegrityError``, a 500. ``unique_errors`` turns that into the ``ValidationError`` the check
would have raised, on the field the constraint concerns, so forms and the API answer 400.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction

_UNIQUE_VIOLATION = "23505"


@contextmanager
def unique_errors(model: type[models.Model]) -> Iterator[None]:
    """Run the block in a savepoint; a unique violation of ``model``'s becomes a ValidationError."""
    try:
        with transaction.atomic():
            yield
    except IntegrityError as exc:
        error = as_validation_error(exc, model)
        if error is None:
            raise
        raise error from exc


def as_validation_error(exc: IntegrityError, model: type[models.Model]) -> ValidationError | None:
    cause = exc.__cause__
    if getattr(cause, "pgcode", None) != _UNIQUE_VIOLATION:
        return None
    name = getattr(getattr(cause, "diag", None), "constraint_name", None)
    for constraint in model._meta.constraints:
        if isinstance(constraint, models.UniqueConstraint) and constraint.name == name:
            fields = [f for f in constraint.fields if f != "company"] or list(constraint.fields)
            field = getattr(model, "CONSTRAINT_FIELDS", {}).get(constraint.violation_error_code)
            if field is None:
                field = fields[-1] if fields else "__all__"  # a constraint of expressions: not one field's
            message = constraint.violation_error_message
            if message == constraint.default_violation_error_message:
                message = f"A {model._meta.verbose_name} with this {field.replace('_', ' ')} already exists."
            return ValidationError({field: ValidationError(str(message), code="unique")})
    for field in model._meta.concrete_fields:
        if field.unique and not field.primary_key and name == f"{model._meta.db_table}_{field.column}_key":
            message = field.error_messages["unique"] % {"model_name": model._meta.verbose_name,
                                                       "field_label": field.verbose_name}
            return ValidationError({field.name: ValidationError(message, code="unique")})
    return None
