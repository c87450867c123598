"""``make bench``: run every benchmark against the local servers (or DATABASE_URL)."""

from __future__ import annotations

import os


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "softhelpers.settings")
    import django

    django.setup()
    from bench import rls_overhead

    rls_overhead.run()


if __name__ == "__main__":
    main()
