from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def attr(record: object, path: str) -> object:
    """``{{ record|attr:"contact.name" }}``: follow dotted attributes, calling methods."""
    value: object = record
    for part in path.split("."):
        value = getattr(value, part, None)
        if callable(value):
            value = value()
        if value is None:
            return ""
    return value
