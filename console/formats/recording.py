"""The recording format: every command of a session with its simulated time, replayable byte
for byte. This module writes (`Recorder`, `record_engine`), reads and validates
(`load_recording`, `parse_recording`) recordings; it plays nothing (headless replay is
`console.replay`, the console's replay player lives in the ui).

A model run is a function of its cluster file, its seed and its timed commands (the README's
"same cluster file, seed and commands give the same output"), so a recording stores exactly
those, and a replay feeds the commands back through `Engine.submit_at`, the same door live
sessions, drills and `simulate --do` use.

Format (version 2; version 1 files are read too)
------------------------------------------------
JSON lines, UTF-8, one object per line. The first line is the header:

    {"format": "cluster-console-recording", "version": 2, "program": "0.1.0", "seed": 0,
     "cluster_file": "seed.toml", "cluster": "<the cluster file's text>",
     "created_by": "simulate"}

`program` is the console's version that wrote it; `cluster_file` is the cluster file's name as it
was given (for messages only: the text itself is embedded, so a replay needs no other file);
`created_by` is `simulate`, `drill` or `console`; a drill's recording adds `"drill": NAME`, a
console session in read-only mode adds `"read_only": true` (its refusals replay too), and a
`--local` session adds `"local_node": NAME`: the machine the console ran on is not in the cluster
file, so the embedded cluster text ends with a `[[nodes]]` table built from that node's fields
(`console.formats.cluster.write.node_table`), and NAME marks it as the local node, the one that
takes `reading` commands. A
cluster driven by CPU traces (`[workloads] traces`) embeds them, `"traces": {"FILE": [PERCENT,
...]}`, so a replay needs no trace folder either. An interactive drill's recording
adds `"drill_file": "<the drill file's text>"` (version 2) so that a replay shows the drill
panel, its expectations scored as they were met; its cluster is the one embedded, whatever the
drill names. Every further line is one of

    {"t": 60.0, "command": "fail-node B"}   a command the model received (keys, drill steps,
                                            `--do`, psutil readings alike), accepted or refused
    {"t": 75.5, "clock": "speed 4"}         a command for the console's clock (speed, pause,
                                            resume); a headless replay skips it
    {"t": 90.0, "mark": "after failover"}   a moment to screenshot (`replay --svg`)
    {"t": 88.5, "select": "vms sql01"}      (version 2) what the presenter had selected from
                                            then on: the focused pane and the row's key
                                            (console.ui.selection); a headless replay skips it
    {"t": 600.0, "end": true}               the end of the session: the last line

Version 2 added the `select` lines and the `drill_file` header field; a version 1 file holds
neither and is read as before. A `select` line is written when the selection changed, at most
once per clock tick (a fast scroll writes where it stopped, not every row it passed) and just
before every mark, so a mark's screenshot shows what was selected when it was made.

Times are seconds of simulated time, never decreasing, written with Python's shortest exact
float representation, so they read back as the very same numbers. A command is its canonical
text (`Command.text`): every name in it follows the one grammar (console.model.names), a word
that needs quotes is quoted as the shell would, and numbers are exact, so it parses back to the
very same command, a refused one too (it replays as the same refusal). The seed is an integer
from 0 to 4294967295 (console.model.seeds); a mark is printable text on one line; no string
holds half a surrogate pair (a JSON escape such as "\\ud83d" alone). A recording cut short (no
`end` line, say after a crash) replays up to its last command. A recording whose `format` or
`version` is unknown, or any line that is not one of the above, is refused with one line naming
the file, the line and what is wrong (exit status 2).

Recording
---------
`Recorder` writes as the session goes (each line flushed), so a crash loses nothing; a file is
put in place atomically once its header is written (see `Recorder`). Attach it
either to an engine (`attach(engine)`: every command the engine receives, from the engine's own
command log) or to a session (`Session.record(recorder)`, which calls `recorder.command(t, cmd)`
for every command it hears: speed, pause and resume become `clock` lines, everything else
`command` lines). Not both.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from console import __version__
from console.formats.cluster import parse_cluster
from console.formats.cluster.write import node_table
from console.formats.output import AtomicOutput
from console.formats.timed import MAX_TIME_S
from console.formats.toml import MAX_NESTING, ConfigError, nesting_depth, read_file
from console.model.cluster import Cluster
from console.model.commands import (
    CLOCK_COMMANDS,
    Command,
    CommandError,
    parse,
)
from console.model.engine import Engine
from console.model.entities import Node
from console.model.events import Event
from console.model.names import (
    display,
    label_problem,
    name_problem,
    printable,
    text_problem,
)
from console.model.seeds import seed_problem

FORMAT = "cluster-console-recording"
VERSION = 2
#: The versions this program reads (version 1 has no `select` lines nor `drill_file`).
READS = (1, 2)
CREATORS = ("simulate", "drill", "console")
_HEADER_KEYS = {"format": str, "version": int, "program": str, "seed": int,
                "cluster_file": str, "cluster": str, "created_by": str}
_OPTIONAL_HEADER_KEYS = {"drill": str, "read_only": bool, "local_node": str, "traces": dict,
                         "drill_file": str}
#: Entry kinds by the version that introduced them.
_ENTRY_KINDS = {"command": 1, "clock": 1, "mark": 1, "select": 2, "end": 1}


# -- writing ----------------------------------------------------------------------------------


class Recorder:
    """Writes a recording line by line; use as a context manager or call `close(end)`.

    `target` is a stream (left open) or a path. A path is written through
    `console.formats.output.AtomicOutput`: the header goes to a temporary file in the same
    folder, which is renamed over the path right after the header is written, and every later
    line is flushed to it as it comes. So a crash mid-session leaves a valid, replayable
    partial recording (no end line), and a start refused before the header (a bad input, a
    full disk) leaves an old file at the path intact. Raises OSError when the temporary file
    cannot be made or written; ValueError for an unknown `created_by`."""

    def __init__(self, target: str | Path | IO[str], *, seed: int, cluster_file: str,
                 cluster: str, created_by: str, drill: str | None = None,
                 read_only: bool = False, local_node: str | None = None,
                 traces: dict[str, tuple[float, ...]] | None = None,
                 drill_file: str | None = None) -> None:
        if created_by not in CREATORS:
            raise ValueError(f"created_by must be one of {', '.join(CREATORS)}")
        problem = seed_problem(seed)
        if problem is not None:
            raise ValueError(f"seed {problem}")
        self._output: AtomicOutput | None = None
        if isinstance(target, (str, Path)):
            self._output = AtomicOutput(target)
            self._stream: IO[str] = self._output.stream
        else:
            self._stream = target
        self._last_t = 0.0
        self._engine: Engine | None = None
        self._seen = 0
        self.closed = False
        # The file's name is for messages only; one from bytes that are not UTF-8 (Python
        # holds those as lone surrogates) is written with U+FFFD in their place.
        cluster_file = "".join("\ufffd" if "\ud800" <= c <= "\udfff" else c
                               for c in cluster_file)
        header: dict[str, Any] = {"format": FORMAT, "version": VERSION, "program": __version__,
                                  "seed": seed, "cluster_file": cluster_file, "cluster": cluster,
                                  "created_by": created_by}
        if drill is not None:
            header["drill"] = drill
        if drill_file is not None:
            header["drill_file"] = drill_file
        if read_only:
            header["read_only"] = True
        if local_node is not None:
            header["local_node"] = local_node
        if traces:
            header["traces"] = {name: [round(v * 100) for v in values]
                                for name, values in traces.items()}
        if self._output is None:
            self._write(header)
            return
        try:
            self._write(header)
            self._output.place()
        except BaseException:
            self._output.discard()
            raise

    # callbacks ---------------------------------------------------------------------------------

    def command(self, t: float, command: Command) -> None:
        """For `Session.record`: a clock command or one the model received, at `t` simulated
        seconds."""
        key = "clock" if isinstance(command, CLOCK_COMMANDS) else "command"
        self._line(t, key, command.text())

    def engine_command(self, t: float, command: Command) -> None:
        """A command the engine received, whatever it is (it is replayed into the engine)."""
        self._line(t, "command", command.text())

    def clock(self, t: float, command: Command) -> None:
        """A command the console's clock handled (not the engine)."""
        self._line(t, "clock", command.text())

    def mark(self, t: float, label: str) -> None:
        """A moment to screenshot at `t` simulated seconds (`replay --svg`), named `label`:
        printable text on one line (console.model.names.label_problem; ValueError
        otherwise)."""
        problem = label_problem(label)
        if problem is not None:
            raise ValueError(f"mark {problem}")
        self._catch_up()
        self._line(t, "mark", label)

    def select(self, t: float, selection: str) -> None:
        """What the presenter has selected from `t` simulated seconds on (`PANE ROW`, see
        console.ui.selection): printable text on one line (ValueError otherwise)."""
        problem = label_problem(selection)
        if problem is not None:
            raise ValueError(f"selection {problem}")
        self._catch_up()
        self._line(t, "select", selection)

    def attach(self, engine: Engine) -> None:
        """Record every command `engine` receives, as it receives it. Attach before the first
        command: a recording must hold all of them to replay the session. Raises ValueError for
        an engine that has received a command or whose clock has moved."""
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
        if self._output is not None:
            self._output.close()
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


