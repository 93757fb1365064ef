"""Checked TOML files with one-line errors: `file:line: key: message`.

Cluster files (`console.formats.cluster`) and drill files (`console.formats.drill`) are both
read the way a compiler reads code: the first problem in file order stops the load and is
reported as one line naming the file, the line and the key path. This module is the part they
share, so that the two file kinds report problems in the same words and the same shape; what
each file may contain (its schema and sections) stays with its loader.

How a loader uses it:

* `read_file` reads a file as UTF-8 text and `parse_toml` parses it; both fail with a
  `ConfigError` (the file, and the line when there is one).
* The checks below the document level raise `Problem` with a key path *relative* to where they
  stand, because a check deep down does not know where its value sits in the file. Each level
  that does wraps the code below in `at(prefix)`, which prefixes the path. `read_table` checks one
  table against a `Key` table of value checkers (`Between(0, 60, "s")`, `Integer(1, 64)`,
  `choice(...)`, ...). Every number has both bounds: README.md's "Limits" table lists them.
  `read_tables` checks a whole array of tables (thousands of `[[vms]]` entries) a key at a
  time, each checker's `column` taking every value of its key at once; it only says whether
  all is well, so the loader reads entry by entry with `read_table` (first problem in file
  order, its message) only where it is not.
* `parse_toml` also refuses nesting deeper than `MAX_NESTING` and integers longer than Python
  converts, which would otherwise surface as RecursionError or ValueError.
* At the top, `located(text, filename)` turns the `Problem` into a `ConfigError`, finding the
  key's line with `locate`. tomllib keeps no positions, so `locate` reads the text once more with
  a small TOML scanner that knows strings, comments, arrays, inline tables, dotted and quoted
  keys and arrays of tables, and notes the line of every key path (tomllib stays the parser of
  values).

`show`, `bare` and `listing` spell values, keys and names for messages.
"""

from __future__ import annotations

import json
import math
import re
import stat
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import chain, islice, pairwise
from operator import itemgetter
from pathlib import Path
from typing import Any, NamedTuple, TypeVar

from console.errors import InputError
from console.formats import parse_ahead
from console.model.names import NAME_RULE, all_names, display, label_problem, name_problem

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]

try:  # compiled (Rust): reads a 6 MB cluster file in about 0.5 s, where tomllib takes 4 s
    import toml_rs
except ImportError:  # not built for this platform: tomllib reads everything
    toml_rs = None


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


class at:
    """Prefix the key path of any problem raised inside with `prefix` (a class rather than a
    generator-based context manager: it wraps every value of a 40,000-VM file)."""

    __slots__ = ("prefix",)

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: object, error: BaseException | None, trace: object) -> None:
        if isinstance(error, Problem):
            raise Problem(self.prefix + error.key, error.message) from None


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
    that is not UTF-8, the line of the first bad byte). Only regular files are read: a FIFO,
    a device or a folder is refused at once (a FIFO would block, or be read empty the second
    time). A byte-order mark at the start (Windows editors write one) is dropped: it is not
    text, and TOML and JSON parsers refuse it as an invalid first character."""
    filename = str(path)
    try:
        if not stat.S_ISREG(Path(path).stat().st_mode):
            raise ConfigError(filename, None, "", "not a regular file")
        data = Path(path).read_bytes()
    except OSError as error:
        raise ConfigError(filename, None, "", f"cannot read: {error.strerror or error}") from None
    try:
        return data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise ConfigError(filename, line, "", "not UTF-8 text") from None


_PARSER_POSITION = re.compile(r"\s*\((?:at line (\d+), column (\d+)|at end of document)\)$")


#: How deep arrays and tables may nest in an input file. The deepest any format needs is a
#: cluster's `vms[i].workload` (3) or a recording's traces (2); far deeper input is refused with
#: one line instead of exhausting Python's recursion limit in the parser or in a message.
MAX_NESTING = 32


def nesting_depth(value: Any) -> int:
    """How deep arrays and tables (lists and dicts) nest in `value`: 0 for a scalar, 1 for a
    flat list or table. Walks one level at a time without recursion, so any depth is
    measured."""
    deepest = 0
    level = [value] if isinstance(value, (dict, list)) else []
    while level:
        deepest += 1
        inner: list[Any] = []
        for item in level:
            inner += [child for child in (item.values() if isinstance(item, dict) else item)
                      if isinstance(child, (dict, list))]
        level = inner
    return deepest


def parse_toml(text: str, filename: str) -> dict[str, Any]:
    """Parse TOML, turning a syntax error into a ConfigError on the parser's line. Also a
    ConfigError: nesting deeper than `MAX_NESTING` (tomllib recurses, and fails on about a
    thousand levels) and an integer of more digits than Python converts (4,300).

    toml_rs parses first; what it refuses, tomllib refuses with its own message, and tomllib
    reads only the text through the line toml_rs names when that gives an error before the
    end of that text (tomllib reads in one pass, so its first error there is its first error
    in the whole text): a typo late in a 6 MB file is reported in a fraction of the time."""
    return _parse_toml(text, filename, _toml_rs_attempt(text))


class _Attempt(NamedTuple):
    """What toml_rs made of a text: its document, or None and the line it refused (None when
    its refusal names no line, or toml_rs is not installed)."""

    document: dict[str, Any] | None
    refused_line: int | None


def _toml_rs_attempt(text: str) -> _Attempt:
    """toml_rs's parse of `text` (TOML 1.0), once: the document or the line it refused."""
    if toml_rs is None:
        return _Attempt(None, None)
    try:
        return _Attempt(_toml_rs_loads(text), None)
    except Exception as error:  # any refusal (syntax, digits, depth): tomllib says what
        found = _TOML_RS_LINE.search(str(error))
        return _Attempt(None, int(found[1]) if found else None)


