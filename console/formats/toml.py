"""Checked TOML files with one-line errors: `file:line: key: message`.

Cluster files (`console.config`) and drill files (`console.drills.loader`) are both read the way
a compiler reads code: the first problem in file order stops the load and is reported as one
line naming the file, the line and the key path. This module is the part they share, so that the
two file kinds report problems in the same words and the same shape; what each file may contain
(its schema and sections) stays with its loader.

How a loader uses it:

* `read_file` reads a file as UTF-8 text and `parse_toml` parses it; both fail with a
  `ConfigError` (the file, and the line when there is one).
* The checks below the document level raise `Problem` with a key path *relative* to where they
  stand, because a check deep down does not know where its value sits in the file. Each level
  that does wraps the code below in `at(prefix)`, which prefixes the path. `read_table` checks one
  table against a `Key` table of value checkers (`positive`, `integer(1)`, `choice(...)`, ...).
* At the top, `located(text, filename)` turns the `Problem` into a `ConfigError`, finding the
  key's line with `locate` (tomllib keeps no positions).

`show`, `bare` and `listing` spell values, keys and names for messages.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from console.errors import InputError

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]


class ConfigError(InputError):
    """What is wrong with a checked file, as one line: `file:line: key: message`."""

    def __init__(self, file: str, line: int | None, key: str, message: str) -> None:
        super().__init__(file, line, key, message)
        self.file = file
        self.line = line
        self.key = key
        self.message = message

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        return f"{where}: {self.key}: {self.message}" if self.key else f"{where}: {self.message}"


class Problem(Exception):
    """A problem at a key path relative to the code that raised it.

    Checks deep down do not know where their value sits in the file; each level that does wraps
    them in `at(...)`, which prefixes the path, so only the top level (`located`) needs the
    file's text.
    """

    def __init__(self, key: str, message: str) -> None:
        super().__init__(key, message)
        self.key = key
        self.message = message


@contextmanager
def at(prefix: str) -> Iterator[None]:
    """Prefix the key path of any problem raised inside with `prefix`."""
    try:
        yield
    except Problem as problem:
        raise Problem(prefix + problem.key, problem.message) from None


@contextmanager
def located(text: str, filename: str) -> Iterator[None]:
    """Turn a `Problem` raised inside into a `ConfigError` on the line that sets its key.

    `text` is the file's text, for `locate`; the key path must be complete (absolute) here.
    """
    try:
        yield
    except Problem as problem:
        raise ConfigError(filename, locate(text, problem.key), problem.key,
                          problem.message) from None


# -- files and TOML -----------------------------------------------------------------------------


def read_file(path: str | Path) -> str:
    """A file's text, or a ConfigError naming the file as the caller spelt it (and, for text
    that is not UTF-8, the line of the first bad byte)."""
    filename = str(path)
    try:
        data = Path(path).read_bytes()
    except OSError as error:
        raise ConfigError(filename, None, "", f"cannot read: {error.strerror or error}") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise ConfigError(filename, line, "", "not UTF-8 text") from None


_PARSER_POSITION = re.compile(r"\s*\((?:at line (\d+), column (\d+)|at end of document)\)$")


def parse_toml(text: str, filename: str) -> dict[str, Any]:
    """Parse TOML, turning a syntax error into a ConfigError on the parser's line."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        message, line = str(error), None
        found = _PARSER_POSITION.search(message)
        if found:
            message = message[: found.start()]
            if found[1]:
                line, message = int(found[1]), f"{message} (column {found[2]})"
            else:
                line, message = max(1, len(text.splitlines())), f"{message} (at end of file)"
        raise ConfigError(filename, line, "", f"invalid TOML: {message}") from None


# -- line numbers -------------------------------------------------------------------------------

_HEADER = re.compile(r"\s*(\[\[?)\s*([A-Za-z0-9_.\-\"' ]+?)\s*\]\]?\s*(#.*)?$")
_PATH_PART = re.compile(r"([^.\[\]]+)(?:\[(\d+)\])?")


