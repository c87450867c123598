"""System checks for rules that span several settings (run by ``manage.py check`` and CI)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, Tags, register


@register(Tags.security, deploy=True)
def site_url_is_https(app_configs: Any, **kwargs: Any) -> list[Error]:
    """Links in emails are built from SITE_URL; in production they must use TLS (SAF-2)."""
    if settings.PRODUCTION and not settings.SITE_URL.startswith("https://"):
        return [Error("SITE_URL must start with https:// in production", id="softhelpers.E001")]
    return []
