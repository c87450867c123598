"""``citus_plan``: the statements that distribute this schema on Citus, from the models and the declaration.

Reference tables first, then the tenant tables co-located by ``company_id``, parents before
children; the local tables as comments. It first checks the live schema
(``accounts.distribution.schema_violations``) and refuses to print a plan Citus would reject.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DEFAULT_DB_ALIAS, connections

from accounts import distribution


class Command(BaseCommand):
    help = "Print the create_reference_table / create_distributed_table statements for Citus (docs/scaling.md)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS, help="the database whose schema is checked")

    def handle(self, *args: Any, database: str, **options: Any) -> None:
        problems = distribution.schema_violations(connections[database])
        if problems:
            raise CommandError(f"the schema is not ready for Citus: {problems[0]} ({len(problems)} in all)")
        for line in distribution.citus_plan():
            self.stdout.write(line)