def locate(text: str, key: str) -> int | None:
    """The 1-based line that sets `key` (e.g. "nodes[2].memory_gb"), else its table's header.

    tomllib keeps no positions, so this re-reads the source: the i-th `[[nodes]]` header (or the
    `[ha]` header), then the `key =` line in that table's body, descending into sub-tables such
    as `[vms.workload]`. Keys inside inline tables and arrays resolve to the line of the outer key.
    """
    parts = _PATH_PART.findall(key)
    if not parts:
        return None
    lines = text.splitlines()
    top, index = parts[0]
    row = _find_header(lines, top, int(index) if index else None)
    if row is None:
        found = _find_key(lines, 0, top)  # a key above the first header, such as `nodes = [...]`
        return None if found is None else found + 1
    table = top
    for name, _ in parts[1:]:
        found = _find_key(lines, row + 1, name)
        if found is not None:
            return found + 1
        table = f"{table}.{name}"
        sub = _find_subtable(lines, row + 1, table, top)
        if sub is None:
            break
        row = sub
    return row + 1


def table_header(line: str) -> tuple[bool, str] | None:
    """(is an array-of-tables header, dotted table name) when `line` opens a table, else None.

    Public because a loader that splits a file by top-level table (a drill embedding a cluster)
    must recognise headers exactly as `locate` does.
    """
    match = _HEADER.match(line)
    if match is None:
        return None
    return match[1] == "[[", re.sub(r"[\s\"']", "", match[2])


def _find_header(lines: list[str], table: str, nth: int | None) -> int | None:
    """Index of the `[table]` header, or of the nth `[[table]]` one."""
    seen = 0
    for i, line in enumerate(lines):
        head = table_header(line)
        if head is None or head[1] != table:
            continue
        if nth is None:
            return i
        if head[0]:
            if seen == nth:
                return i
            seen += 1
    return None


def _find_key(lines: list[str], start: int, key: str) -> int | None:
    """Index of the `key = ...` line in the table body that begins at `start`."""
    pattern = re.compile(rf"\s*([\"']?){re.escape(key)}\1\s*=")
    for i in range(start, len(lines)):
        if table_header(lines[i]):
            return None
        if pattern.match(lines[i]):
            return i
    return None


def _find_subtable(lines: list[str], start: int, table: str, top: str) -> int | None:
    """Index of the `[table]` header among those still inside the current `top` entry."""
    for i in range(start, len(lines)):
        head = table_header(lines[i])
        if head is None:
            continue
        if head[1] == table:
            return i
        if not head[1].startswith(f"{top}."):
            return None
    return None


# -- spelling values for messages ---------------------------------------------------------------


