"""Every module of `console/` has a docstring, and so does every public class, function and
method in it, read from the code with `ast`.

Public means the name, and the name of every class around it, does not start with `_`. Functions
and classes defined inside a function body are local and not checked; a property's setter or
deleter shares its getter's docstring. Exempt are the framework hooks whose meaning Textual
defines: `compose`, `render`, `render_line`, `render_lines`, `get_content_width`,
`get_content_height`, message handlers `on_*`, and reactive hooks `watch_*`, `validate_*`,
`compute_*`; also `action_*` methods, whose action the class's BINDINGS (the key, and the line
the footer and the help screen show) already describe.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import console

PACKAGE = Path(console.__file__).parent

#: Names of Textual hooks whose meaning the framework defines.
HOOKS = {
    "compose",
    "render",
    "render_line",
    "render_lines",
    "get_content_width",
    "get_content_height",
}
#: Prefixes of Textual hooks (message handlers, reactive hooks, key-bound actions).
HOOK_PREFIXES = ("on_", "watch_", "validate_", "compute_", "action_")

Definition = ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef


def _is_hook(node: Definition) -> bool:
    return not isinstance(node, ast.ClassDef) and (
        node.name in HOOKS or node.name.startswith(HOOK_PREFIXES)
    )


def _is_accessor(node: Definition) -> bool:
    """A `@name.setter` or `@name.deleter`: documented by its getter."""
    return any(
        isinstance(decorator, ast.Attribute) and decorator.attr in {"setter", "deleter"}
        for decorator in node.decorator_list
    )


def _definitions(body: list[ast.stmt]) -> Iterator[Definition]:
    """The classes and functions of a module or class body, looking into `if`/`try`/`with`
    blocks (for example `if TYPE_CHECKING:`) but not into function bodies."""
    for node in body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            yield node
        elif isinstance(node, ast.If | ast.With | ast.AsyncWith):
            yield from _definitions(node.body)
            yield from _definitions(getattr(node, "orelse", []))
        elif isinstance(node, ast.Try):
            yield from _definitions(node.body)
            for handler in node.handlers:
                yield from _definitions(handler.body)
            yield from _definitions(node.orelse)
            yield from _definitions(node.finalbody)


def _undocumented(body: list[ast.stmt], prefix: str) -> Iterator[tuple[int, str]]:
    """(line, dotted name) of each public definition in `body`, nested classes included,
    that has no docstring."""
    for node in _definitions(body):
        if node.name.startswith("_") or _is_hook(node) or _is_accessor(node):
            continue
        name = f"{prefix}{node.name}"
        if ast.get_docstring(node) is None:
            yield node.lineno, name
        if isinstance(node, ast.ClassDef):
            yield from _undocumented(node.body, f"{name}.")


def missing_docstrings(package: Path = PACKAGE) -> list[str]:
    """`file:line: name` for every module of `package` without a docstring and every public
    class, function or method without one, in file order."""
    missing: list[str] = []
    for path in sorted(package.rglob("*.py")):
        relative = path.relative_to(package.parent).as_posix()
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        if ast.get_docstring(tree) is None:
            missing.append(f"{relative}:1: (module)")
        missing += [f"{relative}:{line}: {name}" for line, name in _undocumented(tree.body, "")]
    return missing


def test_the_walk_finds_what_it_should() -> None:
    tree = ast.parse(
        '"""Module."""\n'
        "class Public:\n"
        "    class Changed: pass\n"
        "    def method(self): pass\n"
        "    def on_click(self): pass\n"
        "    def _private(self): pass\n"
        "    @property\n"
        "    def value(self):\n"
        '        """The value."""\n'
        "    @value.setter\n"
        "    def value(self, new): pass\n"
        "class _Private:\n"
        "    def method(self): pass\n"
        "def function():\n"
        "    def local(): pass\n"
    )
    assert list(_undocumented(tree.body, "")) == [
        (2, "Public"),
        (3, "Public.Changed"),
        (4, "Public.method"),
        (14, "function"),
    ]


def test_every_module_and_public_definition_has_a_docstring() -> None:
    missing = missing_docstrings()
    assert not missing, f"{len(missing)} without a docstring:\n" + "\n".join(missing)
