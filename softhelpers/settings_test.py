"""Test settings: the real servers of local mode, a private Redis, and a fast password hasher.

The private Redis (under var/test/) lets the outbox test stop and restart the broker without
disturbing a ``make run`` that uses the same checkout. Like the main settings, this only names
the servers; the test session starts them (``tests/conftest.py``, ``pytest_configure``).
"""

import os
from pathlib import Path

from softhelpers import localservers

if not os.environ.get("REDIS_URL") and localservers.local_mode():
    _test_var = localservers.default_var_dir() / "test"
    os.environ["REDIS_URL"] = localservers.redis_url(_test_var)
    TEST_REDIS_VAR_DIR: Path | None = _test_var
else:
    TEST_REDIS_VAR_DIR = None

from softhelpers.settings import *  # noqa: E402, F403

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # speed only; production keeps PBKDF2/Argon
# A worker process started by a test is pointed at that test's own directories.
MAIL_DIR = Path(os.environ.get("MAIL_DIR") or VAR_DIR / "test" / "mail")  # noqa: F405
PRIVACY_EXPORT_DIR = Path(os.environ.get("PRIVACY_EXPORT_DIR") or VAR_DIR / "test" / "exports")  # noqa: F405
