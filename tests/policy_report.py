"""The rule report: every PRODUCT.md rule id with the tests that prove it (written after each run)."""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

import pytest

PRODUCT = Path(__file__).resolve().parent.parent.parent / "shared" / "PRODUCT.md"


def rule_ids() -> list[str]:
    if not PRODUCT.exists():
        return []
    return re.findall(r"^\| ([A-Z]+-\d+) \|", PRODUCT.read_text(), flags=re.MULTILINE)


def write_policy_report(session: pytest.Session) -> None:
    proven: dict[str, list[str]] = defaultdict(list)
    for item in getattr(session, "items", []):
        for marker in item.iter_markers("policy"):
            proven[str(marker.args[0])].append(item.nodeid)
    if not proven:
        return
    lines = ["rule     tests", "-------  -----"]
    for rule in rule_ids() or sorted(proven):
        tests = proven.get(rule, [])
        lines.append(f"{rule:<8} {len(tests):>3}  {'; '.join(sorted(tests)[:3])}{' …' if len(tests) > 3 else ''}")
    out = Path(session.config.rootpath) / "var" / "policy-report.txt"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(lines) + "\n")
