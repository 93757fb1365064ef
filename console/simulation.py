"""Headless runs: a cluster file, a seed and timed commands in; the event log and summary out.

`simulate`, drills and headless replays all go through here, so for the same inputs they print the
same log byte for byte.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass

from console.model.commands import Command, CommandError, parse
from console.model.engine import Engine
from console.model.summary import summary


class ScheduleError(ValueError):
    """A `--do "T COMMAND"` that cannot be read."""


@dataclass(frozen=True, slots=True)
class TimedCommand:
    t: float
    command: Command

    def text(self) -> str:
        return f"{self.t:g} {self.command.text()}"


def parse_timed(text: str) -> TimedCommand:
    """Read `"T COMMAND"`, e.g. `"60 fail-node B"`."""
    head, _, rest = text.strip().partition(" ")
    try:
        t = float(head)
    except ValueError:
        raise ScheduleError(f"{text!r}: expected a time in seconds first, got {head!r}") from None
    if not t >= 0:
        raise ScheduleError(f"{text!r}: the time must be zero or more")
    try:
        return TimedCommand(t, parse(rest))
    except CommandError as error:
        raise ScheduleError(f"{text!r}: {error}") from None


def run(engine: Engine, until: float, steps: Iterable[TimedCommand] = ()) -> None:
    """Submit each step at its time (in time order, ties in given order), then run to `until`."""
    for step in sorted(steps, key=lambda s: s.t):
        engine.submit_at(step.t, step.command)
    engine.run_until(until)


def render_json(engine: Engine) -> str:
    lines = [json.dumps(event.as_dict()) for event in engine.log.events]
    lines.append(json.dumps(summary(engine)))
    return "\n".join(lines) + "\n"


def render_text(engine: Engine) -> str:
    lines = [event.as_text() for event in engine.log.events]
    state = summary(engine)
    lines.append("")
    lines.append(f"at {engine.now:g} s:")
    for name, node in state["nodes"].items():  # type: ignore[union-attr]
        lines.append(f"  node {name:<12} {node['state']:<22} {node['vms']} VMs")
    for name, svc in state["services"].items():  # type: ignore[union-attr]
        lines.append(f"  service {name:<9} {svc['state']:<22} active: {svc['active'] or '-'}")
    down = {name: vm for name, vm in state["vms"].items()  # type: ignore[union-attr]
            if vm["state"] != "running" or vm["downtime_s"]}
    for name, vm in down.items():
        lines.append(f"  vm {name:<14} {vm['state']:<22} on {vm['host'] or '-':<8} "
                     f"down {vm['downtime_s']:g} s")
    return "\n".join(lines) + "\n"
