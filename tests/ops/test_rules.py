"""The rule table is in the repository, and every rule id a test names is one of its rules."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.policy_report import RULES, rule_ids

TESTS = Path(__file__).resolve().parents[1]


def _policy_ids_in_tests() -> set[str]:
    ids = set()
    for path in TESTS.rglob("test_*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "policy"
                    and node.args):
                ids |= {arg.value for arg in node.args if isinstance(arg, ast.Constant)}
    return ids


def test_the_rule_table_lives_in_the_repository_with_all_36_rules():
    assert RULES.is_relative_to(TESTS.parent)
    ids = rule_ids()
    assert len(ids) == len(set(ids)) == 36
    assert ids[0] == "ACC-1" and ids[-1] == "CHL-1"


def test_every_rule_a_test_names_is_in_the_table():
    assert _policy_ids_in_tests() - set(rule_ids()) == set()
    assert len(_policy_ids_in_tests()) > 10
