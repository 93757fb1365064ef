"""Expectations resolved against their drill: every name checked against the cluster and the
steps, every window turned into a `Span` of times and step indices. `load_drill` and
`parse_drill` read a drill file (console.formats.drill) with its expectations made here, so a
typo in a sentence is an error at load time (exit status 2), never a check that silently passes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from console.drills.checks import Compare
from console.drills.grammar import Anchor, Expectation, ExpectationError, Window, parse
from console.formats import drill as drill_file
from console.formats.drill import Step
from console.formats.toml import Problem, listing, show
from console.model.cluster import Cluster
from console.model.commands import Deploy
from console.model.events import EVENT_KINDS


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
        """Whether the observation at `t` seconds, `steps_done` steps submitted, is inside."""
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
    """An `[[expect]]` entry: its sentence parsed and its window resolved against the drill."""

    index: int
    expectation: Expectation
    span: Span
    name: str = ""

    @property
    def number(self) -> int:
        """1-based, as reports count expectations."""
        return self.index + 1

    @property
    def text(self) -> str:
        """The sentence, its whitespace normalised."""
        return self.expectation.text


#: A drill file with its expectations resolved.
Drill = drill_file.Drill[DrillExpectation]


def read_expectation(index: int, that: str, name: str, steps: list[Step], duration: float,
                     cluster: Cluster) -> DrillExpectation:
    """The `ExpectationReader` of drill files: parse the sentence, check its names against the
    cluster (and the VMs the steps deploy), resolve its window. Raises `Problem` with the
    grammar's or the resolver's message."""
    deployed = {getattr(s.command, "vm", "") for s in steps if isinstance(s.command, Deploy)}
    try:
        expectation = parse(that)
        _check_refs(expectation, cluster, deployed)
        span = resolve(expectation, steps, duration)
    except ExpectationError as error:
        raise Problem("", str(error)) from None
    return DrillExpectation(index, expectation, span, name)


def load_drill(path: str | Path) -> Drill:
    """Read and check a drill file. Raises `ConfigError` (an `InputError`, one line
    `file:line: key: message`) for the first problem in file order."""
    return drill_file.load_drill_file(path, read_expectation)


def parse_drill(text: str, filename: str) -> Drill:
    """`load_drill` on a drill file's text, `filename` naming it in errors."""
    return drill_file.parse_drill_file(text, filename, read_expectation)


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
    """The expectation's window in simulated seconds and step indices. Raises ExpectationError
    naming a step that does not exist or is not an incident (for a recovery), a time or window
    end after the drill's end, or a window that ends before it starts."""
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