def cluster_with_node(text: str, node: Node) -> str:
    """A cluster file's text with `node` appended, as a `--local` session's recording embeds it
    (the header's `local_node` then names it)."""
    return (text.rstrip("\n") + "\n\n# The machine the console ran on (--local), as it was "
            "measured.\n" + node_table(node))


def record_engine(path: str | Path, engine: Engine, *, cluster_file: str, cluster: str,
                  created_by: str, end: float, drill: str | None = None) -> None:
    """Write a finished headless run's recording from its engine's command log."""
    with Recorder(path, seed=engine.seed, cluster_file=cluster_file, cluster=cluster,
                  created_by=created_by, drill=drill,
                  traces=engine.cluster.traces) as recorder:
        for t, command in engine.command_log:
            recorder.engine_command(t, command)
        recorder.close(end)


# -- reading ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    """One recorded line after the header: `kind` command | clock | mark | select at `t`
    simulated seconds; `text` as written, `command` parsed (None for a mark or a selection),
    `line` 1-based in the file."""

    t: float
    kind: str          # command | clock | mark | select
    text: str
    command: Command | None
    line: int


@dataclass
class Recording:
    """A checked recording: its header fields, its entries in file order, and the time of its end
    line (None when it was cut short)."""

    path: str
    program: str
    seed: int
    cluster_file: str
    cluster: str
    created_by: str
    drill: str | None = None
    read_only: bool = False
    local_node: str | None = None
    traces: dict[str, tuple[float, ...]] | None = None
    drill_file: str | None = None
    version: int = VERSION
    entries: list[Entry] = field(default_factory=list)
    end: float | None = None

    @property
    def duration(self) -> float:
        """Where a replay stops: the end line, else the last entry."""
        if self.end is not None:
            return self.end
        return self.entries[-1].t if self.entries else 0.0

    def build_engine(self) -> Engine:
        """A fresh engine on the embedded cluster and seed (read-only as recorded, the local node
        marked). Raises `ConfigError` (an `InputError`) when the embedded cluster is bad, also
        when a VM finds no host."""
        return Engine(self.embedded_cluster(), self.seed, read_only=self.read_only)

    def embedded_cluster(self, *, place: bool = True) -> Cluster:
        """The embedded cluster, the local node marked; without `place`, VMs without a host stay
        without one (the file's checks only: quick on any size). Raises `ConfigError` (an
        `InputError`) naming this recording's first line when it is bad."""
        try:
            cluster = parse_cluster(self.cluster, self.cluster_file, traces=self.traces,
                                    place=place)
        except ConfigError as error:
            raise ConfigError(self.path, 1, "cluster",
                                 f"the embedded cluster file is invalid: {error}") from None
        if self.local_node is not None:
            node = cluster.nodes.get(self.local_node)
            if node is None:
                raise ConfigError(self.path, 1, "local_node",
                                     f"the embedded cluster has no node {self.local_node!r}")
            node.local = True
        return cluster

    def commands(self) -> list[tuple[float, Command]]:
        """What the model received, in order (clock commands and marks left out)."""
        return [(e.t, e.command) for e in self.entries
                if e.kind == "command" and e.command is not None]


