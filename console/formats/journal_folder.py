"""The folder of the journals the console names itself (`console.paths.journals_dir()`): where a
console session's journal goes by default, what the folder holds, and which old journals go.

Names: `YYYY-MM-DDTHHMMSSZ-LABEL-PID.journal`: the session's start in UTC, the cluster file's
name without `.toml` (or the drill's name), and the process id, so that a listing sorted by name
is sorted by start, and two consoles started in the same second never share a file (a name
taken meanwhile gets `-2`, `-3`, ... after the pid).

Pruning (`prune`), when a console session starts its journal in this folder: of the journals
named as above, those beyond the newest `KEEP` (newest by last change: `last_change`) AND
last changed more than `MAX_AGE_DAYS` days ago are deleted, with their `-wal` and `-shm` files,
except one a live session holds (its lock is taken for the deletion, so a `resume` starting
meanwhile is never cut off) and one that is not a readable journal of this program (damaged,
foreign, of a newer format: kept for someone to look at). So the folder keeps at least the
last 50 sessions and everything of the last 30 days. A file of another name (`--journal` may
name one inside this folder) and anything outside the folder is never deleted.
"""

from __future__ import annotations

import contextlib
import datetime
import os
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from console.formats.journal import (
    SUFFIX,
    JournalError,
    JournalWriter,
    is_live,
    lock,
    open_journal,
    open_regular,
    read_journal,
)
from console.model.events import Event
from console.paths import journals_dir

#: Pruning keeps at least this many of the newest journals ...
KEEP = 50
#: ... and every journal changed within this many days.
MAX_AGE_DAYS = 30
#: A journal the console named itself: `2026-11-30T153109Z-seed-4242.journal` (`-2`... when
#: the name was taken).
NAME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{6}Z-[A-Za-z0-9_.-]+-\d+(-\d+)?" + re.escape(SUFFIX))
#: A label keeps at most this many characters.
LABEL_CHARS = 40
#: How many names `create_default` tries before giving up (a folder full of the same second).
ATTEMPTS = 100


def journal_name(label: str, *, started: datetime.datetime | None = None,
                 pid: int | None = None, attempt: int = 1) -> str:
    """The file name of a journal started at `started` (UTC; default now) by process `pid`
    (default this one) on `label` (a cluster's or drill's name: characters other than letters,
    digits, `_`, `.` and `-` become `_`; at most `LABEL_CHARS`); `attempt` 2 and on add
    `-ATTEMPT` (the name was taken)."""
    started = started or datetime.datetime.now(datetime.timezone.utc)
    stamp = started.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H%M%SZ")
    clean = re.sub(r"[^A-Za-z0-9_.-]", "_", label)[:LABEL_CHARS].strip(".") or "session"
    again = f"-{attempt}" if attempt > 1 else ""
    return f"{stamp}-{clean}-{os.getpid() if pid is None else pid}{again}{SUFFIX}"


def create_default(label: str, *, events: Sequence[Event], header: dict[str, Any],
                   folder: Path | None = None) -> JournalWriter:
    """A new journal (`JournalWriter`) in `folder` (default `journals_dir()`, made if missing)
    named by `journal_name`. Raises `JournalError` (one line) when the folder cannot be made or
    no journal can be created in it."""
    folder = journals_dir() if folder is None else folder
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise JournalError(f"{folder}: cannot make the journal folder "
                           f"({error.strerror or error})") from None
    started = datetime.datetime.now(datetime.timezone.utc)
    for attempt in range(1, ATTEMPTS + 1):
        path = folder / journal_name(label, started=started, attempt=attempt)
        if os.path.lexists(path):
            continue
        try:
            return JournalWriter(path, events=events, header=header)
        except JournalError:
            if not os.path.lexists(path):
                raise  # not a name taken meanwhile: the folder refuses
    raise JournalError(f"{folder}: no free journal name for {label!r} after {ATTEMPTS} tries")


