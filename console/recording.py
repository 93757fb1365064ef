"""Recordings: every command of a session with its simulated time, replayable byte for byte.

    cluster-console simulate [CLUSTER] ... --record REC.jsonl
    cluster-console drill FILE --record REC.jsonl
    cluster-console replay REC.jsonl --headless [--json]

A model run is a function of its cluster file, its seed and its timed commands (ARCHITECTURE.md,
"Deterministic"), so a recording stores exactly those, and a replay feeds the commands back
through `Engine.submit_at`, the same door live sessions, drills and `simulate --do` use. A headless
replay prints what `simulate` prints for the same cluster, seed, commands and duration, byte for
byte.

Format (version 1)
------------------
JSON lines, UTF-8, one object per line. The first line is the header:

    {"format": "cluster-console-recording", "version": 1, "program": "0.1.0", "seed": 0,
     "cluster_file": "sample_clusters/seed.toml", "cluster": "<the cluster file's text>",
     "created_by": "simulate"}

`program` is the console's version that wrote it; `cluster_file` is the cluster file's name as it
was given (for messages only: the text itself is embedded, so a replay needs no other file);
`created_by` is `simulate`, `drill` or `console`; a drill's recording adds `"drill": NAME`, and a
console session in read-only mode adds `"read_only": true` (its refusals replay too). Every
further line is one of

    {"t": 60.0, "command": "fail-node B"}   a command the model received (keys, drill steps,
                                            `--do`, psutil readings alike), accepted or refused
    {"t": 75.5, "clock": "speed 4"}         a command for the console's clock (speed, pause,
                                            resume); a headless replay skips it
    {"t": 90.0, "mark": "after failover"}   a moment to screenshot (`replay --svg`)
    {"t": 600.0, "end": true}               the end of the session: the last line

Times are seconds of simulated time, never decreasing, written with Python's shortest exact
float representation, so they read back as the very same numbers. A recording cut short (no
`end` line, say after a crash) replays up to its last command. A recording whose `format` or
`version` is unknown, or any line that is not one of the above, is refused with one line naming
the file, the line and what is wrong (exit status 2).

Recording
---------
`Recorder` writes as the session goes (each line flushed), so a crash loses nothing. Attach it
either to an engine (`attach(engine)`: every command the engine receives, from the engine's own
command log) or, in the console, to the app's `command_listeners` (`recorder.command(t, cmd)`:
speed, pause and resume become `clock` lines, everything else `command` lines). Not both.
"""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from console import __version__
from console.config import ConfigError, parse_cluster
from console.model.commands import (
    Command,
    CommandError,
    Pause,
    Resume,
    Speed,
    parse,
)
from console.model.engine import Engine
from console.model.events import Event

FORMAT = "cluster-console-recording"
VERSION = 1
CLOCK_COMMANDS = (Speed, Pause, Resume)
CREATORS = ("simulate", "drill", "console")
_HEADER_KEYS = {"format": str, "version": int, "program": str, "seed": int,
                "cluster_file": str, "cluster": str, "created_by": str}
_OPTIONAL_HEADER_KEYS = {"drill": str, "read_only": bool}


class RecordingError(ConfigError):
    """What is wrong with a recording, as one line: `file:line: key: message`."""


# -- writing ----------------------------------------------------------------------------------


