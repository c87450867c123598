#!/usr/bin/env python
"""Django's command-line utility. In local mode it starts the embedded servers if needed."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "softhelpers.settings")
    from softhelpers.localservers import bootstrap

    bootstrap()
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