def _parse_toml(text: str, filename: str, attempt: _Attempt) -> dict[str, Any]:
    """`parse_toml` given toml_rs's `attempt` at `text` (it is not parsed by toml_rs again)."""
    document, refused_line = attempt
    if document is not None and _as_tomllib_reads_it(document):
        return document
    if refused_line is not None:
        for found in (_refusal_in_entry, _refusal_among_headers):
            refusal = found(text, refused_line, filename)
            if refusal is not None:
                raise refusal
        prefix = _through_line(text, refused_line)
        if len(prefix) < len(text):
            try:
                _tomllib_loads(prefix, filename)
            except ConfigError as error:
                if error.line is not None and not error.message.endswith(_AT_END):
                    raise
    document = _tomllib_loads(text, filename)
    if nesting_depth(document) > MAX_NESTING:
        raise ConfigError(filename, None, "", _too_deep())
    return document


_TOML_RS_LINE = re.compile(r"TOML parse error at line (\d+)")
_AT_END = "(at end of file)"


def _through_line(text: str, line: int) -> str:
    """`text` up to and including its 1-based `line` (and that line's line break)."""
    end = -1
    for _ in range(line):
        end = text.find("\n", end + 1)
        if end < 0:
            return text
    return text[: end + 1]


def _refusal_in_entry(text: str, line: int, filename: str) -> ConfigError | None:
    """tomllib's refusal of `text` found from one entry of an array of tables, when the line
    toml_rs refused (`line`) is in the body of an entry (`[[name]]` alone on its line, no
    header between) or is the header line after it: the text before the entry's header,
    through the header, is TOML that tomllib reads too (toml_rs accepts it and nothing in it
    is too deep or long), and after a `[[name]]` header tomllib starts a fresh table, so it
    reads the body from the header to `line` as it would in the whole text. A header line
    refused there is refused in the whole text too: its syntax is the same wherever it stands,
    and what it may not declare again was declared in the entry (what only an earlier part of
    the text declared, tomllib accepts here, and the caller asks it otherwise). None when that
    does not hold, or tomllib's error there is not on a line of the body or that header line
    (then the caller asks tomllib otherwise)."""
    end = len(_through_line(text, line))
    refused = text.rfind("\n", 0, end - 1) + 1  # where the refused line starts
    start = text.rfind("\n[[", 0, refused) + 1
    header = _ANY_ENTRY_HEADER.match(text, start)
    body = text.find("\n", start, end) + 1
    if header is None or body == 0 or _HEADER_LINE.search(text, body, refused):
        return None
    try:
        before = toml_rs.loads(text[:body], toml_version="1.0.0")
    except Exception:
        return None
    if not _as_tomllib_reads_it(before):
        return None
    try:
        _tomllib_loads(text[start:end], filename)
    except ConfigError as error:
        first = text.count("\n", 0, start)  # lines before the header
        at_end = error.message.endswith(_AT_END)
        if error.line is None or error.line == 1 or (at_end and end < len(text)):
            return None
        return ConfigError(filename, first + error.line, error.key, error.message)
    return None


_HEADER_LINE = re.compile(r"^[ \t]*\[", re.MULTILINE)
#: Any line but a header's (blanks first aside), without its line break.
_NOT_HEADER = re.compile(r"^(?![ \t]*\[).*$", re.MULTILINE)


def _refusal_among_headers(text: str, line: int, filename: str) -> ConfigError | None:
    """tomllib's refusal of `text` found from its header lines alone, when the line toml_rs
    refused (`line`) is a header that declares again what a header before it declared (`[ha]`
    written twice, the second after 40,000 `[[vms]]` entries): tomllib reads the headers up
    to it, not the text between them. The text before `line` is TOML that tomllib reads too
    (toml_rs accepts it and nothing in it is too deep or long), and its other lines, read
    or not, can only make a header refused sooner: so a header tomllib refuses after the
    headers alone, it refuses in the whole text, and in the same words (what a header may not
    declare again is what a header declared). The headers are told for sure: no multi-line
    string or array, every line starting with `[` a header of bare names. None when that
    does not hold, or tomllib does not refuse that line there."""
    end = len(_through_line(text, line))
    start = text.rfind("\n", 0, end - 1) + 1  # where the refused line starts
    before = text[:start]
    if (not _HEADER_LINE.match(text, start) or _MULTI_LINE_QUOTES.search(before)
            or _ARRAY_GOES_ON.search(before)
            or len(_HEADER_LINE.findall(before)) != len(_BARE_HEADER.findall(before))):
        return None
    try:
        accepted = toml_rs.loads(before, toml_version="1.0.0")
    except Exception:
        return None
    if not _as_tomllib_reads_it(accepted):
        return None
    headers = [row for row in _NOT_HEADER.sub("", before).split("\n") if row]
    try:
        _tomllib_loads("".join(f"{row}\n" for row in headers) + text[start:end], filename)
    except ConfigError as error:
        at_end = error.message.endswith(_AT_END)
        if error.line != len(headers) + 1 or (at_end and end < len(text)):
            return None  # not on the refused line, or only for want of the text after it
        return ConfigError(filename, line, error.key, error.message)
    return None