class Recorder:
    """Writes a recording line by line; use as a context manager or call `close(end)`."""

    def __init__(self, target: str | Path | IO[str], *, seed: int, cluster_file: str,
                 cluster: str, created_by: str, drill: str | None = None,
                 read_only: bool = False) -> None:
        if created_by not in CREATORS:
            raise ValueError(f"created_by must be one of {', '.join(CREATORS)}")
        if isinstance(target, (str, Path)):
            self._stream: IO[str] = open(target, "w", encoding="utf-8")  # noqa: SIM115
            self._owned = True
        else:
            self._stream, self._owned = target, False
        self._last_t = 0.0
        self._engine: Engine | None = None
        self._seen = 0
        self.closed = False
        header: dict[str, Any] = {"format": FORMAT, "version": VERSION, "program": __version__,
                                  "seed": seed, "cluster_file": cluster_file, "cluster": cluster,
                                  "created_by": created_by}
        if drill is not None:
            header["drill"] = drill
        if read_only:
            header["read_only"] = True
        self._write(header)

    # callbacks ---------------------------------------------------------------------------------

    def command(self, t: float, command: Command) -> None:
        """For `app.command_listeners`: a clock command or one the model received."""
        key = "clock" if isinstance(command, CLOCK_COMMANDS) else "command"
        self._line(t, key, command.text())

    def engine_command(self, t: float, command: Command) -> None:
        """A command the engine received, whatever it is (it is replayed into the engine)."""
        self._line(t, "command", command.text())

    def clock(self, t: float, command: Command) -> None:
        """A command the console's clock handled (not the engine)."""
        self._line(t, "clock", command.text())

    def mark(self, t: float, label: str) -> None:
        self._catch_up()
        self._line(t, "mark", label)

    def attach(self, engine: Engine) -> None:
        """Record every command `engine` receives, as it receives it. Attach before the first
        command: a recording must hold all of them to replay the session."""
        if engine.command_log or engine.now > 0:
            raise ValueError("attach the recorder to a fresh engine, before its first command")
        self._engine = engine
        self._seen = 0
        engine.log.subscribe(self._on_event)

    def _on_event(self, event: Event) -> None:
        if event.kind in ("command", "refused"):
            self._catch_up()

    def _catch_up(self) -> None:
        engine = self._engine
        if engine is None:
            return
        log = engine.command_log
        while self._seen < len(log):
            t, command = log[self._seen]
            self._seen += 1
            self.engine_command(t, command)

    def close(self, end: float | None = None, *, clean: bool = True) -> None:
        """Write the end line (at `end`, default the engine's clock) and close. A session that
        ended abnormally closes with `clean=False`: no end line, as after a crash."""
        if self.closed:
            return
        self._catch_up()
        if end is None and self._engine is not None:
            end = self._engine.now
        if end is not None and clean:
            self._write({"t": self._time(end), "end": True})
        if self._engine is not None:
            self._engine.log.unsubscribe(self._on_event)
            self._engine = None
        self.closed = True
        if self._owned:
            self._stream.close()
        else:
            self._stream.flush()

    def __enter__(self) -> Recorder:
        return self

    def __exit__(self, exc_type: object, *exc: object) -> None:
        self.close(clean=exc_type is None)

    # lines -------------------------------------------------------------------------------------

    def _time(self, t: float) -> float:
        t = float(t)
        if not math.isfinite(t) or t < self._last_t:
            raise ValueError(f"recording time {t!r} is before {self._last_t!r}")
        self._last_t = t
        return t

    def _line(self, t: float, key: str, value: str) -> None:
        if self.closed:
            raise ValueError("the recording is closed")
        self._write({"t": self._time(t), key: value})

    def _write(self, data: dict[str, Any]) -> None:
        self._stream.write(json.dumps(data, ensure_ascii=False) + "\n")
        self._stream.flush()


def record_engine(path: str | Path, engine: Engine, *, cluster_file: str, cluster: str,
                  created_by: str, end: float, drill: str | None = None) -> None:
    """Write a finished headless run's recording from its engine's command log."""
    with Recorder(path, seed=engine.seed, cluster_file=cluster_file, cluster=cluster,
                  created_by=created_by, drill=drill) as recorder:
        for t, command in engine.command_log:
            recorder.engine_command(t, command)
        recorder.close(end)


# -- reading ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    t: float
    kind: str          # command | clock | mark
    text: str
    command: Command | None
    line: int


