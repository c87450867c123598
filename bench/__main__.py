"""``make bench``: run every benchmark against the local servers (or DATABASE_URL)."""

from __future__ import annotations

import os


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "softhelpers.settings")
    os.environ.setdefault("DEBUG", "false")  # as in production: no per-query log kept in memory
    import django

    django.setup()
    from bench import encryption, rls_overhead

    rls_overhead.run()
    encryption.run()


if __name__ == "__main__":
    main()