def _tomllib_loads(text: str, filename: str) -> dict[str, Any]:
    """`text` parsed by tomllib, or its refusal as a ConfigError on its line (`(at end of
    file)` after the message when the text ends too soon)."""
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
                line, message = max(1, len(text.splitlines())), f"{message} {_AT_END}"
        raise ConfigError(filename, line, "", f"invalid TOML: {message}") from None
    except RecursionError:
        raise ConfigError(filename, None, "", _too_deep()) from None
    except ValueError:  # int("9" * 5000): Python's limit on digits (CVE-2020-10735)
        digits = re.search(r"[0-9_]{4300,}", text)
        line = text.count("\n", 0, digits.start()) + 1 if digits else None
        raise ConfigError(filename, line, "", "invalid TOML: an integer with more than 4300 "
                                              "digits") from None


def parse_and_read(text: str, filename: str, read: Callable[[dict[str, Any]], _Read]) -> _Read:
    """`read(parse_toml(text, filename))`, without `parse_toml`'s walk over the whole document
    for what tomllib refuses (nesting deeper than `MAX_NESTING`, an integer of more than 4,300
    digits) unless `read` raises: so `read` must refuse any such value, as a schema whose every
    value has a type and bounds does. When it raises, the document is walked, and where tomllib
    would refuse the text its ConfigError is raised instead, as `parse_toml` would have.
    toml_rs parses the text once, whatever happens."""
    attempt = _toml_rs_attempt(text)
    if attempt.document is None:
        return read(_parse_toml(text, filename, attempt))
    try:
        return read(attempt.document)
    except Exception:
        if not _as_tomllib_reads_it(attempt.document):
            _parse_toml(text, filename, attempt)  # raises tomllib's refusal
        raise


_Read = TypeVar("_Read")


def _toml_rs_loads(text: str) -> dict[str, Any]:
    """`text` parsed by toml_rs as TOML 1.0 (raising its refusal): the document parsed ahead
    for this text (console.formats.parse_ahead) when there is one."""
    document = parse_ahead.taken(text)
    if document is None:
        document = toml_rs.loads(text, toml_version="1.0.0")
    return document  # type: ignore[no-any-return]


#: The smallest integer Python will not read from decimal text (more than 4,300 digits).
_TOO_MANY_DIGITS = 10 ** 4300


def _as_tomllib_reads_it(document: dict[str, Any]) -> bool:
    """A document tomllib would give as well: nesting at most `MAX_NESTING` deep and no
    integer of more digits than Python reads (toml_rs reads those; tomllib refuses them)."""
    depth, level = 0, [document]
    while level:
        depth += 1
        if depth > MAX_NESTING:
            return False
        inner: list[Any] = []
        for item in level:
            for child in item.values() if isinstance(item, dict) else item:
                if isinstance(child, (dict, list)):
                    inner.append(child)
                elif type(child) is int and not -_TOO_MANY_DIGITS < child < _TOO_MANY_DIGITS:
                    return False
        level = inner
    return True


def _too_deep() -> str:
    return f"arrays and tables nest more than {MAX_NESTING} levels deep"


# -- line numbers -------------------------------------------------------------------------------

#: A key path as a tuple: table and key names, and the 0-based indexes of array elements
#: (`vms[1].workload.cpu` is `("vms", 1, "workload", "cpu")`).
_KeyPath = tuple[str | int, ...]

_PATH_STEP = re.compile(r'(?:^|\.)(?:"((?:[^"\\]|\\.)*)"|([^."\[\]]+))|\[(\d+)\]')


def locate(text: str, key: str) -> int | None:
    """The 1-based line that sets `key` in the TOML document `text`, else the line of the
    nearest enclosing table, entry or key that the document writes, else None.

    `key` is a key path as problems spell it: names joined by dots, a name TOML would quote
    quoted as JSON (see `bare`), `[i]` after an array (e.g. `nodes[2].memory_gb`,
    `ha."fence.s"`, `services[0].members[1]`). A key set in an inline table, a dotted key or an
    element of an array (of values or of inline tables) is on the line where that key or
    element is written; a table on its `[table]` header, an entry of an array of tables on its
    `[[header]]`, the array of tables itself on its first header. Returns None for "" and for a
    string that is not a key path. `text` should be valid TOML (parse it first; tomllib keeps no
    positions, hence this second reading); for text that is not, the answer is a best effort and
    no error is raised.
    """
    path = _key_path(key)
    if not path:
        return None
    lines = _entry_lines(text, path)
    if lines is None:
        lines = _table_lines(text, path)
    if lines is None:
        lines = _KeyLines(text, wanted=path).read()
    while path:
        if path in lines:
            return lines[path]
        path = path[:-1]
    return None


