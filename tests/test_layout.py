"""The layout's one-way rules that a grep can check: benchmarks import the project, never tests/."""

from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    names |= {
        n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and not n.level
    }
    return names


def test_benchmarks_never_import_the_tests() -> None:
    offenders = {
        str(path.relative_to(REPO)): sorted(
            m for m in imported_modules(path) if m.split(".")[0] == "tests"
        )
        for path in sorted((REPO / "benchmarks").rglob("*.py"))
    }
    assert {path: found for path, found in offenders.items() if found} == {}
