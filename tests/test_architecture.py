"""The house's rules, read from the code with `ast`: no import cycles between modules of
`console/`, and dependencies that run one way only:

    cli -> ui -> journal, follow -> drills, replay, sources -> session -> formats -> model
                                              errors, paths, signals, collector: below everything

`console.model` imports nothing outside the standard library and itself; its behaviours import
`console.model.kernel`, never `console.model.engine` (only the engine's readers, views and
summary, know the engine); nothing imports `console.cli` (but
`console.__main__`); only `console.cli` imports `console.ui`.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import console

PACKAGE = Path(console.__file__).parent

#: Each area of the house, and the areas it may import (besides itself and the standard library).
ALLOWED: dict[str, set[str]] = {
    "errors": set(),
    "paths": {"errors"},
    "signals": set(),
    "collector": set(),
    "model": set(),
    "formats": {"errors", "paths", "collector", "model"},
    "session": {"errors", "paths", "collector", "model", "formats"},
    "sources": {"errors", "paths", "collector", "model", "formats", "session"},
    "replay": {"errors", "paths", "collector", "model", "formats", "session", "sources"},
    "drills": {"errors", "paths", "collector", "model", "formats", "session", "sources", "replay"},
    "journal": {"errors", "paths", "collector", "model", "formats", "session", "sources",
                "replay", "drills"},
    "follow": {"errors", "paths", "collector", "model", "formats", "session", "sources", "replay",
               "drills"},
    "ui": {"errors", "paths", "signals", "collector", "model", "formats", "session", "sources",
           "replay", "drills", "journal", "follow"},
    "cli": {"errors", "paths", "signals", "collector", "model", "formats", "session", "sources",
            "replay", "drills", "journal", "follow", "ui"},
    "__main__": {"cli", "collector"},
    "__init__": set(),
}
#: Third-party packages an area may import (the model none: standard library only). aiohttp
#: comes with textual-serve: its server is an aiohttp one, which console.cli.web extends.
THIRD_PARTY = {"textual", "rich", "psutil", "platformdirs", "tomli", "toml_rs", "libvirt",
               "textual_serve", "aiohttp"}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path) -> set[str]:
    """Absolute names of every module `path` imports (relative imports resolved)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    here = _module_name(path).split(".")
    package = here if path.name == "__init__.py" else here[:-1]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package[: len(package) - node.level + 1] + ([base] if base else []))
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def _modules() -> dict[str, set[str]]:
    """console module -> the console modules it imports (only names that are modules)."""
    paths = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    return {name: {m for m in _imports(path) if m in paths and m != name}
            for name, path in paths.items()}


def _area(module: str) -> str:
    parts = module.split(".")
    return "__init__" if len(parts) == 1 else parts[1]


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every import cycle a depth-first walk of `graph` meets, each as a closed path."""
    cycles: list[list[str]] = []
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(name: str) -> None:
        state[name] = 1
        stack.append(name)
        for target in sorted(graph[name]):
            if target == "console" or target not in graph:
                continue
            if state.get(target) == 1:
                cycles.append([*stack[stack.index(target):], target])
            elif target not in state:
                visit(target)
        stack.pop()
        state[name] = 2

    sys.setrecursionlimit(10_000)
    for name in sorted(graph):
        if name not in state:
            visit(name)
    return cycles


def test_no_import_cycles() -> None:
    cycles = _cycles(_modules())
    assert not cycles, "import cycles:\n" + "\n".join(" -> ".join(c) for c in cycles)


def test_no_import_cycles_inside_the_model() -> None:
    """Type-checking imports count: the behaviours and the engine form no cycle."""
    model = {name: targets for name, targets in _modules().items()
             if name.startswith("console.model")}
    cycles = _cycles(model)
    assert not cycles, "import cycles:\n" + "\n".join(" -> ".join(c) for c in cycles)


def test_dependencies_run_one_way() -> None:
    wrong = []
    for name, targets in sorted(_modules().items()):
        area = _area(name)
        if area not in ALLOWED:
            wrong.append(f"{name} is in no area of the house ({', '.join(ALLOWED)})")
            continue
        for target in sorted(targets):
            other = _area(target)
            if other != area and other != "__init__" and other not in ALLOWED[area]:
                wrong.append(f"{name} imports {target}")
    assert not wrong, "imports against the direction of the house:\n" + "\n".join(wrong)


def test_model_imports_only_the_standard_library_and_itself() -> None:
    wrong = []
    for path in (PACKAGE / "model").rglob("*.py"):
        for name in sorted(_imports(path)):
            top = name.split(".")[0]
            ours = top == "console" and name.startswith("console.model")
            if not ours and top not in sys.stdlib_module_names:
                wrong.append(f"{_module_name(path)} imports {name}")
    assert not wrong, "\n".join(wrong)


#: The model's readers: they are given an engine to read, so they may know its type.
ENGINE_READERS = {"console.model.engine", "console.model.views", "console.model.summary",
                  "console.model.preview"}


def test_behaviours_import_the_kernel_not_the_engine() -> None:
    wrong = [name for name, targets in _modules().items()
             if name.startswith("console.model.") and name not in ENGINE_READERS
             and "console.model.engine" in targets]
    assert not wrong, "import console.model.engine: " + ", ".join(sorted(wrong))


def test_third_party_imports_are_known() -> None:
    """Every non-standard import is a declared dependency (or an optional one)."""
    wrong = []
    for path in PACKAGE.rglob("*.py"):
        for name in _imports(path):
            top = name.split(".")[0]
            if top and top != "console" and top not in sys.stdlib_module_names \
                    and top not in THIRD_PARTY:
                wrong.append(f"{_module_name(path)} imports {name}")
    assert not wrong, "\n".join(sorted(wrong))