def _key_path(key: str) -> _KeyPath | None:
    """`key` as a tuple of names and indexes, or None when it is not a key path."""
    path: list[str | int] = []
    position = 0
    while position < len(key):
        step = _PATH_STEP.match(key, position)
        if step is None:
            return None
        quoted, name, index = step.groups()
        if index is not None:
            path.append(int(index))
        elif quoted is not None:
            try:
                path.append(json.loads(f'"{quoted}"'))
            except ValueError:
                return None
        else:
            path.append(name)
        position = step.end()
    return tuple(path)


#: A line that opens an entry of an array of tables, its name bare (`[[vms]]`), alone on its line.
_ENTRY_HEADER = r"^[ \t]*\[\[[ \t]*{name}[ \t]*\]\][ \t]*(?:#[^\n]*)?\r?$"
_ANY_ENTRY_HEADER = re.compile(_ENTRY_HEADER.format(name=r"[A-Za-z0-9_.-]+"), re.MULTILINE)
_DOUBLE_BRACKET_LINE = re.compile(r"^[ \t]*\[\[", re.MULTILINE)


def _entry_lines(text: str, path: _KeyPath) -> dict[_KeyPath, int] | None:
    """The lines of what entry `path[1]` of the array of tables `path[0]` sets, read from that
    entry's part of the text only (from its `[[name]]` header to the next one), or None when
    `path` is not in such an entry or the entry's part cannot be told for sure: then the whole
    text is read. A late entry of a 40,000-VM file is found in C, not by reading 6 MB in
    Python. For sure means: no multi-line string (one could hold a line like a header), and
    every line that starts with `[[` is a header with a bare name alone on its line (so none
    is a quoted spelling of the name, or an array of arrays)."""
    if (len(path) < 2 or not isinstance(path[0], str) or not isinstance(path[1], int)
            or not _BARE_KEY.fullmatch(path[0]) or '"""' in text or "'''" in text):
        return None
    if len(_DOUBLE_BRACKET_LINE.findall(text)) != len(_ANY_ENTRY_HEADER.findall(text)):
        return None
    headers = re.compile(_ENTRY_HEADER.format(name=re.escape(path[0])), re.MULTILINE)
    found = headers.finditer(text)
    start = next(islice(found, path[1], None), None)
    if start is None:
        return None
    following = next(found, None)
    end = len(text) if following is None else following.start()
    reader = _KeyLines(text[start.start():end], line=text.count("\n", 0, start.start()) + 1,
                       wanted=path)
    reader.entries[(path[0],)] = path[1]
    return reader.read()


#: A header of bare names (`[a]`, `[a.b]`, `[[a]]`), alone on its line.
_BARE_HEADER = re.compile(r"^[ \t]*\[\[?[ \t]*[A-Za-z0-9_-]+(?:[ \t]*\.[ \t]*[A-Za-z0-9_-]+)*"
                          r"[ \t]*\]\]?[ \t]*(?:#[^\n]*)?\r?$", re.MULTILINE)
#: Where a multi-line string opens or closes.
_MULTI_LINE_QUOTES = re.compile("\"\"\"|'''")
#: A line after which an array goes on (it ends in `[` or `,`, a comment aside).
_ARRAY_GOES_ON = re.compile(r"[\[,][ \t]*(?:#[^\n]*)?\r?$", re.MULTILINE)


def _table_lines(text: str, path: _KeyPath) -> dict[_KeyPath, int] | None:
    """The lines of what the top-level name `path[0]` sets, read from the text before the
    first header and from the part under each header whose first name is `path[0]` only, or
    None when those parts cannot be told for sure: then the whole text is read. A table
    written after 40,000 `[[vms]]` entries (`[balancer]` at the end of the file) is found
    without reading them in Python (seconds). For sure means: no multi-line string or array
    (one could hold a line like a header: no line ends in `[` or `,`), and every line that
    starts with `[` is a header of bare names alone on its line. What other headers' parts set
    is under other names, so it cannot set `path`."""
    if (not isinstance(path[0], str) or not _BARE_KEY.fullmatch(path[0])
            or _MULTI_LINE_QUOTES.search(text) or _ARRAY_GOES_ON.search(text)):
        return None
    starts = [found.start() for found in _HEADER_LINE.finditer(text)]
    if len(starts) != len(_BARE_HEADER.findall(text)):
        return None
    ends = dict(pairwise([*starts, len(text)]))
    reader = _KeyLines(text[:starts[0]] if starts else text, wanted=path)
    reader.read()
    position, line = 0, 1
    own = re.compile(rf"^[ \t]*\[\[?[ \t]*{re.escape(path[0])}[ \t]*[.\]]", re.MULTILINE)
    for header in own.finditer(text):
        if path in reader.lines and path not in reader.implied:
            break  # set: its line is final
        line += text.count("\n", position, header.start())
        position = header.start()
        reader.text, reader.position, reader.line = text[position:ends[position]], 0, line
        reader.read()
    return reader.lines


