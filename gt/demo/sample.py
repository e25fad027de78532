"""The demo's sample project (a tiny calculator with its own unittest suite) and its work plan.

The plan files eight beads with dependencies between them. Two (P0) insert a line at the
same spot of `calc.py`, so whichever merges second conflicts; one ships a bug first, which
the test gate rejects, and carries the corrected change in `script.retry`; one is slung with
the built-in `polecat-work` formula, so its polecat walks it as a molecule, step by step.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

CALC = '''"""A tiny calculator."""


def add(a, b):
    return a + b


FEATURES = [
    "add",
]
'''

TEST_CALC = '''import unittest

from calc import FEATURES, add


class CalcTest(unittest.TestCase):
    def test_add(self):
        self.assertEqual(add(2, 3), 5)

    def test_features_listed(self):
        self.assertIn("add", FEATURES)


if __name__ == "__main__":
    unittest.main()
'''


def write_project(path: Path) -> None:
    path.mkdir(parents=True, exist_ok=True)
    (path / "calc.py").write_text(CALC)
    (path / "test_calc.py").write_text(TEST_CALC)
    (path / "README.md").write_text("# calc\n\nA tiny calculator.\n")


def _module(name: str, op: str, body: str, case: str) -> list[dict[str, Any]]:
    module = f'"""{op}."""\n\n\ndef {name}(a, b):\n    return {body}\n'
    test = (f"import unittest\n\nfrom calc_{name} import {name}\n\n\n"
            f"class {name.title()}Test(unittest.TestCase):\n"
            f"    def test_{name}(self):\n        self.assertEqual({case})\n")
    return [{"op": "write", "path": f"calc_{name}.py", "content": module},
            {"op": "write", "path": f"test_{name}.py", "content": test}]


def _feature(name: str) -> list[dict[str, Any]]:
    return [{"op": "insert_after", "path": "calc.py", "marker": 'FEATURES = [\n',
             "text": f'    "{name}",\n'}]


def plan() -> list[dict[str, Any]]:
    """Beads in filing order; `after` names earlier beads (by key) that block each one."""
    return [
        {"key": "feat-sub", "title": "List subtraction in FEATURES", "priority": 0,
         "script": {"edits": _feature("sub"), "work_seconds": 0.5}},
        {"key": "feat-mul", "title": "List multiplication in FEATURES", "priority": 0,
         "script": {"edits": _feature("mul"), "work_seconds": 0.5}},
        {"key": "sub", "title": "Add subtraction", "priority": 1,
         "script": {"edits": _module("sub", "Subtraction", "a - b", "sub(5, 3), 2")}},
        {"key": "mul", "title": "Add multiplication", "priority": 1,
         "script": {"edits": _module("mul", "Multiplication", "a * b", "mul(4, 3), 12")}},
        {"key": "div", "title": "Add division", "priority": 2, "after": ["mul"],
         "script": {"edits": _module("div", "Division", "a * b", "div(8, 2), 4"),
                    "retry": {"edits": _module("div", "Division", "a / b", "div(8, 2), 4")}}},
        {"key": "pow", "title": "Add powers", "priority": 2, "after": ["mul"],
         "formula": "polecat-work",
         "script": {"edits": _module("pow", "Powers", "a ** b", "pow(2, 5), 32")}},
        {"key": "readme", "title": "Document the operations", "priority": 2,
         "after": ["sub", "mul", "div", "pow"],
         "script": {"edits": [{"op": "append", "path": "README.md",
                               "text": "\nOperations: add, sub, mul, div, pow.\n"}]}},
        {"key": "cli", "title": "Add a command-line entry point", "priority": 3,
         "after": ["readme"],
         "script": {"edits": [
             {"op": "write", "path": "cli.py", "content":
              'import sys\n\nfrom calc import add\n\n\ndef main(argv):\n'
              '    return add(int(argv[0]), int(argv[1]))\n\n\n'
              'if __name__ == "__main__":\n    print(main(sys.argv[1:]))\n'},
             {"op": "write", "path": "test_cli.py", "content":
              'import unittest\n\nfrom cli import main\n\n\n'
              'class CliTest(unittest.TestCase):\n    def test_main(self):\n'
              '        self.assertEqual(main(["2", "2"]), 4)\n'}]}},
    ]
