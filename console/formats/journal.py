"""The journal: a session written to SQLite as it goes, one transaction per command, so that
what happened survives a killed terminal (resume) and can be watched by others (followers).

A journal holds exactly what a recording holds (console.formats.recording: the header with the
cluster text and seed, then every command, clock change, mark and selection with its simulated
time, in the very same JSON lines), and beside it what the recording leaves out: the events each
transaction saw the model emit (the check a resume replays against), how far the session's time
had got (`progress`), and who is writing it. So a journal exports to a recording line for line
(`recording_text`), and everything that plays recordings plays journals.

File (SQLite 3, WAL mode; `PRAGMA application_id` = `APPLICATION_ID`, `PRAGMA user_version` =
`VERSION`):

    meta(key TEXT PRIMARY KEY, value TEXT)   `header`: the recording's header line; `started`:
                                              when the session began (ISO 8601, UTC)
    entries(seq INTEGER PRIMARY KEY, kind TEXT, line TEXT, source TEXT, outcome TEXT)
                                              one recording line each (`kind` command, clock,
                                              mark, select or end); `source` who gave a command
                                              (console.session: operator, drill, replay,
                                              observation), `outcome` `accepted` or
                                              `refused: REASON`
    events(n INTEGER PRIMARY KEY, seq INTEGER, t REAL, kind TEXT, subject TEXT,
           severity TEXT, message TEXT)        the model's event log, `n` its index (from 0);
                                              `seq` the entry whose transaction wrote it (NULL:
                                              time passing)
    progress(id INTEGER PRIMARY KEY CHECK (id = 0), t REAL, pid INTEGER, wall REAL)
                                              the simulated time committed last, the writing
                                              process, and the wall time (Unix seconds) of that
                                              commit
    resumes(seq INTEGER, t REAL, program TEXT, wall REAL)
                                              each `resume`: the next entry, the time it went
                                              on from, the program that resumed it

Every transaction leaves the file a journal of a consistent instant: the entries up to a
command, the events the model had emitted by then, and the time. After a `kill -9` the last
committed transaction is what a resume restores. Commits use `synchronous = NORMAL`, which in WAL
mode survives the process dying at any moment (the operating system still holds the writes);
only a power cut can lose the last commits before a checkpoint, never the file's consistency.

Writing (`JournalWriter`) happens in a thread of its own: the session's thread only formats a
line (the recording's `Recorder` does it, with its checks) and queues it with the events emitted
since the previous one, so a key is never delayed by a disk. The writer holds an exclusive
`flock` on the file from the moment it is created until it is closed (or its process dies, when
the system releases it), so a second writer (a `resume` of a live session) is refused; SQLite's
own locks do not say this, since WAL readers and a writer coexist.

Reading (`open_journal`, `JournalReader`) never writes: the file is opened read-only, so a
refused journal (damaged, foreign, newer, being written, diverging on replay) is left byte for
byte as it was. Followers poll a live journal (`JournalReader.poll`): SQLite lets readers see a
WAL writer's commits as they happen.
"""

from __future__ import annotations

import contextlib
import datetime
import json
import os
import queue
import sqlite3
import stat
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

try:
    import fcntl
except ImportError:  # Windows: no flock; a live journal is then told only by its progress
    fcntl = None  # type: ignore[assignment]

from console import __version__
from console.errors import InputError
from console.formats.recording import (
    Entry,
    Recorder,
    Recording,
    parse_header,
    read_entries,
)
from console.formats.toml import ConfigError
from console.model.commands import CLOCK_COMMANDS, Command
from console.model.events import Event, Severity
from console.model.kernel import Outcome

#: The journal format's version (`PRAGMA user_version`); a newer one is refused.
VERSION = 1
#: `PRAGMA application_id` of a journal ("CCJ1"): tells our journals from other SQLite files.
APPLICATION_ID = 0x43434A31
#: The file suffix of journals the console names itself.
SUFFIX = ".journal"
#: While time passes without commands, its progress is committed at most this often (real
#: seconds), so followers keep up within a second without a commit per clock tick.
TIME_COMMIT_S = 0.25