_BARE_KEY = re.compile(r"[A-Za-z0-9_-]*")
_BASIC_STRING = re.compile(r'"(?:[^"\\\n]|\\.)*"')
_LITERAL_STRING = re.compile(r"'[^'\n]*'")
_MULTILINE_BASIC_STRING = re.compile(r'"""(?:[^"\\]|\\.|"{1,2}(?!"))*"""(?:"{1,2})?', re.DOTALL)
_MULTILINE_LITERAL_STRING = re.compile(r"'''(?:[^']|'{1,2}(?!'))*'''(?:'{1,2})?")
_SCALAR = re.compile(r"[^,\]}#\r\n]*")  # numbers, booleans, dates and times


class _KeyLines:
    """One reading of a TOML document (TOML 1.0) that notes the line of every key path it sets.

    It follows the grammar where it matters for lines: comments, the four kinds of string
    (so that nothing inside a string is taken for a header or a key), arrays and inline tables
    at any depth, dotted and quoted keys, and which entry of an array of tables a `[a.b]` or
    `[[a.b]]` header extends (the last one, as the specification says). Values are skipped, not
    decoded: tomllib is the parser of values.

    With `wanted`, the reading stops as soon as that key path is set (not only implied by a
    longer name): its line is then final, so a problem near the top of a 40,000-VM file is
    located without reading the rest.
    """

    def __init__(self, text: str, line: int = 1, wanted: _KeyPath | None = None) -> None:
        self.text = text
        self.wanted = wanted
        self.position = 0
        self.line = line  # the line `text` starts on
        self.lines: dict[_KeyPath, int] = {}
        self.implied: set[_KeyPath] = set()  # tables only named as part of a longer name so far
        self.entries: dict[_KeyPath, int] = {}  # array of tables -> how many entries so far

    def read(self) -> dict[_KeyPath, int]:
        """{key path: 1-based line} for every table, key and array element of the document."""
        table: _KeyPath = ()
        try:
            while True:
                self._skip_blank(newlines=True)
                if self.position >= len(self.text):
                    return self.lines
                if self.text[self.position] == "[":
                    table = self._header()
                else:
                    self._key_value(table)
        except _Found:
            return self.lines

    def _note(self, path: _KeyPath, line: int, *, implied: bool = False) -> None:
        """Note where `path` is set: where it is first written, but a table's own header or key
        rather than a longer name that only implies the table (`[x]` rather than `[x.y]`)."""
        if path not in self.lines or (path in self.implied and not implied):
            self.lines[path] = line
            if implied:
                self.implied.add(path)
            else:
                self.implied.discard(path)
                if path == self.wanted:
                    raise _Found

    def _header(self) -> _KeyPath:
        """Read a `[table]` or `[[array.of.tables]]` header; the path of the table it opens."""
        line = self.line
        array = self.text.startswith("[[", self.position)
        self.position += 2 if array else 1
        names = self._key()
        self._skip_blank(newlines=False)
        self.position += 2 if array else 1
        path: _KeyPath = ()
        for i, name in enumerate(names):
            path = (*path, name)
            if array and i == len(names) - 1:
                self._note(path, line)
                count = self.entries.get(path, 0)
                self.entries[path] = count + 1
                path = (*path, count)
            elif path in self.entries:
                path = (*path, self.entries[path] - 1)
            else:
                self._note(path, line, implied=True)
        self._note(path, line)
        return path

    def _key_value(self, table: _KeyPath) -> None:
        """Read `key = value` in `table` (a document table or an inline table)."""
        line = self.line
        names = self._key()
        self._skip_blank(newlines=False)
        self.position += 1  # the "="
        self._skip_blank(newlines=False)
        path = table
        for name in names[:-1]:
            path = (*path, name)
            self._note(path, line, implied=True)
        path = (*path, names[-1])
        self._note(path, line)
        self._value(path)

    def _key(self) -> list[str]:
        """Read a key, dotted or not, with its names unquoted and unescaped."""
        names = []
        while True:
            self._skip_blank(newlines=False)
            names.append(self._key_name())
            self._skip_blank(newlines=False)
            if not self.text.startswith(".", self.position):
                return names
            self.position += 1

    def _key_name(self) -> str:
        start = self.position
        if self.text.startswith('"', start):
            quoted = self._skip(_BASIC_STRING)
            try:  # the parser of values decodes the escapes, exactly as it did for the document
                return str(tomllib.loads(f"k = {quoted}")["k"])
            except tomllib.TOMLDecodeError:
                return quoted[1:-1]
        if self.text.startswith("'", start):
            return self._skip(_LITERAL_STRING)[1:-1]
        return self._skip(_BARE_KEY)

    def _value(self, path: _KeyPath) -> None:
        """Skip the value of `path`, noting the lines of what an array or inline table holds."""
        text, start = self.text, self.position
        if text.startswith("[", start):
            self._array(path)
        elif text.startswith("{", start):
            self._inline_table(path)
        elif text.startswith('"""', start):
            self._skip(_MULTILINE_BASIC_STRING)
        elif text.startswith("'''", start):
            self._skip(_MULTILINE_LITERAL_STRING)
        elif text.startswith('"', start):
            self._skip(_BASIC_STRING)
        elif text.startswith("'", start):
            self._skip(_LITERAL_STRING)
        else:
            self._skip(_SCALAR)

    def _array(self, path: _KeyPath) -> None:
        self.position += 1
        index = 0
        while True:
            self._skip_blank(newlines=True)
            if self.position >= len(self.text) or self.text[self.position] == "]":
                self.position += 1
                return
            start = self.position
            element = (*path, index)
            self._note(element, self.line)
            self._value(element)
            self._skip_blank(newlines=True)
            if self.text.startswith(",", self.position):
                self.position += 1
            elif self.position == start:  # not TOML: stop here rather than loop
                return
            index += 1

    def _inline_table(self, path: _KeyPath) -> None:
        self.position += 1
        while True:
            self._skip_blank(newlines=True)
            if self.position >= len(self.text) or self.text[self.position] == "}":
                self.position += 1
                return
            self._key_value(path)
            self._skip_blank(newlines=True)
            if self.text.startswith(",", self.position):
                self.position += 1

    def _skip(self, token: re.Pattern[str]) -> str:
        """Move past `token` at the current position (to the end of the text when it does not
        match there: an unterminated string); the text moved past."""
        start = self.position
        match = token.match(self.text, start)
        end = len(self.text) if match is None else match.end()
        self.line += self.text.count("\n", start, end)
        self.position = end
        return self.text[start:end]

    def _skip_blank(self, *, newlines: bool) -> None:
        """Move past spaces and tabs and, with `newlines`, line breaks and comments too."""
        text = self.text
        while self.position < len(text):
            char = text[self.position]
            if char in " \t":
                self.position += 1
            elif newlines and char == "\n":
                self.position += 1
                self.line += 1
            elif newlines and char == "\r":
                self.position += 1
            elif newlines and char == "#":
                end = text.find("\n", self.position)
                self.position = len(text) if end < 0 else end
            else:
                return


