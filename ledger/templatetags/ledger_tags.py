from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from django import template
from django.utils import formats

from ledger.money import format_money

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
    return shown(value)


@register.filter
def shown(value: object) -> object:
    """Dates and times one way everywhere (settings' DATE_FORMAT, DATETIME_FORMAT); other values as they are."""
    if isinstance(value, datetime):
        return formats.date_format(value, "DATETIME_FORMAT")
    if isinstance(value, date):
        return formats.date_format(value, "DATE_FORMAT")
    return value


@register.filter
def money(amount: Decimal | None, currency: str) -> str:
    """``{{ line.amount|money:record.currency }}``."""
    return format_money(amount, currency)
