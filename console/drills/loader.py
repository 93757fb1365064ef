"""Drill files: TOML in, a checked `Drill` out, or one line naming file, line and key.

Errors follow the cluster files' rule through the toolkit both share (`console.formats.toml`): the
first problem in file order is a `ConfigError` whose `str()` is `file:line: key: message`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from console.config import SECTIONS as CLUSTER_SECTIONS
from console.config import parse_cluster
from console.drills.expect import (
    Anchor,
    Compare,
    Expectation,
    ExpectationError,
    Window,
    parse,
)
from console.formats.toml import (
    ConfigError,
    Key,
    Problem,
    at,
    bare,
    entries,
    identifier,
    integer,
    listing,
    located,
    non_negative,
    parse_toml,
    positive,
    read_file,
    read_table,
    show,
    string,
    table_header,
)
from console.model.cluster import Cluster
from console.model.commands import (
    CLOCK_COMMANDS,
    Command,
    CommandError,
    Deploy,
    FailNode,
    Failover,
    Isolate,
    PowerOff,
)
from console.model.commands import parse as parse_command
from console.model.events import EVENT_KINDS

DRILL_SECTIONS = ("drill", "steps", "expect")
#: Commands the console's clock handles; a headless run skips them (see console.recording).
#: Steps that open an incident, whose recovery time the report gives.
INCIDENT_COMMANDS = (FailNode, PowerOff, Isolate, Failover)

_DRILL_KEYS = {
    "name": Key(identifier, required=True),
    "description": Key(string),
    "cluster": Key(string),
    "seed": Key(integer(0)),
    "duration_s": Key(positive, required=True),
}
_STEP_KEYS = {
    "at": Key(non_negative, required=True),
    "do": Key(string, required=True),
    "name": Key(identifier),
}
_EXPECT_KEYS = {"that": Key(string, required=True), "name": Key(string)}


@dataclass
class Step:
    index: int          # 0-based, in file order (which is time order)
    at: float
    command: Command
    name: str | None = None

    @property
    def number(self) -> int:
        return self.index + 1

    @property
    def clock(self) -> bool:
        return isinstance(self.command, CLOCK_COMMANDS)

    @property
    def incident(self) -> bool:
        return isinstance(self.command, INCIDENT_COMMANDS)


@dataclass(frozen=True)
class Span:
    """A window resolved against the drill: times in seconds, steps 0-based.

    An observation (t, steps submitted so far) is inside when it is at or after the start (the
    start time, or just after the start step was submitted) and at or before the end (the end
    time, or just before the end step is submitted). Instants are one moment: `point` T (after
    everything at T), `step` K (just after step K), `start` or `end`.
    """

    mode: str  # instant | eventually | always
    start_time: float | None = None
    start_step: int | None = None
    end_time: float | None = None
    end_step: int | None = None
    instant: tuple[str, float] | None = None  # ("point", T) | ("step", K) | ("start"|"end", t)
    origin: float = 0.0          # the start anchor's time, for "N s after ..."
    origin_text: str = "start"

    def contains(self, t: float, steps_done: int) -> bool:
        if self.start_step is not None and steps_done <= self.start_step:
            return False
        if self.start_time is not None and t < self.start_time - 1e-9:
            return False
        if self.end_step is not None and steps_done > self.end_step:
            return False
        return not (self.end_time is not None and t > self.end_time + 1e-9)

    def times(self) -> list[float]:
        """Times at which the runner must look, whatever else happens then."""
        found = [t for t in (self.start_time, self.end_time) if t is not None]
        if self.instant is not None and self.instant[0] == "point":
            found.append(self.instant[1])
        return found


@dataclass
class DrillExpectation:
    index: int
    expectation: Expectation
    span: Span
    name: str = ""

    @property
    def number(self) -> int:
        return self.index + 1

    @property
    def text(self) -> str:
        return self.expectation.text


@dataclass
class Drill:
    path: str
    name: str
    description: str
    seed: int
    duration: float
    steps: list[Step]
    expectations: list[DrillExpectation]
    cluster_file: str            # the cluster file as the drill names it, or the drill itself
    cluster_text: str            # text to parse (an embedded cluster: the drill, other lines
                                 # blanked, so error lines match the drill file)
    recorded_cluster_text: str   # the cluster file alone, as a recording embeds it
    cluster_name: str = ""
    embedded: bool = False

    def build_cluster(self) -> Cluster:
        """A fresh cluster for one run (runs change their cluster)."""
        return parse_cluster(self.cluster_text, self.cluster_file)


# -- loading ----------------------------------------------------------------------------------


def load_drill(path: str | Path) -> Drill:
    return parse_drill(read_file(path), str(path))


def parse_drill(text: str, filename: str) -> Drill:
    document = parse_toml(text, filename)
    with located(text, filename):
        return _parse(document, text, filename)


def _parse(document: dict[str, Any], text: str, filename: str) -> Drill:
    for section in document:
        if section not in DRILL_SECTIONS and section not in CLUSTER_SECTIONS:
            raise Problem(bare(section),
                          f"unknown section (drill: {', '.join(DRILL_SECTIONS)}; an embedded "
                          f"cluster: {', '.join(CLUSTER_SECTIONS)})")
    if "drill" not in document:
        raise Problem("drill", "required section [drill] is missing")
    with at("drill"):
        head = read_table(document["drill"], _DRILL_KEYS)
    embedded = [s for s in document if s in CLUSTER_SECTIONS]
    cluster_file, cluster_text, recorded, cluster = _cluster(head, embedded, document, text,
                                                             filename)
    duration = head["duration_s"]
    steps = _steps(document.get("steps", []), duration, cluster)
    expectations = _expectations(document.get("expect"), steps, duration, cluster)
    return Drill(path=filename, name=head["name"], description=head.get("description", ""),
                 seed=head.get("seed", 0), duration=duration, steps=steps,
                 expectations=expectations, cluster_file=cluster_file, cluster_text=cluster_text,
                 recorded_cluster_text=recorded, cluster_name=cluster.name,
                 embedded=bool(embedded))


def _cluster(head: dict[str, Any], embedded: list[str], document: dict[str, Any], text: str,
             filename: str) -> tuple[str, str, str, Cluster]:
    """(cluster file name, text to parse, text to record, the cluster)."""
    if "cluster" in head:
        if embedded:
            raise Problem("drill.cluster", "names a cluster file, but the drill also embeds "
                                           f"[{embedded[0]}]; use one or the other")
        relative = head["cluster"]
        path = os.path.normpath(os.path.join(os.path.dirname(filename), relative))
        try:
            cluster_text = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            why = getattr(error, "strerror", None) or str(error)
            raise Problem("drill.cluster", f"cannot read {show(relative)} ({path}): "
                                           f"{why}") from None
        return path, cluster_text, cluster_text, parse_cluster(cluster_text, path)
    if not embedded:
        raise Problem("drill.cluster", "required: a cluster file (relative to this drill), "
                                       "unless the drill embeds [cluster] and [[nodes]]")
    blanked, alone = _split(text)
    wanted = {k: v for k, v in document.items() if k not in DRILL_SECTIONS}
    for candidate in (blanked, alone):
        try:
            same = parse_toml(candidate, filename) == wanted
        except ConfigError:
            same = False
        if not same:
            raise Problem("drill", "cannot separate the embedded cluster from the drill's own "
                                   "sections (a multi-line string that looks like a table "
                                   "header?); put the cluster in its own file")
    return filename, blanked, alone, parse_cluster(blanked, filename)


def _split(text: str) -> tuple[str, str]:
    """The cluster part of a drill file: with drill lines blanked (same line numbers), and
    alone (what a recording embeds)."""
    blanked: list[str] = []
    alone: list[str] = []
    top = ""
    for line in text.splitlines():
        header = table_header(line)
        if header is not None:
            top = header[1].split(".")[0]
        if top in DRILL_SECTIONS:
            blanked.append("")
        else:
            blanked.append(line)
            alone.append(line)
    return "\n".join(blanked) + "\n", "\n".join(alone).strip("\n") + "\n"


def _steps(raw: Any, duration: float, cluster: Cluster) -> list[Step]:
    with at("steps"):
        entries(raw, "steps")
    steps: list[Step] = []
    names: set[str] = set()
    deployed: set[str] = set()
    for i, entry in enumerate(raw):
        with at(f"steps[{i}]"):
            values = read_table(entry, _STEP_KEYS)
            when = values["at"]
            if when > duration:
                raise Problem(".at", f"{when:g} s is after the end of the drill "
                                     f"(duration_s = {duration:g})")
            if steps and when < steps[-1].at:
                raise Problem(".at", f"{when:g} s is before step {i}'s time "
                                     f"({steps[-1].at:g} s); list steps in time order")
            try:
                command = parse_command(values["do"])
            except CommandError as error:
                raise Problem(".do", str(error)) from None
            with at(".do"):
                _check_names(command, cluster, deployed)
            name = values.get("name")
            if name is not None:
                if name.isdigit():
                    raise Problem(".name", "must not be a number (expectations say 'step 2' "
                                           "for the second step)")
                if name in names:
                    raise Problem(".name", f"duplicate step name {show(name)}")
                names.add(name)
            steps.append(Step(i, when, command, name))
    return steps


def _check_names(command: Command, cluster: Cluster, deployed: set[str]) -> None:
    for param in command.params:
        value = getattr(command, param.name)
        if not isinstance(value, str):
            continue
        if param.kind in ("node", "keyword-node") and value not in cluster.nodes:
            raise Problem("", f"{command.verb}: unknown node {show(value)} "
                              f"(nodes: {listing(list(cluster.nodes))})")
        if param.kind == "vm" and value not in cluster.vms and value not in deployed:
            raise Problem("", f"{command.verb}: unknown VM {show(value)}")
        if param.kind == "service" and value not in cluster.services:
            raise Problem("", f"{command.verb}: unknown service {show(value)} "
                              f"(services: {', '.join(cluster.services) or 'none'})")
        if param.kind == "target" and value not in cluster.vms and value not in cluster.nodes:
            raise Problem("", f"{command.verb}: {show(value)} is neither a VM nor a node")
        if param.kind == "name":
            deployed.add(value)


def _expectations(raw: Any, steps: list[Step], duration: float,
                  cluster: Cluster) -> list[DrillExpectation]:
    if raw is None:
        raise Problem("expect", "at least one [[expect]] entry is required (a drill without "
                                "expectations would always pass)")
    with at("expect"):
        entries(raw, "expect", non_empty=True)
    deployed = {getattr(s.command, "vm", "") for s in steps if isinstance(s.command, Deploy)}
    found = []
    for i, entry in enumerate(raw):
        with at(f"expect[{i}]"):
            values = read_table(entry, _EXPECT_KEYS)
            with at(".that"):
                try:
                    expectation = parse(values["that"])
                    _check_refs(expectation, cluster, deployed)
                    span = resolve(expectation, steps, duration)
                except ExpectationError as error:
                    raise Problem("", str(error)) from None
            found.append(DrillExpectation(i, expectation, span, values.get("name", "")))
    return found


def _check_refs(expectation: Expectation, cluster: Cluster, deployed: set[str]) -> None:
    everything = {*cluster.nodes, *cluster.vms, *cluster.services, *deployed, "cluster"}
    for space, name in expectation.check.names():
        if space == "node" and name not in cluster.nodes:
            raise ExpectationError(f"unknown node {show(name)} "
                                   f"(nodes: {listing(list(cluster.nodes))})")
        if space == "vm" and name not in cluster.vms and name not in deployed:
            raise ExpectationError(f"unknown VM {show(name)}")
        if space == "service" and name not in cluster.services:
            raise ExpectationError(f"unknown service {show(name)} "
                                   f"(services: {', '.join(cluster.services) or 'none'})")
        if space == "kind" and name not in EVENT_KINDS:
            raise ExpectationError(f"unknown event kind {show(name)} "
                                   f"(kinds: {', '.join(EVENT_KINDS)})")
        if space == "subject" and name not in everything:
            raise ExpectationError(f"unknown subject {show(name)} (a node, VM or service, "
                                   "or cluster)")
        if space == "member-or-node":
            service, where = name.split(":", 1)
            if service not in cluster.services:
                raise ExpectationError(f"unknown service {show(service)} "
                                       f"(services: {', '.join(cluster.services) or 'none'})")
            members = cluster.services[service].members
            if where not in members and where not in cluster.nodes:
                raise ExpectationError(f"{show(where)} is neither a member of {service} "
                                       f"({', '.join(members)}) nor a node")


def _step_index(anchor: Anchor, steps: list[Step]) -> int:
    ref = anchor.step or ""
    if ref.isdigit():
        k = int(ref)
        if not 1 <= k <= len(steps):
            raise ExpectationError(f"there is no step {k} (the drill has {len(steps)} steps)")
        return k - 1
    for step in steps:
        if step.name == ref:
            return step.index
    named = [s.name for s in steps if s.name]
    raise ExpectationError(f"there is no step named {show(ref)}"
                           + (f" (named steps: {', '.join(named)})" if named else ""))


def _anchor_time(anchor: Anchor, steps: list[Step], duration: float) -> float:
    if anchor.kind == "start":
        return 0.0
    if anchor.kind == "end":
        return duration
    if anchor.kind == "step":
        return steps[_step_index(anchor, steps)].at
    if anchor.time > duration + 1e-9:
        raise ExpectationError(f"{anchor.text()} is after the end of the drill "
                               f"(duration_s = {duration:g})")
    return anchor.time


def resolve(expectation: Expectation, steps: list[Step], duration: float) -> Span:
    """The expectation's window in times and step indices; names a bad step or time."""
    window: Window = expectation.window
    check = expectation.check
    if isinstance(check, Compare) and check.quantity.what == "recovery":
        k = _step_index(Anchor("step", step=check.quantity.names[0]), steps)
        if not steps[k].incident:
            raise ExpectationError(f"step {k + 1} ({steps[k].command.text()}) is not an incident "
                                   "(fail-node, power-off, isolate or failover)")
        check.quantity.step = k
    start = window.start
    origin = _anchor_time(start, steps, duration)
    if window.mode == "instant":
        if start.kind == "step":
            instant: tuple[str, float] = ("step", _step_index(start, steps))
        elif start.kind == "time":
            instant = ("point", origin)
        else:
            instant = (start.kind, origin)
        return Span("instant", instant=instant, origin=origin, origin_text=start.text())
    start_step = _step_index(start, steps) if start.kind == "step" else None
    start_time = None if start.kind == "step" else origin
    if window.mode == "eventually":
        end_time = origin + (window.span or 0.0)
        if end_time > duration + 1e-9:
            raise ExpectationError(f"the window ends at {end_time:g} s, after the end of the "
                                   f"drill (duration_s = {duration:g})")
        return Span("eventually", start_time, start_step, end_time, None, origin=origin,
                    origin_text=start.text())
    end = window.end or Anchor("end")
    end_step = _step_index(end, steps) if end.kind == "step" else None
    end_time = None if end.kind == "step" else _anchor_time(end, steps, duration)
    finish = _anchor_time(end, steps, duration)
    if finish < origin or (start_step is not None and end_step is not None
                           and end_step <= start_step):
        raise ExpectationError(f"the window ends ({end.text()}) before it starts "
                               f"({start.text()})")
    return Span("always", start_time, start_step, end_time, end_step, origin=origin,
                origin_text=start.text())