def load_recording(path: str | Path) -> Recording:
    """Read and check a recording file (see the module docstring for the format).

    Raises `ConfigError` (an `InputError`: `file:line: key: message`) for a file that cannot be
    read, is not UTF-8, or is not a good recording, including a bad embedded cluster.
    """
    return parse_recording(read_file(path), str(path))


def parse_recording(text: str, filename: str) -> Recording:
    """`load_recording` on a recording's text; `filename` names it in errors. Raises `ConfigError`
    (an `InputError`) for the first bad line, naming its number and key."""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    if not lines:
        raise ConfigError(filename, None, "", "empty file: not a cluster-console recording")
    recording = parse_header(lines[0], filename)
    read_entries(recording, lines[1:], filename, 2)
    recording.embedded_cluster(place=False)  # good, said now; placed once, by whoever builds
    return recording


def parse_header(line: str, filename: str) -> Recording:
    """A recording (no entries yet) from its header line (JSON text, no newline): the first line
    of a file, or a journal's stored header. Raises `ConfigError` (an `InputError`) naming the
    bad field; the embedded cluster is not checked here (`Recording.embedded_cluster`)."""
    header = _object(line, filename, 1, header=True)
    _check_text(header, filename, 1)
    return _header(header, filename)


def read_entries(recording: Recording, lines: list[str], filename: str, first: int) -> None:
    """Check the entry lines `lines` (JSON text, no newline), the first of them line number
    `first` of `filename`, and append them to `recording` (its `entries`; an end line sets
    `end`). Used for a whole file (`parse_recording`) and for lines that come later (a
    journal's followers). Raises `ConfigError` (an `InputError`) for the first bad line, naming
    its number and key; the entries before it stay appended."""
    last = recording.entries[-1].t if recording.entries else 0.0
    for number, raw in enumerate(lines, start=first):
        if recording.end is not None:
            raise ConfigError(filename, number, "", "damaged: a line after the end line")
        item = _object(raw, filename, number)
        _check_text(item, filename, number)
        t = item.get("t")
        if isinstance(t, bool) or not isinstance(t, (int, float)) or not 0 <= t <= MAX_TIME_S:
            raise ConfigError(filename, number, "t", f"must be a time in seconds from 0 to "
                                                     f"{MAX_TIME_S:.0f} (30 days), got {_shown(t)}")
        t = float(t)
        if t < last:
            raise ConfigError(filename, number, "t", f"{t!r} is before the previous line's "
                                                        f"time {last!r}")
        last = t
        known = [k for k, since in _ENTRY_KINDS.items() if since <= recording.version]
        kinds = [k for k in known if k in item]
        unknown = sorted(set(item) - {"t", *known})
        listed = ", ".join(known[:-1]) + f", {known[-1]}"
        if unknown:
            later = (f" (a version {_ENTRY_KINDS[unknown[0]]} line in a version "
                     f"{recording.version} file)" if unknown[0] in _ENTRY_KINDS else "")
            raise ConfigError(filename, number, unknown[0], f"unknown key{later} (a line "
                                                               f"holds t and one of {listed})")
        if len(kinds) != 1:
            raise ConfigError(filename, number, "", "damaged: a line holds t and exactly one "
                                                       f"of {listed}")
        kind = kinds[0]
        value = item[kind]
        if kind == "end":
            if value is not True:
                raise ConfigError(filename, number, "end", "must be true")
            recording.end = t
            continue
        if not isinstance(value, str):
            raise ConfigError(filename, number, kind, f"must be a string, got "
                                                         f"{_shown(value)}")
        command = None
        if kind in ("mark", "select"):
            problem = label_problem(value)
            if problem is not None:
                raise ConfigError(filename, number, kind, problem)
        if kind in ("command", "clock"):
            try:
                command = parse(value)
            except CommandError as error:
                raise ConfigError(filename, number, kind, str(error)) from None
            if kind == "clock" and not isinstance(command, CLOCK_COMMANDS):
                raise ConfigError(filename, number, "clock", f"{command.verb} is not a clock "
                                                                "command (speed, pause, resume)")
        recording.entries.append(Entry(t, kind, value, command, number))


