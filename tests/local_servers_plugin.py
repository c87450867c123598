"""The test session as an entry point: start the local servers before pytest-django reads the settings.

Loaded with ``-p tests.local_servers_plugin`` (pyproject ``addopts``), so it runs before the
settings are imported: a fresh clone has no key files yet, and the settings only read them.
"""

from __future__ import annotations

import os

import pytest


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config: pytest.Config, parser: pytest.Parser, args: list[str]) -> None:
    # Importing softhelpers loads its Celery app, which names the production settings module by
    # default; name the test settings first (pytest-django still lets --ds override them).
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", str(early_config.getini("DJANGO_SETTINGS_MODULE")))
    from softhelpers import localservers

    localservers.bootstrap()
    if localservers.local_mode() and not os.environ.get("REDIS_URL"):
        localservers.ensure_redis(localservers.default_var_dir() / "test")  # settings_test's private broker

