"""The suite itself: every test name says one thing, so a failure's name finds its test."""

import ast
from collections import defaultdict

from tests.settings_surface import ROOT


def test_no_two_tests_share_a_name() -> None:
    where: defaultdict[str, list[str]] = defaultdict(list)
    for path in (ROOT / "tests").rglob("test_*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test_"):
                where[node.name].append(str(path.relative_to(ROOT)))
    assert {name: paths for name, paths in where.items() if len(paths) > 1} == {}