_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE entries (seq INTEGER PRIMARY KEY, kind TEXT NOT NULL, line TEXT NOT NULL,
                      source TEXT, outcome TEXT);
CREATE TABLE events (n INTEGER PRIMARY KEY, seq INTEGER, t REAL NOT NULL, kind TEXT NOT NULL,
                     subject TEXT NOT NULL, severity TEXT NOT NULL, message TEXT NOT NULL);
CREATE TABLE progress (id INTEGER PRIMARY KEY CHECK (id = 0), t REAL NOT NULL,
                       pid INTEGER NOT NULL, wall REAL NOT NULL);
CREATE TABLE resumes (seq INTEGER NOT NULL, t REAL NOT NULL, program TEXT NOT NULL,
                      wall REAL NOT NULL);
"""
_TABLES = {"meta", "entries", "events", "progress", "resumes"}
_KINDS = ("command", "clock", "mark", "select", "end")


class JournalError(InputError):
    """A journal that cannot be read or written, as one line naming the file (exit status 2)."""


# -- the lock -----------------------------------------------------------------------------------


def _flock(fd: int, operation: int) -> bool:
    """`flock(fd, operation)` without waiting; False when another process holds the lock."""
    try:
        fcntl.flock(fd, operation | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def lock(fd: int) -> bool:
    """Take the writer's exclusive lock on the open file `fd` (held until `fd` is closed or its
    process dies); False when another process holds it. Always True where the system has no
    flock (Windows)."""
    return fcntl is None or _flock(fd, fcntl.LOCK_EX)


def open_regular(path: str | Path, flags: int = os.O_RDONLY) -> int:
    """A descriptor of the regular file at `path`, opened with `flags`, never waiting: a FIFO or
    a device would block an open (a FIFO until a writer comes), so the open does not wait and
    anything but a regular file is refused. Raises OSError (the file cannot be opened) or
    `JournalError` (not a regular file)."""
    fd = os.open(path, flags | getattr(os, "O_NONBLOCK", 0))
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise JournalError(f"{path}: not a journal (not a regular file)")
    return fd


def is_live(path: str | Path) -> bool:
    """Whether a session is writing the journal at `path` now (holds its writer's lock). Opens
    the file read-only and writes nothing; False for a file that cannot be opened or is not a
    regular file."""
    try:
        fd = open_regular(path)
    except (OSError, JournalError):
        return False
    try:
        if fcntl is None:
            return False
        if not _flock(fd, fcntl.LOCK_SH):
            return True
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False
    finally:
        os.close(fd)


# -- reading ------------------------------------------------------------------------------------


@dataclass
class JournalState:
    """What a journal holds, read at one instant: `recording` (its header and every entry, the
    end line's time as `recording.end` when the session ended cleanly and was not resumed
    since), `sources` and `outcomes` of the entries (index for index: who gave each, and
    `accepted` / `refused: REASON`; None for marks, selections and the end), `events` (the
    model's event log up to the last commit), `t` (the simulated seconds committed last),
    `live` (a session is writing it now: `is_live`), `pid` (the process that committed last),
    `started` (ISO 8601, UTC) and `resumes` (how often it was resumed). `reopened`: the clean
    ends a resume went on from, as (how many entries came before it, its simulated time): that
    session completed its instant before closing (its timers due then ran), which a replay
    must do too."""

    recording: Recording
    sources: list[str | None] = field(default_factory=list)
    outcomes: list[str | None] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    t: float = 0.0
    live: bool = False
    pid: int = 0
    started: str = ""
    resumes: int = 0
    reopened: list[tuple[int, float]] = field(default_factory=list)

    @property
    def ended(self) -> bool:
        """The session ended cleanly (its last entry is the end line)."""
        return self.recording.end is not None


@dataclass
class JournalUpdate:
    """What a journal gained since the last `JournalReader.poll`: new `entries` (recording
    entries, with their `sources` and `outcomes`), new `events`, the committed time `t`, and
    whether the session has `ended` (its last entry is the end line)."""

    entries: list[Entry]
    sources: list[str | None]
    outcomes: list[str | None]
    events: list[Event]
    t: float
    ended: bool


class JournalReader:
    """A read-only view of a journal, checked when opened: a file that is missing, not SQLite,
    another program's SQLite, of a newer journal format, or damaged raises `JournalError` (one
    line, `PATH: what is wrong`), and nothing is written to it, ever.

    `state()` reads it all; `poll()` what came since the last call (followers). Close it with
    `close()` or use it as a context manager."""

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        self._connection = _open_read_only(self.path)
        try:
            self.recording = self._header()
        except BaseException:
            self._connection.close()
            raise
        self._seq = 0  # the last entry read
        self._n = 0    # events read
        self._line = 1  # the recording line number of the last entry read
        self._reopened: list[tuple[int, float]] = []  # clean ends resumed: JournalState

    def __enter__(self) -> JournalReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the file; the reader cannot be used after."""
        self._connection.close()

    def _query(self, sql: str, parameters: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        try:
            return self._connection.execute(sql, parameters).fetchall()
        except sqlite3.DatabaseError as error:
            raise JournalError(f"{self.path}: damaged journal ({error})") from None

    def _header(self) -> Recording:
        found = dict(self._query("SELECT key, value FROM meta"))
        if "header" not in found:
            raise JournalError(f"{self.path}: damaged journal (no header)")
        try:
            recording = parse_header(found["header"], self.path)
            recording.embedded_cluster(place=False)
        except ConfigError as error:
            raise JournalError(f"{self.path}: damaged journal header: {error}") from None
        self.started = str(found.get("started", ""))
        return recording

    def poll(self) -> JournalUpdate:
        """The entries and events committed since the last call (all of them the first time),
        as one consistent instant. Raises `JournalError` for a damaged entry."""
        with self._snapshot():
            rows = self._query("SELECT seq, kind, line, source, outcome FROM entries "
                               "WHERE seq > ? ORDER BY seq", (self._seq,))
            events = self._query("SELECT t, kind, subject, severity, message FROM events "
                                 "WHERE n >= ? ORDER BY n", (self._n,))
            progress = self._query("SELECT t FROM progress")
        t = float(progress[0][0]) if progress else 0.0
        entries, sources, outcomes = self._entries(rows)
        self._n += len(events)
        return JournalUpdate(entries, sources, outcomes, [_event(row) for row in events],
                             max(t, self.recording.entries[-1].t if self.recording.entries
                                 else 0.0), self.recording.end is not None)

    @contextlib.contextmanager
    def _snapshot(self):  # one read transaction: the queries see one commit
        self._query("BEGIN")
        try:
            yield
        finally:
            self._query("COMMIT")

    def _entries(self, rows: list[tuple[Any, ...]]
                 ) -> tuple[list[Entry], list[str | None], list[str | None]]:
        recording = self.recording
        before = len(recording.entries)
        kept_sources: list[str | None] = []
        kept_outcomes: list[str | None] = []
        for seq, kind, line, source, outcome in rows:
            if kind not in _KINDS or not isinstance(line, str):
                raise JournalError(f"{self.path}: damaged journal: entry {seq} is not a "
                                   "recording line")
            if recording.end is not None:  # resumed after a clean end: the session went on
                self._reopened.append((len(recording.entries), recording.end))
                recording.end = None
            self._line += 1
            try:
                read_entries(recording, [line], self.path, self._line)
            except ConfigError as error:
                raise JournalError(f"{self.path}: damaged journal: entry {seq}: "
                                   f"{error}") from None
            if kind != "end":
                kept_sources.append(source)
                kept_outcomes.append(outcome)
            self._seq = seq
        return recording.entries[before:], kept_sources, kept_outcomes

    def state(self) -> JournalState:
        """Everything the journal holds now (see `JournalState`); this reader's later `poll`s
        go on from here. Raises `JournalError` for a damaged entry."""
        update = self.poll()
        progress = self._query("SELECT pid FROM progress")
        resumes = self._query("SELECT COUNT(*) FROM resumes")
        return JournalState(self.recording, update.sources, update.outcomes, update.events,
                            update.t, is_live(self.path),
                            int(progress[0][0]) if progress else 0, self.started,
                            int(resumes[0][0]), list(self._reopened))


def _event(row: tuple[Any, ...]) -> Event:
    t, kind, subject, severity, message = row
    return Event(float(t), kind, subject, Severity(severity), message)


def _open_read_only(path: str) -> sqlite3.Connection:
    """`path` opened read-only and checked to be a journal this program reads."""
    if not os.path.exists(path):
        raise JournalError(f"{path}: no such journal")
    if not os.path.isfile(path):
        raise JournalError(f"{path}: not a journal (not a regular file)")
    # A journal closed cleanly has no WAL file: reading it as immutable makes SQLite create no
    # side files (-wal, -shm) beside it either. A live or killed one has them already.
    still_open = os.path.exists(path + "-wal")
    uri = "file:" + _uri_path(path) + ("?mode=ro" if still_open else "?mode=ro&immutable=1")
    try:
        connection = sqlite3.connect(uri, uri=True, isolation_level=None,
                                     check_same_thread=False)
    except sqlite3.Error as error:
        raise JournalError(f"{path}: cannot open the journal ({error})") from None
    try:
        _check_identity(connection, path)
    except BaseException:
        connection.close()
        raise
    return connection


def _uri_path(path: str) -> str:
    """`path` as the path part of an SQLite file URI (absolute; `?`, `#` and `%` escaped)."""
    absolute = os.path.abspath(path)
    return "".join({"?": "%3f", "#": "%23", "%": "%25"}.get(c, c) for c in absolute)


def _check_identity(connection: sqlite3.Connection, path: str) -> None:
    try:
        application = connection.execute("PRAGMA application_id").fetchone()[0]
        version = connection.execute("PRAGMA user_version").fetchone()[0]
        tables = {row[0] for row in connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'")}
    except sqlite3.DatabaseError as error:
        if "not a database" in str(error):
            raise JournalError(f"{path}: not a cluster-console journal (not an SQLite "
                               "database)") from None
        raise JournalError(f"{path}: damaged journal ({error})") from None
    if application != APPLICATION_ID:
        if not tables and application == 0 and is_live(path):
            raise JournalError(f"{path}: a live session is starting this journal; try again "
                               "in a moment")
        what = "an empty file" if not tables and application == 0 else \
            "an SQLite database of another program"
        raise JournalError(f"{path}: not a cluster-console journal ({what})")
    if version > VERSION:
        raise JournalError(f"{path}: journal format {version} is newer than this program's "
                           f"({VERSION}); open it with a newer cluster-console")
    if version != VERSION or not _TABLES.issubset(tables):
        raise JournalError(f"{path}: damaged journal (format {version}, tables "
                           f"{', '.join(sorted(tables)) or 'none'})")


def open_journal(path: str | Path) -> JournalReader:
    """A checked, read-only reader of the journal at `path` (see `JournalReader`). Raises
    `JournalError` for a file that is not a good journal."""
    return JournalReader(path)


def read_journal(path: str | Path) -> JournalState:
    """Everything the journal at `path` holds now (`JournalState`). Raises `JournalError`."""
    with JournalReader(path) as reader:
        return reader.state()


def recording_text(state: JournalState) -> str:
    """The journal's session as a recording file's text (console.formats.recording): its header,
    then every entry, then the end line: where the session ended, or, for a session cut short
    (killed), the time its journal reached (`state.t`), so that a replay runs as far as a
    `resume` restores."""
    recording = state.recording
    header = _header_line(recording)
    lines = [header]
    for entry in recording.entries:
        lines.append(json.dumps({"t": entry.t, entry.kind: entry.text}, ensure_ascii=False))
    end = recording.end if recording.end is not None else state.t
    lines.append(json.dumps({"t": end, "end": True}))
    return "\n".join(lines) + "\n"


def _header_line(recording: Recording) -> str:
    """The recording header line of `recording`, as its `Recorder` writes it."""
    stream = _Lines()
    Recorder(stream, seed=recording.seed, cluster_file=recording.cluster_file,
             cluster=recording.cluster, created_by=recording.created_by,
             drill=recording.drill, read_only=recording.read_only,
             local_node=recording.local_node, traces=recording.traces,
             drill_file=recording.drill_file)
    return stream.take()


# -- writing ------------------------------------------------------------------------------------


class _Lines:
    """A text stream that keeps what a `Recorder` writes, a line at a time (`take`)."""

    def __init__(self) -> None:
        self._parts: list[str] = []

    def write(self, text: str) -> int:
        self._parts.append(text)
        return len(text)

    def flush(self) -> None:
        """Nothing to flush: the lines are taken."""

    def take(self) -> str:
        """What was written since the last call, without its last newline."""
        text = "".join(self._parts)
        self._parts.clear()
        return text.rstrip("\n")


@dataclass(frozen=True)
class _Item:
    """One transaction for the writer thread."""

    kind: str | None            # an entry's kind; None: time passing
    line: str | None
    source: str | None
    outcome: str | None
    events: tuple[Event, ...]
    first_event: int            # the index of events[0] in the model's log
    t: float
    final: bool = False
    done: threading.Event | None = None  # set once this item is committed (`sync`)


class JournalWriter:
    """Writes a session's journal at `path` in a thread of its own (see the module docstring).

    A new journal (`resume=None`): `path` must not exist; it is created at once (so a name taken
    meanwhile is refused, and the lock is held from the start) and its header written by the
    writer thread. `header` are the `Recorder`'s keyword arguments (seed, cluster_file, cluster,
    created_by, and the optional ones). `events` is the model's event log, read as it grows.

    Resuming (`resume` = the `JournalState` the session was restored from): `path` is that
    journal, locked again, and the entries go on after its last one; the events logged up to
    `resume.events` are the journal's already.

    Raises `JournalError` (one line) when the file exists (a new journal), cannot be created or
    opened, or is being written by another session. A failure of the writer thread later (a
    full disk) stops the journal and is kept in `error`, never raised at the session."""

    def __init__(self, path: str | Path, *, events: Sequence[Event],
                 header: dict[str, Any] | None = None,
                 resume: JournalState | None = None) -> None:
        self.path = str(path)
        self._events = events
        self.error: str | None = None
        self.closed = False
        self._queue: queue.SimpleQueue[_Item | None] = queue.SimpleQueue()
        self._lines = _Lines()
        self._fd = self._take_file(resume is not None)
        try:
            if resume is None:
                self._recorder = Recorder(self._lines, **(header or {}))
                self._logged = 0
                first_line: str | None = self._lines.take()
            else:
                recording = resume.recording
                self._recorder = Recorder(self._lines, seed=recording.seed,
                                          cluster_file=recording.cluster_file,
                                          cluster=recording.cluster,
                                          created_by=recording.created_by)
                self._lines.take()  # its header line: the journal has its own
                self._logged = len(resume.events)
                first_line = None
        except BaseException:
            self._release(remove=resume is None)
            raise
        self._last_time_commit = 0.0
        self._thread = threading.Thread(
            target=self._run, args=(first_line, resume), name="journal-writer", daemon=True)
        self._thread.start()

    # -- the session's side (cheap: format, queue) ----------------------------------------------

    def command(self, t: float, command: Command, outcome: Outcome | None = None,
                source: str | None = None) -> None:
        """A command heard at `t` simulated seconds (a clock command as a clock line), answered
        `outcome`, given by `source`: one transaction with the events since the last."""
        self._recorder.command(t, command)
        answer = None if outcome is None else (
            "accepted" if outcome.accepted else f"refused: {outcome.reason}")
        kind = "clock" if isinstance(command, CLOCK_COMMANDS) else "command"
        self._put(kind, t, source, answer)

    def mark(self, t: float, label: str) -> None:
        """A mark named `label` at `t` simulated seconds (ValueError for a bad label)."""
        self._recorder.mark(t, label)
        self._put("mark", t)

    def select(self, t: float, selection: str) -> None:
        """The operator's selection (`PANE ROW`) from `t` simulated seconds on."""
        self._recorder.select(t, selection)
        self._put("select", t)

    def time(self, t: float, *, force: bool = False) -> None:
        """Simulated time has reached `t`: commit it with the events since the last commit, at
        most once per `TIME_COMMIT_S` real seconds (`force`: now)."""
        if self.closed:
            return
        now = time.monotonic()
        if not force and now - self._last_time_commit < TIME_COMMIT_S:
            return
        self._last_time_commit = now
        self._queue.put(self._item(None, None, t))

    def sync(self, t: float) -> None:
        """Commit simulated time `t` and everything queued before it, and wait until it is
        committed (or the writer failed: `error`). For tests and benchmarks; a session never
        waits for its journal."""
        if self.closed:
            return
        done = threading.Event()
        item = self._item(None, None, t)
        self._queue.put(_Item(None, None, None, None, item.events, item.first_event, t,
                              done=done))
        while not done.wait(0.05):
            if not self._thread.is_alive():
                return

    def close(self, end: float | None = None, *, clean: bool = True) -> None:
        """Commit what is queued and, when `clean`, the end line at `end` simulated seconds
        (a session that died has none), then release the file. Waits for the writer thread
        (seconds at most: what is queued is small). Safe to call twice."""
        if self.closed:
            return
        if clean and end is not None:
            self._recorder.close(end)
            self._queue.put(self._item("end", self._lines.take() or None, end, final=True))
        else:
            self._queue.put(self._item(None, None, end if end is not None else -1.0,
                                       final=True))
        self.closed = True
        self._thread.join()

    def _put(self, kind: str, t: float, source: str | None = None,
             outcome: str | None = None) -> None:
        line = self._lines.take()
        if self.closed or not line:
            return
        self._queue.put(self._item(kind, line, t, source=source, outcome=outcome))

    def _item(self, kind: str | None, line: str | None, t: float, *, source: str | None = None,
              outcome: str | None = None, final: bool = False) -> _Item:
        first = self._logged
        events = tuple(self._events[first:])
        self._logged += len(events)
        return _Item(kind, line, source, outcome, events, first, t, final)

    # -- the file ---------------------------------------------------------------------------------

    def _take_file(self, existing: bool) -> int:
        try:
            fd = (open_regular(self.path, os.O_RDWR) if existing
                  else os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o644))
        except FileExistsError:
            raise JournalError(f"{self.path}: exists; a journal is never overwritten (resume "
                               f"it with `cluster-console resume {self.path}`, or name "
                               "another)") from None
        except OSError as error:
            raise JournalError(f"{self.path}: cannot write the journal "
                               f"({error.strerror or error})") from None
        if not lock(fd):
            os.close(fd)
            raise JournalError(f"{self.path}: being written by a live session; follow it with "
                               f"`cluster-console follow {self.path}`")
        return fd

    def _release(self, *, remove: bool = False) -> None:
        if remove:
            with contextlib.suppress(OSError):
                os.unlink(self.path)
        with contextlib.suppress(OSError):
            os.close(self._fd)  # the lock goes with it

    # -- the writer thread ------------------------------------------------------------------------

    def _run(self, header: str | None, resume: JournalState | None) -> None:
        connection: sqlite3.Connection | None = None
        try:
            connection = sqlite3.connect(self.path, isolation_level=None,
                                         check_same_thread=False)
            connection.execute("PRAGMA journal_mode = WAL")
            connection.execute("PRAGMA synchronous = NORMAL")
            if header is not None:
                _create(connection, header)
            else:
                _resumed(connection, resume)
            self._drain(connection)
        except (sqlite3.Error, OSError) as error:
            self.error = f"{self.path}: journal stopped: {error}"
            self._discard()
        finally:
            if connection is not None:
                with contextlib.suppress(sqlite3.Error):
                    connection.close()
            self._release()

    def _discard(self) -> None:
        """After a failure: take what is still queued, up to the final item, and drop it
        (what the session goes on sending is dropped too, until it closes the journal)."""
        while True:
            item = self._queue.get()
            if item is not None and item.done is not None:
                item.done.set()  # nothing more will be committed: `sync` stops waiting
            if item is None or item.final:
                return

    def _drain(self, connection: sqlite3.Connection) -> None:
        while True:
            item = self._queue.get()
            batch = [item]
            # Time passing is coalesced: of several time items in a row, one transaction.
            while (item is not None and item.kind is None and not item.final
                   and item.done is None):
                try:
                    following = self._queue.get_nowait()
                except queue.Empty:
                    break
                if (following is None or following.kind is not None or following.final
                        or following.done is not None):
                    batch.append(following)
                    break
                batch[-1] = _merge(batch[-1], following)
                item = following
            for one in batch:
                if one is None:
                    continue
                _commit(connection, one)
                if one.done is not None:
                    one.done.set()
                if one.final:
                    return


def _merge(earlier: _Item, later: _Item) -> _Item:
    """Two time items as one: the later time, the events of both."""
    return _Item(None, None, None, None, earlier.events + later.events, earlier.first_event,
                 later.t)


def _create(connection: sqlite3.Connection, header: str) -> None:
    started = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
    connection.execute("BEGIN IMMEDIATE")
    for statement in _SCHEMA.split(";"):
        if statement.strip():
            connection.execute(statement)
    connection.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    connection.execute(f"PRAGMA user_version = {VERSION}")
    connection.executemany("INSERT INTO meta (key, value) VALUES (?, ?)",
                           [("header", header), ("started", started),
                            ("program", __version__)])
    connection.execute("INSERT INTO progress (id, t, pid, wall) VALUES (0, 0, ?, ?)",
                       (os.getpid(), time.time()))
    connection.execute("COMMIT")


def _resumed(connection: sqlite3.Connection, resume: JournalState | None) -> None:
    if resume is None:
        return
    connection.execute("BEGIN IMMEDIATE")
    next_seq = connection.execute("SELECT COALESCE(MAX(seq), 0) + 1 FROM entries").fetchone()[0]
    connection.execute("INSERT INTO resumes (seq, t, program, wall) VALUES (?, ?, ?, ?)",
                       (next_seq, resume.t, __version__, time.time()))
    connection.execute("UPDATE progress SET pid = ?, wall = ?", (os.getpid(), time.time()))
    connection.execute("COMMIT")


def _commit(connection: sqlite3.Connection, item: _Item) -> None:
    """One transaction: the entry (if any), its events, the progress. Time passing alone (no
    entry, no event: a clock's tick) is one statement, its own transaction: a quarter of the
    work of a tick's commit, which a console at rest makes every second."""
    if item.kind is None and not item.events:
        if item.t >= 0:
            connection.execute(_PROGRESS, (item.t, os.getpid(), time.time()))
        return
    connection.execute("BEGIN IMMEDIATE")
    seq = None
    if item.kind is not None and item.line is not None:
        seq = connection.execute(
            "INSERT INTO entries (kind, line, source, outcome) VALUES (?, ?, ?, ?)",
            (item.kind, item.line, item.source, item.outcome)).lastrowid
    connection.executemany(
        "INSERT INTO events (n, seq, t, kind, subject, severity, message) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        [(item.first_event + i, seq, e.t, e.kind, e.subject, e.severity.value, e.message)
         for i, e in enumerate(item.events)])
    if item.t >= 0:
        connection.execute(_PROGRESS, (item.t, os.getpid(), time.time()))
    connection.execute("COMMIT")


_PROGRESS = "UPDATE progress SET t = MAX(t, ?), pid = ?, wall = ?"

