"""The house plan, checked from the source: which rooms may import which, no cycles, small modules.

The import graph is read from every `import` statement (at module level or inside a function:
a lazy import is still a dependency), leaving out those under `if TYPE_CHECKING:`.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
MAX_LINES = 300

# What each room of the engine may import from the others (itself and the foundation always).
FOUNDATION = {"index", "index.models", "index.errors", "index.settings", "index.lexical"}
FOUNDATION |= {"index.sentences", "index.modelfiles", "index.exports", "index.library.layout"}
ROOMS = {
    "index.store": set(),
    "index.build": {"index.store"},
    "index.query": {"index.store"},
    "index.runtime": {"index.build", "index.query"},
    "index.engine": {"index.build", "index.store", "index.query", "index.runtime"},
    "index.evaluate": set(),
    "index.beir": {"index.evaluate"},
    "index.state": set(),
    "index.blobs": set(),
    "index.library": {"index.build", "index.engine", "index.runtime", "index.store"}
    | {"index.state", "index.blobs"},
    "index.training": {"index.build", "index.store", "index.query", "index.runtime"}
    | {"index.engine", "index.evaluate"},
}


def module_name(path: Path) -> str:
    parts = path.relative_to(REPO).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def project_modules() -> dict[str, Path]:
    return {
        module_name(path): path
        for package in ("index", "bot")
        for path in sorted((REPO / package).rglob("*.py"))
    }


def _type_checking(node: ast.AST) -> bool:
    return isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)


def imports_of(path: Path, known: set[str]) -> set[str]:
    """The project modules a file imports (a `from package import module` names the module)."""
    found: set[str] = set()
    skipped: set[int] = set()
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if _type_checking(node):
            skipped |= {id(inner) for inner in ast.walk(node)}
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = {f"{node.module}.{alias.name}" for alias in node.names}
            found |= names & known or {node.module}  # submodules, else the module itself
    return {name for name in found if name in known}


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    modules = project_modules()
    return {name: imports_of(path, set(modules)) - {name} for name, path in modules.items()}


def room_of(module: str) -> str:
    for room in ROOMS:
        if module == room or module.startswith(room + "."):
            return room
    return module


def test_the_engine_never_imports_the_front_ends(graph) -> None:
    wrong = {m: sorted(i for i in uses if i.startswith("bot")) for m, uses in graph.items()}
    assert {m: uses for m, uses in wrong.items() if m.startswith("index") and uses} == {}


def test_serving_never_imports_training(graph) -> None:
    serving = {m: uses for m, uses in graph.items() if not m.startswith("index.training")}
    wrong = {
        m: sorted(u for u in uses if u.startswith("index.training")) for m, uses in serving.items()
    }
    assert {m: uses for m, uses in wrong.items() if uses} == {}


def test_each_room_imports_only_the_rooms_below_it(graph) -> None:
    wrong = {}
    for module, uses in graph.items():
        room = room_of(module)
        if room not in ROOMS:
            continue
        allowed = FOUNDATION | ROOMS[room] | {room}
        bad = sorted(u for u in uses if room_of(u) not in allowed and u not in FOUNDATION)
        if bad:
            wrong[module] = bad
    assert wrong == {}


def test_no_module_imports_itself_back(graph) -> None:
    """No cycles: a depth-first search over the whole graph finds no back edge."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    cycles: list[list[str]] = []

    def visit(module: str, path: list[str]) -> None:
        state[module] = 1
        for used in sorted(graph.get(module, ())):
            if state.get(used) == 1:
                cycles.append(path[path.index(used) :] + [used])
            elif used not in state:
                visit(used, [*path, used])
        state[module] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    assert cycles == []


def test_the_graph_sees_lazy_imports_and_skips_type_checking_ones(tmp_path: Path) -> None:
    source = tmp_path / "sample.py"
    source.write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from index.engine import Engine\n"
        "from index.store import load_index\n"
        "def f():\n    from index.training import fit\n"
    )
    known = {"index.engine", "index.store", "index.training", "index.training.fit"}
    assert imports_of(source, known) == {"index.store", "index.training.fit"}


def test_modules_stay_small_or_say_why() -> None:
    """A module over MAX_LINES has one job, and its docstring says why it is longer."""
    too_long = {}
    for name, path in project_modules().items():
        text = path.read_text(encoding="utf-8")
        if len(text.splitlines()) > MAX_LINES:
            why = ast.get_docstring(ast.parse(text)) or ""
            if f"Longer than {MAX_LINES} lines" not in why:
                too_long[name] = len(text.splitlines())
    assert too_long == {}


def test_benchmarks_never_import_the_tests() -> None:
    def imported(path: Path) -> set[str]:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        froms = (n for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and not n.level)
        return names | {n.module or "" for n in froms}

    offenders = {
        str(path.relative_to(REPO)): sorted(m for m in imported(path) if m.split(".")[0] == "tests")
        for path in sorted((REPO / "benchmarks").rglob("*.py"))
    }
    assert {path: found for path, found in offenders.items() if found} == {}