_TOO_DEEP = f"arrays and objects nest more than {MAX_NESTING} levels deep"


def _object(raw: str, filename: str, number: int, header: bool = False) -> dict[str, Any]:
    """Line `number` as a JSON object; a ConfigError for anything else, for nesting deeper
    than `MAX_NESTING` (json recurses: RecursionError at about a thousand levels) and for an
    integer of more digits than Python converts."""
    try:
        item = json.loads(raw)
    except (RecursionError, ValueError) as error:
        if isinstance(error, json.JSONDecodeError):
            raise _not_json(error, filename, number, header) from None
        why = (_TOO_DEEP if isinstance(error, RecursionError)
               else "an integer of more than 4300 digits")
        raise ConfigError(filename, number, "", f"damaged: {why}") from None
    if nesting_depth(item) > MAX_NESTING:
        raise ConfigError(filename, number, "", f"damaged: {_TOO_DEEP}")
    if not isinstance(item, dict):
        if header:
            raise ConfigError(filename, number, "", "not a cluster-console recording (the "
                                                       "first line is not a JSON header)")
        raise ConfigError(filename, number, "", "damaged: not a JSON object")
    return item


def _shown(value: object) -> str:
    """A JSON value for a message: strings as `display` shows them, anything else as JSON with
    its text kept; unprintable characters escaped, at most 60 characters."""
    shown = display(value) if isinstance(value, str) else \
        printable(json.dumps(value, ensure_ascii=False))
    return shown if len(shown) <= 60 else shown[:57] + "..."