class _Found(Exception):
    """Raised inside `_KeyLines` when the key path it was asked for is set: reading stops."""


_HEADER = re.compile(r"\s*(\[\[?)\s*([A-Za-z0-9_.\-\"' ]+?)\s*\]\]?\s*(#.*)?$")


def table_header(line: str) -> tuple[bool, str] | None:
    """(is an array-of-tables header, dotted table name) when `line` alone reads as a table
    header, else None.

    For a loader that splits a file by top-level table (a drill embedding a cluster). It looks
    at one line only, so a line inside a multi-line string that reads like a header counts too:
    such a loader must check its split (the drill loader re-parses both halves).
    """
    match = _HEADER.match(line)
    if match is None:
        return None
    return match[1] == "[[", re.sub(r"[\s\"']", "", match[2])


# -- spelling values for messages ---------------------------------------------------------------


def show(value: Any) -> str:
    """A value spelt as in TOML, for the "got ..." of a message."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return display(value)
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "[" + ", ".join(show(v) for v in value) + "]"
    if isinstance(value, int) and abs(value) >= 10**15:
        return f"an integer of {value.bit_length()} bits"  # one line, however many digits
    return str(value)


def bare(key: str) -> str:
    """A key as a key path spells it: quoted when TOML would need quotes (keeps errors one line)."""
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else display(key)


def listing(names: list[str], limit: int = 8) -> str:
    """Names for a message, cut short when there are many."""
    if len(names) <= limit:
        return ", ".join(names)
    return f"{', '.join(names[:limit])}, ... ({len(names)} in all)"


# -- value checks: each returns the value as the loader wants it, or raises Problem -------------

#: A value checker: the checked (perhaps converted) value, or a `Problem` at key "".
Check = Callable[[Any], Any]


def number(value: Any, rule: str, ok: Callable[[float], bool]) -> float:
    """A finite int or float (not a bool, which Python counts as an int) that satisfies `ok`,
    as a float; `rule` says what `ok` wants, for the message. Raises Problem ("must be <rule>,
    got ...") otherwise, also for an integer too large for a float (`2**1100`)."""
    if (isinstance(value, bool) or not isinstance(value, (int, float))
            or (isinstance(value, float) and not math.isfinite(value)) or not ok(value)):
        raise Problem("", f"must be {rule}, got {show(value)}")
    try:
        return float(value)
    except OverflowError:
        raise Problem("", f"must be {rule}, got {show(value)}") from None


@dataclass(frozen=True)
class Between:
    """A checker for a number (int or float, not a bool) from `low` to `high`, both included,
    returned as a float; with `above`, `low` itself is excluded; with `off`, 0 is allowed too
    (it turns the feature off). `unit` (`s`, `GB`, `MB/s`, ...) is for messages and the
    README's table of limits. Raises Problem for anything else: NaN, infinities and integers
    too large for a float included."""

    low: float
    high: float
    unit: str = ""
    above: bool = False
    off: bool = False

    @property
    def text(self) -> str:
        """The range in words, e.g. `from 0.1 to 60 s`, `above 0, at most 24576 GB`."""
        unit = f" {self.unit}" if self.unit else ""
        low, high = _plain(self.low), _plain(self.high)
        span = (f"above {low}, at most {high}{unit}" if self.above
                else f"from {low} to {high}{unit}")
        return f"0 (off) or {span}" if self.off else span

    def __call__(self, value: Any) -> float:
        kind = type(value)
        if (kind is float or kind is int) and (
                (self.low < value if self.above else self.low <= value) and value <= self.high):
            return float(value)  # the common case, without the message's words

        def ok(v: float) -> bool:
            return (self.off and v == 0) or (
                (self.low < v if self.above else self.low <= v) and v <= self.high)

        return number(value, f"a number {self.text}", ok)

    def column(self, values: list[Any]) -> list[float] | None:
        """`[self(v) for v in values]`, or None when one of them is refused."""
        if not values:
            return values
        kinds = set(map(type, values))
        if not kinds <= _NUMBERS:
            return None
        try:
            if float in kinds and any(map(math.isnan, values)):
                return None
        except OverflowError:  # an integer too large for a float
            return None
        inside = [v for v in values if v != 0] if self.off else values
        if inside:
            lowest, highest = min(inside), max(inside)
            if not ((self.low < lowest if self.above else self.low <= lowest)
                    and highest <= self.high):
                return None
        return values if kinds == {float} else list(map(float, values))


_NUMBERS = frozenset((int, float))


def _plain(number: float) -> str:
    """A bound as people write it: 2592000, not 2.592e+06; 0.1 as 0.1."""
    return str(int(number)) if float(number).is_integer() else f"{number:g}"


#: A number from 0 to 1 (both included): a share of something.
fraction = Between(0, 1)
#: A number above 0 and at most 1.
share = Between(0, 1, above=True)


@dataclass(frozen=True)
class Integer:
    """A checker for an int (not a bool) from `minimum` to `maximum`, both included; `unit`
    is for messages and the README's table of limits. Raises Problem for anything else."""

    minimum: int
    maximum: int
    unit: str = ""

    @property
    def text(self) -> str:
        """The range in words, e.g. `from 1 to 64` (an integer)."""
        return f"from {self.minimum} to {self.maximum}" + (f" {self.unit}" if self.unit else "")

    def __call__(self, value: Any) -> int:
        if (isinstance(value, bool) or not isinstance(value, int) or value < self.minimum
                or value > self.maximum):
            raise Problem("", f"must be an integer {self.text}, got {show(value)}")
        return value

    def column(self, values: list[Any]) -> list[int] | None:
        """`[self(v) for v in values]`, or None when one of them is refused."""
        if not values:
            return values
        if (set(map(type, values)) != {int} or min(values) < self.minimum
                or max(values) > self.maximum):
            return None
        return values


def boolean(value: Any) -> bool:
    """`true` or `false`. Raises Problem for anything else (0 and 1 included)."""
    if not isinstance(value, bool):
        raise Problem("", f"must be true or false, got {show(value)}")
    return value


def _only(kind: type) -> Callable[[list[Any]], list[Any] | None]:
    """A column check that passes values of exactly type `kind` (as parsers give them), as
    they are."""

    def column(values: list[Any]) -> list[Any] | None:
        return values if not values or set(map(type, values)) == {kind} else None

    return column


boolean.column = _only(bool)  # type: ignore[attr-defined]


def string(value: Any) -> str:
    """Any string (free text, a path, a name looked up later). Raises Problem otherwise."""
    if not isinstance(value, str):
        raise Problem("", f"must be a string, got {show(value)}")
    return value


string.column = _only(str)  # type: ignore[attr-defined]


def label(value: Any) -> str:
    """Free text shown on one line (a test case's name): printable characters only, no
    newline, control character or bidirectional override. Raises Problem otherwise."""
    problem = label_problem(string(value))
    if problem is not None:
        raise Problem("", problem)
    return value


def identifier(value: Any) -> str:
    """A name something is declared under, of the one grammar (console.model.names: a letter
    or digit, then letters, digits, '_', '.' or '-', at most 64 characters; so it can be typed
    in a command without quotes). Raises Problem otherwise."""
    if not isinstance(value, str):
        raise Problem("", f"must be a name ({NAME_RULE}), got {show(value)}")
    problem = name_problem(value)
    if problem is not None:
        raise Problem("", problem)
    return value


def _identifiers(values: list[Any]) -> list[str] | None:
    """`[identifier(v) for v in values]`, or None when one of them is refused."""
    return values if _only(str)(values) is not None and all_names(values) else None


identifier.column = _identifiers  # type: ignore[attr-defined]


def choice(options: tuple[str, ...], convert: Callable[[str], Any] = str) -> Check:
    """A checker for one of `options`, converted by `convert` (an Enum, say); the checker raises
    Problem for anything else."""

    def check(value: Any) -> Any:
        if not isinstance(value, str) or value not in options:
            raise Problem("", f"must be one of {', '.join(options)}; got {show(value)}")
        return convert(value)

    allowed = frozenset(options)
    converted = {option: convert(option) for option in options}

    def column(values: list[Any]) -> list[Any] | None:
        if _only(str)(values) is None or not allowed.issuperset(values):
            return None
        return values if convert is str else list(map(converted.__getitem__, values))

    check.column = column  # type: ignore[attr-defined]
    return check


def list_of(item: Check, *, non_empty: bool) -> Check:
    """A checker for an array whose elements pass `item`, as a tuple; the checker raises Problem
    for a value that is not an array (or is empty, when `non_empty`), and passes on an element's
    Problem with its index in the key (`[i]`)."""
    rule = "a non-empty array" if non_empty else "an array"

    def check(value: Any) -> tuple[Any, ...]:
        if not isinstance(value, list) or (non_empty and not value):
            raise Problem("", f"must be {rule}, got {show(value)}")
        items = []
        for i, element in enumerate(value):
            with at(f"[{i}]"):
                items.append(item(element))
        return tuple(items)

    def column(values: list[Any]) -> list[tuple[Any, ...]] | None:
        if _only(list)(values) is None or (non_empty and not all(values)):
            return None
        flat = list(chain.from_iterable(values))
        checked = column_check(item)(flat)
        if checked is None:
            return None
        if checked is flat:
            return list(map(tuple, values))
        elements = iter(checked)
        return [tuple(islice(elements, len(value))) for value in values]

    check.item = item  # type: ignore[attr-defined]  # for the README's table of limits
    check.column = column  # type: ignore[attr-defined]
    return check


#: A column check: every value of one key over many tables checked at once, as a list of what
#: the key's `Check` returns for each, or None when the check refuses any of them.
ColumnCheck = Callable[[list[Any]], list[Any] | None]


def column_check(check: Check) -> ColumnCheck:
    """The column form of `check`: its own `column` when it has one (the checkers above), else
    `check` applied to each value in turn."""
    column = getattr(check, "column", None)
    if column is not None:
        return column  # type: ignore[no-any-return]

    def each(values: list[Any]) -> list[Any] | None:
        try:
            return [check(value) for value in values]
        except Problem:
            return None

    return each


# -- tables -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Key:
    """One key a table may have: how to check its value, and whether it must be there."""

    check: Check
    required: bool = False


def read_table(raw: Any, keys: dict[str, Key]) -> dict[str, Any]:
    """Check one table in file order: unknown keys and bad values, then missing required keys.

    Returns the checked values of the keys present; the caller supplies defaults. Raises
    Problem for a value that is not a table, the first unknown key, the first bad value (its key
    in the path) or the first missing required key.
    """
    if not isinstance(raw, dict):
        raise Problem("", f"must be a table, got {show(raw)}")
    values = {}
    for key, value in raw.items():
        spec = keys.get(key)
        if spec is None:
            raise Problem(f".{bare(key)}", f"unknown key (known: {', '.join(keys)})")
        try:
            values[key] = spec.check(value)
        except Problem as problem:
            raise Problem(f".{key}{problem.key}", problem.message) from None
    missing = [key for key in _required(keys) if key not in raw]
    if missing:
        raise Problem(f".{missing[0]}", "required key is missing")
    return values


def read_tables(tables: list[Any], keys: dict[str, Key]) -> list[dict[str, Any]] | None:
    """What `read_table(t, keys)` returns for each table `t` of `tables`, or None when any
    table has a problem: then read them one by one with `read_table` to find the first, and its
    message. Never raises; the tables are not changed.

    The tables are copied in one pass (the copies lie together in memory, where the parser's
    tables are spread over the whole document) and grouped by their keys (an export's
    thousands of entries have a few shapes), whose names are checked once a group; then each
    key's values over all the tables that have it are checked together (`column_check`) and
    the converted ones put back."""
    if set(map(type, tables)) - {dict}:
        return None
    copies = list(map(dict, tables))
    shapes: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for copy, shape in zip(copies, map(tuple, copies)):  # noqa: B905 (same length)
        group = shapes.get(shape)
        if group is None:
            shapes[shape] = [copy]
        else:
            group.append(copy)
    allowed, required = keys.keys(), _required(keys)
    holders: dict[str, list[dict[str, Any]]] = {}
    for shape, group in shapes.items():
        if not allowed >= set(shape) or not set(shape).issuperset(required):
            return None
        for key in shape:
            holders.setdefault(key, []).extend(group)
    for key, held in holders.items():
        column = list(map(itemgetter(key), held))
        checked = column_check(keys[key].check)(column)
        if checked is None:
            return None
        if checked is not column:
            for copy, value in zip(held, checked):  # noqa: B905 (same length)
                copy[key] = value
    return copies


def _required(keys: dict[str, Key]) -> list[str]:
    """The required keys of a table's `keys`, in order (worked out once per table)."""
    found = _REQUIRED.get(id(keys))
    if found is None or found[0] is not keys:
        found = (keys, [key for key, spec in keys.items() if spec.required])
        _REQUIRED[id(keys)] = found
    return found[1]


_REQUIRED: dict[int, tuple[dict[str, Key], list[str]]] = {}


def entries(raw: Any, section: str, *, non_empty: bool = False) -> list[Any]:
    """The entries of an array-of-tables section (`[[section]]`); each is then a `read_table`.
    Raises Problem for a value that is not an array (or is empty, when `non_empty`)."""
    if not isinstance(raw, list) or (non_empty and not raw):
        rule = "a non-empty array of tables" if non_empty else "an array of tables"
        raise Problem("", f"must be {rule} ([[{section}]]), got {show(raw)}")
    return raw
