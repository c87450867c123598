"""``pi_inventory``: the data map, read from the PI registry, as a table or JSON."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from privacy import registry


class Command(BaseCommand):
    help = "Print every model field with its category, encryption and erasure (the personal data map)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--format", choices=["table", "json"], default="table")
        parser.add_argument("--personal-only", action="store_true", help="only fields holding personal data")

    def handle(self, *args: Any, format: str, personal_only: bool, **options: Any) -> None:
        rows = [r for r in registry.inventory() if r.personal or not personal_only]
        if format == "json":
            self.stdout.write(json.dumps({"summary": _summary(), "fields": [asdict(r) for r in rows]}, indent=2))
            return
        headers = ["model", "field", "category", "encrypted", "erasure"]
        table = [[r.model, r.field, r.category, "yes" if r.encrypted else "", r.erasure] for r in rows]
        widths = [max(len(h), *(len(row[i]) for row in table)) if table else len(h) for i, h in enumerate(headers)]
        for row in [headers, ["-" * w for w in widths], *table]:
            self.stdout.write("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
        s = _summary()
        self.stdout.write(f"\n{s['models']} models, {s['fields']} fields: {s['personal']} personal, "
                          f"{s['encrypted']} encrypted.")


def _summary() -> dict[str, int]:
    rows = registry.inventory()
    return {"models": len(registry.REGISTRY), "fields": len(rows), "personal": sum(r.personal for r in rows),
            "encrypted": sum(r.encrypted for r in rows)}