@dataclass
class Recording:
    path: str
    program: str
    seed: int
    cluster_file: str
    cluster: str
    created_by: str
    drill: str | None = None
    read_only: bool = False
    entries: list[Entry] = field(default_factory=list)
    end: float | None = None

    @property
    def duration(self) -> float:
        """Where a replay stops: the end line, else the last entry."""
        if self.end is not None:
            return self.end
        return self.entries[-1].t if self.entries else 0.0

    def build_engine(self) -> Engine:
        try:
            cluster = parse_cluster(self.cluster, self.cluster_file)
        except ConfigError as error:
            raise RecordingError(self.path, 1, "cluster",
                                 f"the embedded cluster file is invalid: {error}") from None
        return Engine(cluster, self.seed, read_only=self.read_only)

    def commands(self) -> list[tuple[float, Command]]:
        """What the model received, in order (clock commands and marks left out)."""
        return [(e.t, e.command) for e in self.entries
                if e.kind == "command" and e.command is not None]


def load_recording(path: str | Path) -> Recording:
    filename = str(path)
    try:
        data = Path(path).read_bytes()
    except OSError as error:
        raise RecordingError(filename, None, "", f"cannot read: {error.strerror or error}") \
            from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise RecordingError(filename, line, "", "damaged: not UTF-8 text") from None
    return parse_recording(text, filename)


def parse_recording(text: str, filename: str) -> Recording:
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    if not lines:
        raise RecordingError(filename, None, "", "empty file: not a cluster-console recording")
    header = _object(lines[0], filename, 1, header=True)
    recording = _header(header, filename)
    last = 0.0
    for number, raw in enumerate(lines[1:], start=2):
        if recording.end is not None:
            raise RecordingError(filename, number, "", "damaged: a line after the end line")
        item = _object(raw, filename, number)
        t = item.get("t")
        if isinstance(t, bool) or not isinstance(t, (int, float)) or not math.isfinite(t) \
                or t < 0:
            raise RecordingError(filename, number, "t", f"must be a time in seconds >= 0, "
                                                        f"got {json.dumps(t)}")
        t = float(t)
        if t < last:
            raise RecordingError(filename, number, "t", f"{t!r} is before the previous line's "
                                                        f"time {last!r}")
        last = t
        kinds = [k for k in ("command", "clock", "mark", "end") if k in item]
        unknown = sorted(set(item) - {"t", "command", "clock", "mark", "end"})
        if unknown:
            raise RecordingError(filename, number, unknown[0], "unknown key (a line holds t and "
                                                               "one of command, clock, mark, end)")
        if len(kinds) != 1:
            raise RecordingError(filename, number, "", "damaged: a line holds t and exactly one "
                                                       "of command, clock, mark, end")
        kind = kinds[0]
        value = item[kind]
        if kind == "end":
            if value is not True:
                raise RecordingError(filename, number, "end", "must be true")
            recording.end = t
            continue
        if not isinstance(value, str):
            raise RecordingError(filename, number, kind, f"must be a string, got "
                                                         f"{json.dumps(value)}")
        command = None
        if kind in ("command", "clock"):
            try:
                command = parse(value)
            except CommandError as error:
                raise RecordingError(filename, number, kind, str(error)) from None
            if kind == "clock" and not isinstance(command, CLOCK_COMMANDS):
                raise RecordingError(filename, number, "clock", f"{command.verb} is not a clock "
                                                                "command (speed, pause, resume)")
        recording.entries.append(Entry(t, kind, value, command, number))
    recording.build_engine()  # the embedded cluster must be good: say so now, not mid-replay
    return recording


def _object(raw: str, filename: str, number: int, header: bool = False) -> dict[str, Any]:
    try:
        item = json.loads(raw)
    except json.JSONDecodeError as error:
        if header:
            raise RecordingError(filename, number, "", "not a cluster-console recording (the "
                                                       "first line is not a JSON header)") \
                from None
        raise RecordingError(filename, number, "", f"damaged: not a JSON object ({error.msg}, "
                                                   f"column {error.colno})") from None
    if not isinstance(item, dict):
        if header:
            raise RecordingError(filename, number, "", "not a cluster-console recording (the "
                                                       "first line is not a JSON header)")
        raise RecordingError(filename, number, "", "damaged: not a JSON object")
    return item