def _check_text(item: dict[str, Any], filename: str, number: int) -> None:
    """Every string in a line (keys and values, however deep) is text UTF-8 can hold: a JSON
    escape of half a surrogate pair (`"\\ud83d"`) makes a string no file or terminal can
    take. Raises ConfigError naming the line and the top-level key holding it."""
    for top, value in item.items():
        pending: list[object] = [top, value]
        while pending:
            found = pending.pop()
            if isinstance(found, str):
                problem = text_problem(found)
                if problem is not None:
                    raise ConfigError(filename, number, display(top)[1:-1], problem)
            elif isinstance(found, dict):
                pending += [*found.keys(), *found.values()]
            elif isinstance(found, list):
                pending += found


def _not_json(error: json.JSONDecodeError, filename: str, number: int,
              header: bool) -> ConfigError:
    if header:
        return ConfigError(filename, number, "", "not a cluster-console recording (the first "
                                                 "line is not a JSON header)")
    return ConfigError(filename, number, "", f"damaged: not a JSON object ({error.msg}, "
                                             f"column {error.colno})")


def _header(header: dict[str, Any], filename: str) -> Recording:
    if header.get("format") != FORMAT:
        raise ConfigError(filename, 1, "format", f"not a cluster-console recording "
                                                    f"(format {_shown(header.get('format'))})")
    version = header.get("version")
    if version not in READS or isinstance(version, bool):
        raise ConfigError(filename, 1, "version", f"recording format version "
                                                     f"{_shown(version)} is not supported "
                                                     f"(this program reads versions "
                                                     f"{', '.join(map(str, READS))})")
    if "drill_file" in header and version < 2:
        raise ConfigError(filename, 1, "drill_file", "unknown header field in a version "
                                                      f"{version} file (it came in version 2)")
    for key, kind in _HEADER_KEYS.items():
        if key not in header:
            raise ConfigError(filename, 1, key, "required header field is missing")
        value = header[key]
        if not isinstance(value, kind) or isinstance(value, bool):
            rule = "an integer" if kind is int else "a string"
            raise ConfigError(filename, 1, key, f"must be {rule}, got {_shown(value)}")
    for key in header:
        if key not in _HEADER_KEYS and key not in _OPTIONAL_HEADER_KEYS:
            raise ConfigError(filename, 1, key, "unknown header field")
    if header["created_by"] not in CREATORS:
        raise ConfigError(filename, 1, "created_by", f"must be one of {', '.join(CREATORS)}, "
                                                        f"got {_shown(header['created_by'])}")
    problem = seed_problem(header["seed"])
    if problem is not None:
        raise ConfigError(filename, 1, "seed", problem)
    for key, kind in _OPTIONAL_HEADER_KEYS.items():
        if key in header and not isinstance(header[key], kind):
            rule = {bool: "true or false", dict: "an object"}.get(kind, "a string")
            raise ConfigError(filename, 1, key, f"must be {rule}, got "
                                                   f"{_shown(header[key])}")
    for key in ("drill", "local_node"):
        problem = name_problem(header[key]) if key in header else None
        if problem is not None:
            raise ConfigError(filename, 1, key, problem)
    return Recording(path=filename, program=header["program"], seed=header["seed"],
                     cluster_file=header["cluster_file"], cluster=header["cluster"],
                     created_by=header["created_by"], drill=header.get("drill"),
                     read_only=header.get("read_only", False),
                     local_node=header.get("local_node"),
                     traces=_traces(filename, header.get("traces")),
                     drill_file=header.get("drill_file"), version=version)


def _traces(filename: str, raw: dict[str, Any] | None) -> dict[str, tuple[float, ...]] | None:
    """The embedded CPU traces (percent integers, as in trace files) as fractions."""
    if raw is None:
        return None
    traces = {}
    for name, values in raw.items():
        if not (isinstance(values, list) and values and all(
                isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= 100
                for v in values)):
            raise ConfigError(filename, 1, f"traces.{name}",
                                 "must be a list of CPU percents (integers 0-100)")
        traces[name] = tuple(v / 100.0 for v in values)
    return traces