@dataclass(frozen=True)
class JournalSummary:
    """One journal as `journal --list` shows it: its `path`, when it `started` (ISO 8601 UTC;
    empty when unreadable), its `label` (the drill's name, else the cluster file's name), the
    simulated seconds `t` it reached, how many `commands` it holds, and its `state`: `live` (a
    session writes it now), `ended` (closed cleanly), `cut short` (its session died: resume
    it) or `bad` (`problem` says why, in one line)."""

    path: Path
    started: str
    label: str
    t: float
    commands: int
    state: str
    problem: str | None = None


def summarize(path: Path) -> JournalSummary:
    """The `JournalSummary` of the journal at `path`, read with `read_journal` (which writes
    nothing); a journal that cannot be read is a summary with state `bad`, never an error."""
    try:
        state = read_journal(path)
    except JournalError as error:
        if is_live(path):  # a session is starting it (its schema not written yet)
            return JournalSummary(path, "", "", 0.0, 0, "live")
        return JournalSummary(path, "", "", 0.0, 0, "bad", str(error))
    recording = state.recording
    label = recording.drill or Path(recording.cluster_file).stem
    commands = sum(1 for entry in recording.entries if entry.kind == "command")
    kind = "live" if state.live else "ended" if state.ended else "cut short"
    return JournalSummary(path, state.started, label, state.t, commands, kind)


def journal_files(folder: Path | None = None) -> list[Path]:
    """The `*.journal` regular files in `folder` (default `journals_dir()`), newest first (by
    `last_change`, then by name); none when the folder is missing."""
    folder = journals_dir() if folder is None else folder
    found: list[tuple[float, str, Path]] = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return []
    for entry in entries:
        if not entry.name.endswith(SUFFIX):
            continue
        with contextlib.suppress(OSError):
            if entry.is_file(follow_symlinks=False):
                found.append((last_change(Path(entry.path)), entry.name, Path(entry.path)))
    found.sort(reverse=True)
    return [path for _, _, path in found]


def last_change(path: Path) -> float:
    """When the journal at `path` was last written (Unix time): its file's or, newer while its
    session runs or after it died, its WAL's mtime. Raises OSError when `path` is missing."""
    changed = path.stat().st_mtime
    with contextlib.suppress(OSError):
        changed = max(changed, os.stat(f"{path}-wal").st_mtime)
    return changed


def list_journals(folder: Path | None = None) -> list[JournalSummary]:
    """A `JournalSummary` of each journal in `folder` (default `journals_dir()`), newest first
    (`journal_files`)."""
    return [summarize(path) for path in journal_files(folder)]


def prune(folder: Path | None = None, *, keep: int = KEEP, max_age_days: float = MAX_AGE_DAYS,
          now: float | None = None) -> list[Path]:
    """Delete the old journals of `folder` (default `journals_dir()`) by the rule of the
    module's docstring; `now` is the Unix time to measure ages from (default now). Returns the
    journals deleted. Never raises for a file it cannot read or delete: it is kept."""
    folder = journals_dir() if folder is None else folder
    oldest = (time.time() if now is None else now) - max_age_days * 86400.0
    ours = [path for path in journal_files(folder) if NAME.fullmatch(path.name)]
    deleted = []
    for path in ours[keep:]:
        with contextlib.suppress(OSError):
            if last_change(path) >= oldest:
                continue
            if _delete_unless_live(path):
                deleted.append(path)
    return deleted


def _delete_unless_live(path: Path) -> bool:
    """Delete the journal at `path` and its side files, holding its writer's lock meanwhile;
    False (nothing deleted) when a session holds it or it is not a good journal."""
    try:
        open_journal(path).close()
        fd = open_regular(path)
    except (JournalError, OSError):
        return False
    try:
        if not lock(fd):  # a session writes it (released with fd)
            return False
        for side in ("-wal", "-shm"):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(f"{path}{side}")
        os.unlink(path)
        return True
    finally:
        os.close(fd)