def _header(header: dict[str, Any], filename: str) -> Recording:
    if header.get("format") != FORMAT:
        raise RecordingError(filename, 1, "format", f"not a cluster-console recording "
                                                    f"(format {json.dumps(header.get('format'))})")
    version = header.get("version")
    if version != VERSION or isinstance(version, bool):
        raise RecordingError(filename, 1, "version", f"recording format version "
                                                     f"{json.dumps(version)} is not supported "
                                                     f"(this program reads version {VERSION})")
    for key, kind in _HEADER_KEYS.items():
        if key not in header:
            raise RecordingError(filename, 1, key, "required header field is missing")
        value = header[key]
        if not isinstance(value, kind) or isinstance(value, bool):
            rule = "an integer" if kind is int else "a string"
            raise RecordingError(filename, 1, key, f"must be {rule}, got {json.dumps(value)}")
    for key in header:
        if key not in _HEADER_KEYS and key not in _OPTIONAL_HEADER_KEYS:
            raise RecordingError(filename, 1, key, "unknown header field")
    if header["created_by"] not in CREATORS:
        raise RecordingError(filename, 1, "created_by", f"must be one of {', '.join(CREATORS)}, "
                                                        f"got {json.dumps(header['created_by'])}")
    if header["seed"] < 0:
        raise RecordingError(filename, 1, "seed", f"must be >= 0, got {header['seed']}")
    for key, kind in _OPTIONAL_HEADER_KEYS.items():
        if key in header and not isinstance(header[key], kind):
            rule = "true or false" if kind is bool else "a string"
            raise RecordingError(filename, 1, key, f"must be {rule}, got "
                                                   f"{json.dumps(header[key])}")
    return Recording(path=filename, program=header["program"], seed=header["seed"],
                     cluster_file=header["cluster_file"], cluster=header["cluster"],
                     created_by=header["created_by"], drill=header.get("drill"),
                     read_only=header.get("read_only", False))


# -- replaying --------------------------------------------------------------------------------


def replay_headless(recording: Recording) -> Engine:
    """Feed the recorded commands back through `submit_at` and run to the recorded end."""
    engine = recording.build_engine()
    for t, command in recording.commands():
        engine.submit_at(t, command)
    engine.run_until(recording.duration)
    return engine


def replay_main(argv: Sequence[str]) -> int:
    """`cluster-console replay FILE --headless [--json]`."""
    import argparse

    from console.cli import InputError
    from console.simulation import render_json, render_text

    parser = argparse.ArgumentParser(
        prog="cluster-console replay",
        description="Replay a recording. --headless prints the event log and summary exactly "
                    "as `simulate` prints them for the same cluster, seed and commands.")
    parser.add_argument("--version", action="version", version=f"cluster-console {__version__}")
    parser.add_argument("file", metavar="FILE", help="a recording (JSON lines)")
    parser.add_argument("--headless", action="store_true",
                        help="no console: print the event log and summary")
    parser.add_argument("--json", action="store_true",
                        help="with --headless: one JSON object per event, then the summary")
    args = parser.parse_args(argv)
    if not args.headless:
        raise InputError("replay in the console is not available yet; use --headless")
    try:
        recording = load_recording(args.file)
    except RecordingError as error:
        raise InputError(str(error)) from None
    if recording.program != __version__:
        print(f"cluster-console: note: {args.file} was recorded by version {recording.program}, "
              f"this is {__version__}; the log may differ", file=sys.stderr)
    if recording.end is None:
        print(f"cluster-console: note: {args.file} has no end line; replaying to its last "
              f"line at {recording.duration:g} s", file=sys.stderr)
    engine = replay_headless(recording)
    sys.stdout.write(render_json(engine) if args.json else render_text(engine))
    return 0
