"""The rule report: every rule id of ``docs/rules.md`` with the passing tests that prove it, or none.

Written to var/policy-report.txt after each run, with a one-line summary in the terminal.
A rule counts as proven only by a test that ran and passed.
"""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

import pytest

RULES = Path(__file__).resolve().parent.parent / "docs" / "rules.md"
_passed: set[str] = set()


def rule_ids() -> list[str]:
    """The ids of the rule table, in its order."""
    return re.findall(r"^\| ([A-Z]+-\d+) \|", RULES.read_text(), flags=re.MULTILINE)


def record(report: pytest.TestReport) -> None:
    if report.when == "call" and report.passed:
        _passed.add(report.nodeid)


def proven_rules(session: pytest.Session) -> dict[str, list[str]]:
    proven: dict[str, list[str]] = defaultdict(list)
    for item in getattr(session, "items", []):
        if item.nodeid in _passed:
            for marker in item.iter_markers("policy"):
                for rule in marker.args:  # policy("SHR-1", "CON-2") proves both
                    proven[str(rule)].append(item.nodeid)
    return proven


def write_policy_report(session: pytest.Session) -> str | None:
    proven = proven_rules(session)
    if not proven:
        return None
    rules = rule_ids()
    lines = ["rule     passing tests", "-------  -------------"]
    for rule in rules:
        tests = sorted(proven.get(rule, []))
        shown = "; ".join(tests[:3]) + (" …" if len(tests) > 3 else "") if tests else "not yet proven"
        lines.append(f"{rule:<8} {len(tests):>3}  {shown}")
    out = Path(session.config.rootpath) / "var" / "policy-report.txt"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(lines) + "\n")
    done = [rule for rule in rules if proven.get(rule)]
    missing = [rule for rule in rules if not proven.get(rule)]
    return (f"policy rules proven by passing tests: {len(done)} of {len(rules)}; not yet proven: "
            f"{', '.join(missing) or 'none'}; see {out}")
