"""A big TOML text parsed ahead, on the machine's other core, while this process goes on.

The console opens a 40,000-VM cluster file (6 MB) behind a loading screen, but before that it
imports Textual and mounts the screen, some 0.3 s of CPU, and parsing the file takes another
0.2 s. The parse holds the interpreter lock (toml_rs), so a thread cannot overlap it with the
imports; a forked child can, and hands the document back through shared memory as `marshal`
bytes (a 6 MB document: some 25 ms to write, 90 ms to read, where `pickle` takes 0.4 and 0.2 s).

`start(text)` forks the child, once, when the text is big (`MIN_CHARS`), toml_rs is installed,
the system forks and this process runs one thread only (forking a threaded process is unsafe).
`taken(text)` gives the parsed document for that very text object (identity, not equality),
waiting for the child, once, or raises `Refused` with toml_rs's own message when it refused the
text (a typo in a 6 MB file is not parsed a second time to be found); None whenever there is
none: no parse ahead, another text, or the child failed (the document holds a value marshal
does not write, such as a date, or it did not fit): the caller then parses the text itself, as
it always did, so what is refused and every message stay the parser's. A parse ahead never
taken is ended when the program exits. The console starts one (console.cli.console) as soon
as it has read the file.
"""

from __future__ import annotations

import atexit
import marshal
import mmap
import os
import signal
import threading
from contextlib import suppress
from dataclasses import dataclass
from typing import Any

try:  # the compiled parser (console.formats.toml): without it there is nothing to do ahead
    import toml_rs
except ImportError:
    toml_rs = None

#: Texts shorter than this (characters) are parsed where they are needed: a parse of a 1 MB
#: file takes about 30 ms, the fork and the transfer a few.
MIN_CHARS = 1_000_000
#: The shared memory's header: the length of the marshal bytes after it, written last (0 until
#: the child has written them all).
_HEADER = 8


@dataclass
class _Ahead:
    """The child parsing `text`, and the shared memory it writes the document to."""

    text: str
    pid: int
    buffer: mmap.mmap


_ahead: _Ahead | None = None


class Refused(Exception):
    """toml_rs refused the text parsed ahead; `str()` is its message."""


def start(text: str) -> bool:
    """Fork a child that parses `text` (TOML 1.0, toml_rs) and writes the document to shared
    memory, for `taken(text)` to read; True when it started. Nothing is started (False) for a
    text shorter than `MIN_CHARS`, without toml_rs or `os.fork`, while another thread runs, or
    while a parse ahead is waiting to be taken."""
    global _ahead
    if (_ahead is not None or toml_rs is None or len(text) < MIN_CHARS
            or not hasattr(os, "fork") or not _alone()):
        return False
    # Anonymous shared memory (pages are only allocated as they are written): room for marshal
    # bytes of three times the text's length, far more than a parsed document needs.
    buffer = mmap.mmap(-1, _HEADER + 3 * len(text) + 4096)
    pid = os.fork()
    if pid == 0:
        _child(text, buffer)  # never returns
    _ahead = _Ahead(text, pid, buffer)
    atexit.register(discard)
    return True


def _alone() -> bool:
    """This process runs one thread only (a forked child has only the thread that forked)."""
    return threading.active_count() == 1


def _child(text: str, buffer: mmap.mmap) -> None:
    """In the forked child: parse, write the marshal bytes and then their length, and exit
    without running anything of the parent's (exit status 1 when it could not)."""
    status = 1
    try:
        for number in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(number, signal.SIG_DFL)  # not the console's handlers
        null = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):  # let go of the terminal (a pseudo-terminal's reader waits for
            os.dup2(null, fd)  # every holder to close it)
        try:
            parsed: dict[str, Any] | str = toml_rs.loads(text, toml_version="1.0.0")
        except Exception as error:  # a refusal: its message, which names the line
            parsed = str(error)
        data = marshal.dumps(parsed)
        if _HEADER + len(data) <= len(buffer):
            buffer[_HEADER:_HEADER + len(data)] = data
            buffer[:_HEADER] = len(data).to_bytes(_HEADER, "little")
            status = 0
    except BaseException:  # any: the parent parses the text itself
        status = 1
    finally:
        os._exit(status)


def taken(text: str) -> dict[str, Any] | None:
    """The document parsed ahead for `text` (this very object), waiting for the child to end;
    None when there is none (see the module's docstring). Raises `Refused` (toml_rs's message)
    when toml_rs refused the text. A parse ahead is taken once."""
    global _ahead
    ahead = _ahead
    if ahead is None or ahead.text is not text:
        return None
    _ahead = None
    atexit.unregister(discard)
    try:
        with suppress(ChildProcessError):  # reaped already: its header says if it finished
            os.waitpid(ahead.pid, 0)
        size = int.from_bytes(ahead.buffer[:_HEADER], "little")
        if size == 0:
            return None
        parsed = marshal.loads(ahead.buffer[_HEADER:_HEADER + size])
        if isinstance(parsed, str):
            raise Refused(parsed)
        return parsed  # type: ignore[no-any-return]
    finally:
        ahead.buffer.close()


def discard() -> None:
    """End a parse ahead that is not taken (the child killed and reaped); nothing when there is
    none. Called when the program exits."""
    global _ahead
    ahead, _ahead = _ahead, None
    if ahead is None:
        return
    atexit.unregister(discard)
    with suppress(ProcessLookupError, ChildProcessError):
        os.kill(ahead.pid, signal.SIGKILL)
        os.waitpid(ahead.pid, 0)
    ahead.buffer.close()
