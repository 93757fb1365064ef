"""What a command will do, before it is given: the consequences the confirmation dialogs list.

`preview(engine, commands)` submits the commands to a fork of the engine (console.model.fork),
runs the fork ahead until the consequences settle, runs a second fork WITHOUT the commands
ahead for the same time, and lists what differs between the two (what the commands cause, not
what was already under way, which gets one line of its own): the hosts whose state changes,
the services that go down or move and where, the VMs that restart, move or stay down and where,
the balancer's plan (what its pass said), and the capacity left for failures as admission
control sees it. It is the model's own answer, not a guess in the screens: the same code runs
in the fork as will run for real, from the same state and random generator, so while the clock
holds the preview is what then happens.

Settling: the fork steps `STEP_S` simulated seconds at a time until nothing is in flight (no
migration running or queued, no VM booting or moving, no host suspect, booting or entering
maintenance) and nothing has changed for `QUIET_S` (long enough for failure detection and a
fence's lock wait), at most `MAX_AHEAD_S`. Above `FORK_LIMIT_VMS` VMs there is no preview (a
fork costs seconds there): `tried` is False and the dialog says so.

Cost (bench/preview_bench.py): datacenter sample (648 VMs) 0.2 s for a crash, 0.3 s for a
maintenance; 4,000 VMs 1.5-1.8 s, hence the limit.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from console.model import failover, placement
from console.model.commands import Command
from console.model.entities import NodeState, VmState
from console.model.fork import FORK_LIMIT_VMS, fork
from console.model.kernel import Outcome

if TYPE_CHECKING:
    from console.model.engine import Engine

STEP_S = 5.0
QUIET_S = 180.0
MAX_AHEAD_S = 1800.0
#: Names listed per line before "and N more".
NAMES_PER_LINE = 12
#: Event kinds whose message the preview repeats (the balancer's plan, why an evacuation waits).
TOLD_KINDS = ("balancer", "ha_capacity_reduced", "quorum_lost")
BUSY_VMS = (VmState.MIGRATING, VmState.RESTARTING, VmState.DEPLOYING)
BUSY_NODES = (NodeState.SUSPECT, NodeState.BOOTING, NodeState.ENTERING_MAINTENANCE)


@dataclass(frozen=True, slots=True)
class Preview:
    """The answer to `commands` (the first refusal, else the last acceptance), the consequences
    as lines of text, how many simulated seconds the fork ran ahead to see them settle, and
    whether it was tried at all (False on a cluster too big to fork)."""

    outcome: Outcome
    lines: tuple[str, ...] = ()
    ahead_s: float = 0.0
    tried: bool = True

    def text(self) -> str:
        """The consequences as the dialog shows them, one per line (or why there are none, or
        the refusal)."""
        if not self.outcome.accepted:
            return f"Refused: {self.outcome.reason}"
        if not self.tried:
            return (f"No preview: more than {FORK_LIMIT_VMS} VMs (trying it ahead would take "
                    "seconds).")
        if not self.lines:
            return "Nothing else changes."
        when = f"Within {self.ahead_s:.0f} s:" if self.ahead_s else "At once:"
        return "\n".join((when, *self.lines))


@dataclass(frozen=True, slots=True)
class _State:
    nodes: dict[str, NodeState]
    vms: dict[str, tuple[str | None, VmState]]
    services: dict[str, tuple[str | None, str | None, str]]  # active, its host, state


def _state(engine: Engine) -> _State:
    cluster = engine.cluster
    vms = {vm.name: (vm.host, vm.state) for vm in cluster.vms.values()}
    services = {}
    for service in cluster.services.values():
        active = service.active
        services[service.name] = (active, vms[active][0] if active else None,
                                  service.state.value)
    return _State({n.name: n.state for n in cluster.nodes.values()}, vms, services)


def _busy(engine: Engine) -> bool:
    cluster = engine.cluster
    if engine.migrations.active or engine.migrations.queued:
        return True
    return (any(vm.state in BUSY_VMS for vm in cluster.vms.values())
            or any(n.state in BUSY_NODES for n in cluster.nodes.values()))


def preview(engine: Engine, commands: Sequence[Command]) -> Preview:
    """Try `commands` on a fork of `engine` and say what follows (see the module's docstring);
    `engine` is not changed. A refusal comes back as the outcome, with no lines."""
    if len(engine.cluster.vms) > FORK_LIMIT_VMS:  # `text` says why, once (not the note too)
        checked = engine.check(*commands)
        return Preview(checked if not checked.accepted else Outcome.ok(), tried=False)
    trial, without = fork(engine), fork(engine)
    before = _state(trial)
    outcome = Outcome.ok()
    for command in commands:
        outcome = trial.submit(command)
        if not outcome.accepted:
            return Preview(outcome)
    start = trial.now
    last, quiet_since = _state(trial), start
    while trial.now - start < MAX_AHEAD_S:
        trial.advance(STEP_S)
        now = _state(trial)
        if now != last:
            last, quiet_since = now, trial.now
        elif trial.now - quiet_since >= QUIET_S and not _busy(trial):
            break
    without.advance(trial.now - start)
    anyway = _state(without)
    lines = [*_node_lines(before, last, anyway), *_service_lines(before, last, anyway),
             *_vm_lines(trial, without, before, last, anyway), *_told(trial, without),
             _under_way(without, before, anyway), _capacity(trial)]
    return Preview(outcome, tuple(line for line in lines if line), quiet_since - start)


def _node_lines(before: _State, after: _State, anyway: _State) -> list[str]:
    """Hosts whose state the command changes: the fork without it ends otherwise."""
    return [f"host {name}: {state.value} → {after.nodes[name].value}"
            for name, state in before.nodes.items()
            if after.nodes[name] is not state and after.nodes[name] is not anyway.nodes.get(name)]


def _service_lines(before: _State, after: _State, anyway: _State) -> list[str]:
    lines = []
    for name, (active, host, state) in before.services.items():
        new_active, new_host, new_state = after.services[name]
        if (new_active, new_host, new_state) in ((active, host, state), anyway.services[name]):
            continue
        was = f"{active} on {host}" if active else state
        if new_active is None:
            lines.append(f"service {name} goes down ({was} → {new_state})")
        else:
            lines.append(f"service {name}: {was} → {new_active} on {new_host}")
    return lines


def _names(names: Sequence[str]) -> str:
    shown = ", ".join(names[:NAMES_PER_LINE])
    more = len(names) - NAMES_PER_LINE
    return f"{shown} and {more} more" if more > 0 else shown


def _went_down(run: Engine) -> set[str]:
    return {e.subject for e in run.log.events if e.kind == "vm_down"}


def _vm_lines(trial: Engine, without: Engine, before: _State, after: _State,
              anyway: _State) -> list[str]:
    """VMs that end otherwise than they would without the command, or go down because of it."""
    went_down = _went_down(trial) - _went_down(without)
    groups: dict[str, list[str]] = {}
    for name, (host, state) in before.vms.items():
        new_host, new_state = after.vms[name]
        if name not in went_down and (new_host, new_state) in ((host, state), anyway.vms[name]):
            continue
        if new_state is VmState.RUNNING and new_host is not None:
            restarted = name in went_down or state is not VmState.RUNNING
            if not restarted and new_host == host:
                continue
            label = "VMs that restart" if restarted else "VMs that move"
            groups.setdefault(label, []).append(f"{name}→{new_host}")
        else:
            where = f" on {new_host}" if new_host else ""
            groups.setdefault(f"VMs left {new_state.value.replace('_', ' ')}", []).append(
                f"{name}{where}")
    blocked = _subjects(trial, "evacuation_blocked") - _subjects(without, "evacuation_blocked")
    if blocked:
        groups["VMs that cannot leave"] = sorted(blocked)
    return [f"{label} ({len(names)}): {_names(sorted(names))}"
            for label, names in sorted(groups.items())]


def _subjects(run: Engine, kind: str) -> set[str]:
    return {e.subject for e in run.log.events if e.kind == kind}


def _told(trial: Engine, without: Engine) -> Iterable[str]:
    """What the fork's balancer, capacity and quorum events said that the fork without the
    command did not say."""
    seen = {event.message for event in without.log.events if event.kind in TOLD_KINDS}
    for event in trial.log.events:
        if event.kind in TOLD_KINDS and event.message not in seen:
            seen.add(event.message)
            yield f"{event.kind.replace('_', ' ')}: {event.message}"


def _under_way(without: Engine, before: _State, anyway: _State) -> str:
    """What changes in the same time without the command (not its doing), in one line."""
    hosts = [f"host {name} → {state.value}" for name, state in anyway.nodes.items()
             if state is not before.nodes[name]]
    went_down = _went_down(without)
    vms = sorted(name for name, (host, state) in before.vms.items()
                 if name in went_down or anyway.vms[name] != (host, state))
    if vms:
        hosts.append(f"VMs {_names(vms)}")
    return f"already under way (not this command's doing): {'; '.join(hosts)}" if hosts else ""


def _capacity(trial: Engine) -> str:
    cluster = trial.cluster
    settings = cluster.settings.ha
    if not failover.enforced(settings):
        return "capacity for failures: admission control is off"
    hosts = [n for n in cluster.nodes.values() if placement.usable(n)]
    short = failover.shortfall(cluster, hosts, 0.0, 0.0)
    level = failover.level(settings)
    if short is None:
        return f"capacity for failures: room kept for {level} ({len(hosts)} usable hosts)"
    missing = short.needed - short.left
    unit = " GB of memory" if short.resource == "memory" else " vCPUs"
    return f"capacity for failures: below {level}: {missing:g}{unit} short {short.where}"
