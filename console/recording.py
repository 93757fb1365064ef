"""Recordings: every command of a session with its simulated time, replayable byte for byte.

    cluster-console simulate [CLUSTER] ... --record REC.jsonl
    cluster-console [CLUSTER] [--local] --record REC.jsonl      (the console; ends on quit)
    cluster-console drill FILE [--interactive] --record REC.jsonl
    cluster-console replay REC.jsonl --headless [--json]
    cluster-console replay REC.jsonl [--speed X] [--paused]    (in the console)
    cluster-console replay REC.jsonl --cast OUT.cast [--svg DIR] [--speed X] [--size WxH]

A model run is a function of its cluster file, its seed and its timed commands (ARCHITECTURE.md,
"Deterministic"), so a recording stores exactly those, and a replay feeds the commands back
through `Engine.submit_at`, the same door live sessions, drills and `simulate --do` use. A headless
replay prints what `simulate` prints for the same cluster, seed, commands and duration, byte for
byte. In the console (console.ui.replay) the recorded commands enter through the console's one
door, `run_command`, as they fall due: space pauses, `s` steps to the next recorded command, +/-
change the speed, and every other command is refused (the console shows history). `--cast` and
`--svg` play the recording in a headless console and save what it shows (console.ui.cast).

Format (version 1)
------------------
JSON lines, UTF-8, one object per line. The first line is the header:

    {"format": "cluster-console-recording", "version": 1, "program": "0.1.0", "seed": 0,
     "cluster_file": "sample_clusters/seed.toml", "cluster": "<the cluster file's text>",
     "created_by": "simulate"}

`program` is the console's version that wrote it; `cluster_file` is the cluster file's name as it
was given (for messages only: the text itself is embedded, so a replay needs no other file);
`created_by` is `simulate`, `drill` or `console`; a drill's recording adds `"drill": NAME`, a
console session in read-only mode adds `"read_only": true` (its refusals replay too), and a
`--local` session adds `"local_node": NAME`: the machine the console ran on is not in the cluster
file, so the embedded cluster text ends with a `[[nodes]]` table built from that node's fields
(`node_table`), and NAME marks it as the local node, the one that takes `reading` commands. A
cluster driven by CPU traces (`[workloads] traces`) embeds them, `"traces": {"FILE": [PERCENT,
...]}`, so a replay needs no trace folder either. Every further line is one of

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
from console.errors import InputError
from console.model.commands import (
    CLOCK_COMMANDS,
    Command,
    CommandError,
    parse,
)
from console.model.engine import Engine
from console.model.entities import Node
from console.model.events import Event

FORMAT = "cluster-console-recording"
VERSION = 1
CREATORS = ("simulate", "drill", "console")
_HEADER_KEYS = {"format": str, "version": int, "program": str, "seed": int,
                "cluster_file": str, "cluster": str, "created_by": str}
_OPTIONAL_HEADER_KEYS = {"drill": str, "read_only": bool, "local_node": str, "traces": dict}


class RecordingError(ConfigError):
    """What is wrong with a recording, as one line: `file:line: key: message`."""


# -- writing ----------------------------------------------------------------------------------


class Recorder:
    """Writes a recording line by line; use as a context manager or call `close(end)`."""

    def __init__(self, target: str | Path | IO[str], *, seed: int, cluster_file: str,
                 cluster: str, created_by: str, drill: str | None = None,
                 read_only: bool = False, local_node: str | None = None,
                 traces: dict[str, tuple[float, ...]] | None = None) -> None:
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
        if local_node is not None:
            header["local_node"] = local_node
        if traces:
            header["traces"] = {name: [round(v * 100) for v in values]
                                for name, values in traces.items()}
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


#: The Node fields a cluster file can say (config's [[nodes]] keys), in the order written.
_NODE_FIELDS = ("hypervisor", "cpus", "cores_per_cpu", "mhz", "memory_gb", "disks_gb",
                "nics_gbps", "disk_mbps", "boot_s")


def _toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, (tuple, list)):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return json.dumps(str(value), ensure_ascii=False)  # a TOML basic string


def node_table(node: Node) -> str:
    """A `[[nodes]]` table that a cluster file parses back into the same host (`--local`)."""
    lines = ["[[nodes]]", f"name = {_toml_value(node.name)}"]
    lines += [f"{key} = {_toml_value(getattr(node, key))}" for key in _NODE_FIELDS]
    if node.images:
        lines.append(f"images = {_toml_value(sorted(node.images))}")
    return "\n".join(lines) + "\n"


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
    local_node: str | None = None
    traces: dict[str, tuple[float, ...]] | None = None
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
            cluster = parse_cluster(self.cluster, self.cluster_file, traces=self.traces)
        except ConfigError as error:
            raise RecordingError(self.path, 1, "cluster",
                                 f"the embedded cluster file is invalid: {error}") from None
        if self.local_node is not None:
            node = cluster.nodes.get(self.local_node)
            if node is None:
                raise RecordingError(self.path, 1, "local_node",
                                     f"the embedded cluster has no node {self.local_node!r}")
            node.local = True
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
            rule = {bool: "true or false", dict: "an object"}.get(kind, "a string")
            raise RecordingError(filename, 1, key, f"must be {rule}, got "
                                                   f"{json.dumps(header[key])[:60]}")
    return Recording(path=filename, program=header["program"], seed=header["seed"],
                     cluster_file=header["cluster_file"], cluster=header["cluster"],
                     created_by=header["created_by"], drill=header.get("drill"),
                     read_only=header.get("read_only", False),
                     local_node=header.get("local_node"),
                     traces=_traces(filename, header.get("traces")))


def _traces(filename: str, raw: dict[str, Any] | None) -> dict[str, tuple[float, ...]] | None:
    """The embedded CPU traces (percent integers, as in trace files) as fractions."""
    if raw is None:
        return None
    traces = {}
    for name, values in raw.items():
        if not (isinstance(values, list) and values and all(
                isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= 100
                for v in values)):
            raise RecordingError(filename, 1, f"traces.{name}",
                                 "must be a list of CPU percents (integers 0-100)")
        traces[name] = tuple(v / 100.0 for v in values)
    return traces


# -- replaying --------------------------------------------------------------------------------


def replay_headless(recording: Recording) -> Engine:
    """Feed the recorded commands back through `submit_at` and run to the recorded end."""
    engine = recording.build_engine()
    for t, command in recording.commands():
        engine.submit_at(t, command)
    engine.run_until(recording.duration)
    return engine


def replay_main(argv: Sequence[str]) -> int:
    """`cluster-console replay FILE [--headless [--json]] [--cast OUT.cast] [--svg DIR]`."""
    import argparse

    from console.simulation import render_json, render_text

    parser = argparse.ArgumentParser(
        prog="cluster-console replay",
        description="Replay a recording in the console (space pauses, s steps to the next "
                    "recorded command, +/- change the speed). --headless prints the event log "
                    "and summary exactly as `simulate` prints them for the same cluster, seed "
                    "and commands; --cast and --svg replay in a headless console and save what "
                    "it shows.")
    parser.add_argument("--version", action="version", version=f"cluster-console {__version__}")
    parser.add_argument("file", metavar="FILE", help="a recording (JSON lines)")
    parser.add_argument("--headless", action="store_true",
                        help="no console: print the event log and summary")
    parser.add_argument("--json", action="store_true",
                        help="with --headless: one JSON object per event, then the summary")
    parser.add_argument("--cast", metavar="OUT.cast",
                        help="write an asciicast v2 file of the console replaying "
                             "(`asciinema play OUT.cast`)")
    parser.add_argument("--svg", metavar="DIR",
                        help="save SVG screenshots at the recording's marks and at the end")
    parser.add_argument("--speed", type=float, default=None, metavar="X",
                        help="simulated seconds per second: the console's replay (default 1) "
                             "or the cast's (default 10)")
    parser.add_argument("--size", default="120x40", metavar="WxH",
                        help="with --cast/--svg: the console's size (default 120x40)")
    parser.add_argument("--theme", metavar="NAME", help="the console's theme (default dark)")
    parser.add_argument("--paused", action="store_true",
                        help="in the console: start paused (s steps through the commands)")
    args = parser.parse_args(argv)
    if args.json and not args.headless:
        raise InputError("--json goes with --headless")
    if args.speed is not None and not 0 < args.speed <= 3600:
        raise InputError(f"--speed must be above 0 and at most 3600, got {args.speed:g}")
    size = _size(args.size)
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
    if args.cast or args.svg:
        _export(recording, args, size)
        if not args.headless:
            return 0
    if args.headless:
        engine = replay_headless(recording)
        sys.stdout.write(render_json(engine) if args.json else render_text(engine))
        return 0
    from console.ui.launch import run_replay_console

    return run_replay_console(recording, speed=args.speed or 1.0, paused=args.paused,
                              theme=args.theme)


def _size(text: str) -> tuple[int, int]:

    width, _, height = text.lower().partition("x")
    if not (width.isdigit() and height.isdigit()) or int(width) < 20 or int(height) < 5:
        raise InputError(f"--size must be WIDTHxHEIGHT (at least 20x5), e.g. 120x40; "
                         f"got {text!r}")
    return int(width), int(height)


def _export(recording: Recording, args: Any, size: tuple[int, int]) -> None:
    from console.ui.launch import _settings, _writable

    themes, _ = _settings(args.theme)
    theme = args.theme or "dark"
    if args.cast:
        _writable(args.cast, "--cast")
    if args.svg:
        try:
            Path(args.svg).mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise InputError(f"--svg {args.svg}: cannot make the folder: "
                             f"{error.strerror or error}") from None
    from console.ui.cast import CAST_SPEED, export

    speed = args.speed or CAST_SPEED
    result = export(recording, cast=args.cast, svg_dir=args.svg, size=size, speed=speed,
                    theme=theme, themes=themes)
    if args.cast:
        print(f"cluster-console: wrote {args.cast}: {result.frames} frames, "
              f"{result.cast_seconds:g} s (x{speed:g}), {size[0]}x{size[1]}", file=sys.stderr)
    if args.svg:
        print(f"cluster-console: wrote {len(result.screenshots)} screenshots to {args.svg}",
              file=sys.stderr)