def show(value: Any) -> str:
    """A value spelt as in TOML, for the "got ..." of a message."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "[" + ", ".join(show(v) for v in value) + "]"
    return str(value)


def bare(key: str) -> str:
    """A key as a key path spells it: quoted when TOML would need quotes (keeps errors one line)."""
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else json.dumps(key)


def listing(names: list[str], limit: int = 8) -> str:
    """Names for a message, cut short when there are many."""
    if len(names) <= limit:
        return ", ".join(names)
    return f"{', '.join(names[:limit])}, ... ({len(names)} in all)"


# -- value checks: each returns the value as the loader wants it, or raises Problem -------------

#: A value checker: the checked (perhaps converted) value, or a `Problem` at key "".
Check = Callable[[Any], Any]

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")


def number(value: Any, rule: str, ok: Callable[[float], bool]) -> float:
    """A finite int or float (not a bool, which Python counts as an int) that satisfies `ok`;
    `rule` says what `ok` wants, for the message ("must be <rule>, got ...")."""
    if (isinstance(value, bool) or not isinstance(value, (int, float))
            or not math.isfinite(value) or not ok(value)):
        raise Problem("", f"must be {rule}, got {show(value)}")
    return float(value)


def positive(value: Any) -> float:
    return number(value, "a positive number", lambda v: v > 0)


def non_negative(value: Any) -> float:
    return number(value, "a number >= 0", lambda v: v >= 0)


def fraction(value: Any) -> float:
    return number(value, "a number from 0 to 1", lambda v: 0 <= v <= 1)


def share(value: Any) -> float:
    return number(value, "a number above 0 and at most 1", lambda v: 0 < v <= 1)


def integer(minimum: int, maximum: int | None = None) -> Check:
    """A checker for an int (not a bool) from `minimum` up, at most `maximum` if given."""
    rule = f"an integer >= {minimum}"
    if maximum is not None:
        rule = f"an integer from {minimum} to {maximum}"

    def check(value: Any) -> int:
        if (isinstance(value, bool) or not isinstance(value, int) or value < minimum
                or (maximum is not None and value > maximum)):
            raise Problem("", f"must be {rule}, got {show(value)}")
        return value

    return check


def boolean(value: Any) -> bool:
    if not isinstance(value, bool):
        raise Problem("", f"must be true or false, got {show(value)}")
    return value


def string(value: Any) -> str:
    """Any string (free text, a path, a name looked up later)."""
    if not isinstance(value, str):
        raise Problem("", f"must be a string, got {show(value)}")
    return value


def identifier(value: Any) -> str:
    """A name something is declared under: a letter or digit, then letters, digits, '_', '.'
    or '-' (so it can be typed in a command without quotes)."""
    if not isinstance(value, str) or not _NAME.fullmatch(value):
        raise Problem("", "must be a name (a letter or digit, then letters, digits, '_', '.' "
                          f"or '-'), got {show(value)}")
    return value


def choice(options: tuple[str, ...], convert: Callable[[str], Any] = str) -> Check:
    """A checker for one of `options`, converted by `convert` (an Enum, say)."""

    def check(value: Any) -> Any:
        if not isinstance(value, str) or value not in options:
            raise Problem("", f"must be one of {', '.join(options)}; got {show(value)}")
        return convert(value)

    return check


def list_of(item: Check, *, non_empty: bool) -> Check:
    """A checker for an array whose elements pass `item`, as a tuple; keys name the element."""
    rule = "a non-empty array" if non_empty else "an array"

    def check(value: Any) -> tuple[Any, ...]:
        if not isinstance(value, list) or (non_empty and not value):
            raise Problem("", f"must be {rule}, got {show(value)}")
        items = []
        for i, element in enumerate(value):
            with at(f"[{i}]"):
                items.append(item(element))
        return tuple(items)

    return check


# -- tables -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Key:
    """One key a table may have: how to check its value, and whether it must be there."""

    check: Check
    required: bool = False


def read_table(raw: Any, keys: dict[str, Key]) -> dict[str, Any]:
    """Check one table in file order: unknown keys and bad values, then missing required keys.

    Returns the checked values of the keys present; the caller supplies defaults.
    """
    if not isinstance(raw, dict):
        raise Problem("", f"must be a table, got {show(raw)}")
    values = {}
    for key, value in raw.items():
        if key not in keys:
            raise Problem(f".{bare(key)}", f"unknown key (known: {', '.join(keys)})")
        with at(f".{key}"):
            values[key] = keys[key].check(value)
    missing = [key for key, spec in keys.items() if spec.required and key not in raw]
    if missing:
        raise Problem(f".{missing[0]}", "required key is missing")
    return values


def entries(raw: Any, section: str, *, non_empty: bool = False) -> list[Any]:
    """The entries of an array-of-tables section (`[[section]]`); each is then a `read_table`."""
    if not isinstance(raw, list) or (non_empty and not raw):
        rule = "a non-empty array of tables" if non_empty else "an array of tables"
        raise Problem("", f"must be {rule} ([[{section}]]), got {show(raw)}")
    return raw
