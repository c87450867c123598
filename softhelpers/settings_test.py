"""Test settings: the real servers of local mode, a private Redis, and a fast password hasher.

The private Redis (under var/test/) lets the outbox test stop and restart the broker without
disturbing a ``make run`` that uses the same checkout.
"""

import os
from pathlib import Path

if not os.environ.get("REDIS_URL") and os.environ.get("SOFTHELPERS_ENV", "local") == "local":
    from softhelpers import localservers

    _var = Path(os.environ.get("SOFTHELPERS_VAR_DIR", Path(__file__).resolve().parent.parent / "var"))
    os.environ["REDIS_URL"] = localservers.ensure_redis(_var / "test")
    TEST_REDIS_VAR_DIR: Path | None = _var / "test"
else:
    TEST_REDIS_VAR_DIR = None

from softhelpers.settings import *  # noqa: E402, F403

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # speed only; production keeps PBKDF2/Argon
MAIL_DIR = VAR_DIR / "test" / "mail"  # noqa: F405
PRIVACY_EXPORT_DIR = VAR_DIR / "test" / "exports"  # noqa: F405
