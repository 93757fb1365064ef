"""The checks of drill expectations: what each sentence tests, read off the model. Checks read
the model and never change it: they get a `View` (the engine plus what the drill runner
counted) and answer `(holds, observed value as text)`. The sentences that make them are
`console.drills.grammar`.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from console.drills.report import seconds
from console.formats.toml import listing
from console.model.engine import Engine
from console.model.entities import ServiceState, VmState
from console.model.invariants import split_brain, violations

#: VM states in which a VM serves (a live migration keeps it running).
SERVING = frozenset({VmState.RUNNING, VmState.MIGRATING})

# -- what a check sees ------------------------------------------------------------------------


@dataclass
class View:
    """The read-only view a check evaluates against: the engine and the runner's counters."""

    engine: Engine
    kinds: dict[str, int] = field(default_factory=dict)             # event kind -> count
    subjects: dict[tuple[str, str], int] = field(default_factory=dict)  # (kind, subject) -> n
    incidents: list[Any] = field(default_factory=list)             # runner.Incident, at the end

    @property
    def cluster(self):
        """The engine's cluster (read it, never change it)."""
        return self.engine.cluster

    @property
    def now(self) -> float:
        """Simulated seconds now."""
        return self.engine.now


def vm_downtime(view: View, name: str) -> float:
    """Seconds VM `name` has been down so far, the current outage included."""
    return view.cluster.vms[name].downtime_until(view.now)


def service_downtime(view: View, name: str) -> float:
    """Seconds service `name` has been down so far, the current outage included."""
    return view.cluster.services[name].downtime_until(view.now)


def lost_vms(view: View) -> list[str]:
    """VMs lost to an outage: failed, waiting for capacity, or left off by HA. A VM the
    operator (or the cluster file) stopped is not lost; one restarting is on its way back."""
    return [f"{vm.name} ({vm.state.value})" for vm in view.cluster.vms.values()
            if vm.state in (VmState.FAILED, VmState.PENDING_RESTART)
            or (vm.state is VmState.STOPPED and vm.down_since is not None)]


# -- checks ---------------------------------------------------------------------------------


class Check:
    """What an expectation tests. `kind` decides which windows make sense and the default."""

    kind = "state"  # state | invariant | event | recovery

    def names(self) -> Iterable[tuple[str, str]]:
        """(namespace, name) pairs the check refers to: node, vm, service, subject, kind."""
        return ()

    def evaluate(self, view: View) -> tuple[bool, str]:
        """`(holds, observed value as text)` against `view` now. Raises NotImplementedError here:
        each check defines it."""
        raise NotImplementedError


@dataclass
class NodeIs(Check):
    """`node B is STATE[|STATE]` (or `is not`): the node's state."""

    node: str
    states: tuple[str, ...]
    negate: bool = False

    def names(self):
        """The node."""
        yield "node", self.node

    def evaluate(self, view):
        """Whether the node's state is one of `states` (or none of them, negated); observed: the
        state."""
        state = view.cluster.nodes[self.node].state.value
        return (state in self.states) != self.negate, state


@dataclass
class VmIs(Check):
    """`vm web01 is STATE [on NODE]`, `vm web01 on NODE`, `vm web01 is not on NODE`."""

    vm: str
    states: tuple[str, ...] = ()
    host: str | None = None
    negate: bool = False  # applies to the states if given, else to the host

    def names(self):
        """The VM, and the node if one is named."""
        yield "vm", self.vm
        if self.host is not None:
            yield "node", self.host

    def evaluate(self, view):
        """Whether the VM's state (and host, if named) match; observed: `STATE on HOST`, or `not
        deployed` (never holds) for a VM not in the cluster yet."""
        vm = view.cluster.vms.get(self.vm)
        if vm is None:  # a VM a later step deploys
            return False, "not deployed"
        state, host = vm.state.value, vm.host
        observed = f"{state} on {host}" if host else state
        if self.states:
            ok = (state in self.states) != self.negate
            if self.host is not None:
                ok = ok and host == self.host
        else:
            ok = (host == self.host) != self.negate
        return ok, observed


@dataclass
class ServiceIs(Check):
    """`service sql is STATE` (or `is not`): the service's state."""

    service: str
    states: tuple[str, ...]
    negate: bool = False

    def names(self):
        """The service."""
        yield "service", self.service

    def evaluate(self, view):
        """Whether the service's state is one of `states` (or none of them, negated); observed: the
        state."""
        state = view.cluster.services[self.service].state.value
        return (state in self.states) != self.negate, state


@dataclass
class ServiceActiveOn(Check):
    """`service sql is active on MEMBER|NODE`: which member is active, or on which node."""

    service: str
    where: str  # a member VM or a node

    def names(self):
        """The service and the member or node, as one `SERVICE:WHERE` name."""
        yield "member-or-node", f"{self.service}:{self.where}"

    def evaluate(self, view):
        """Whether the active member, or the node it runs on, is `where`; never holds while no
        member is active."""
        service = view.cluster.services[self.service]
        active = service.active
        if active is None:
            return False, f"no active member ({service.state.value})"
        host = view.cluster.vms[active].host
        return self.where in (active, host), f"active on {active} ({host})"


@dataclass
class NoVmLost(Check):
    """`no VM lost`: none failed, pending restart or left off by HA (`lost_vms`)."""
    def evaluate(self, view):
        """Holds when `lost_vms` is empty; observed: the lost VMs with their states."""
        lost = lost_vms(view)
        return not lost, f"lost: {listing(lost)}" if lost else "none lost"


@dataclass
class AllVmsRunning(Check):
    """`all VMs running`: every VM serving, except those stopped on purpose."""
    def evaluate(self, view):
        """Holds when every VM is running or migrating, or stopped with no outage open (stopped on
        purpose); observed: the others."""
        down = [f"{vm.name} ({vm.state.value})" for vm in view.cluster.vms.values()
                if vm.state not in SERVING
                and not (vm.state is VmState.STOPPED and vm.down_since is None)]
        return not down, f"not running: {listing(down)}" if down else "all running"


@dataclass
class AllServicesOnline(Check):
    """`all services online`."""
    def evaluate(self, view):
        """Holds when every service is online; observed: the others with their states."""
        down = [f"{s.name} ({s.state.value})" for s in view.cluster.services.values()
                if s.state is not ServiceState.ONLINE]
        return not down, f"not online: {listing(down)}" if down else "all online"


@dataclass
class InvariantsHold(Check):
    """`invariants hold` (every invariant of console.model.invariants) or `no split brain` (no
    service active on two members)."""

    split_brain_only: bool = False
    kind = "invariant"

    def evaluate(self, view):
        """Holds when `violations` (or `split_brain` only) finds nothing; observed: the first three
        found and how many more."""
        found = (split_brain(view.cluster) if self.split_brain_only
                 else violations(view.cluster))
        if found:
            return False, "; ".join(found[:3]) + (f" (+{len(found) - 3} more)"
                                                 if len(found) > 3 else "")
        return True, "no split brain" if self.split_brain_only else "all invariants hold"


# -- quantities -------------------------------------------------------------------------------

COMPARATORS: dict[str, tuple[str, Callable[[float, float], bool]]] = {
    "<": ("below", operator.lt), "<=": ("at most", operator.le), ">": ("above", operator.gt),
    ">=": ("at least", operator.ge), "==": ("exactly", lambda a, b: abs(a - b) < 1e-9),
}


@dataclass
class Quantity:
    """A number read off the model: a count or a time in seconds."""

    what: str        # pending | running | down | events | vm-downtime | service-downtime |
                     # max-vm-downtime | max-service-downtime | recovery | max-recovery
    unit: str        # "count" | "s"
    names: tuple[str, ...] = ()  # VMs, services, event kind + subject, or the step
    step: int | None = None      # recovery after this step (0-based)

    def read(self, view: View) -> tuple[float, str]:
        """(value, shown) now: a count, or simulated seconds (math.inf for a recovery not over
        yet); `shown` names the worst item for the max quantities. Raises AssertionError for a
        `what` the grammar does not make."""
        cluster = view.cluster
        if self.what == "pending":
            return len(cluster.pending), str(len(cluster.pending))
        if self.what == "running":
            n = sum(1 for vm in cluster.vms.values() if vm.state in SERVING)
            return n, str(n)
        if self.what == "down":
            n = sum(1 for vm in cluster.vms.values() if vm.down_since is not None)
            return n, str(n)
        if self.what == "events":
            kind, subject = self.names[0], self.names[1] if len(self.names) > 1 else None
            n = view.kinds.get(kind, 0) if subject is None else view.subjects.get((kind, subject),
                                                                                 0)
            return n, str(n)
        if self.what == "vm-downtime":
            value = vm_downtime(view, self.names[0]) if self.names[0] in cluster.vms else 0.0
            return value, seconds(value)
        if self.what == "service-downtime":
            value = service_downtime(view, self.names[0])
            return value, seconds(value)
        if self.what == "max-vm-downtime":
            names = self.names or tuple(cluster.vms)
            return _worst([(n, vm_downtime(view, n)) for n in names if n in cluster.vms])
        if self.what == "max-service-downtime":
            return _worst([(n, service_downtime(view, n)) for n in cluster.services])
        if self.what in ("recovery", "max-recovery"):
            return _recovery(view, self.step)
        raise AssertionError(self.what)


def _worst(values: list[tuple[str, float]]) -> tuple[float, str]:
    if not values:
        return 0.0, "0 s"
    name, value = max(values, key=lambda item: (item[1], item[0]))
    return value, f"{seconds(value)} ({name})" if value else "0 s"


def _recovery(view: View, step: int | None) -> tuple[float, str]:
    incidents = [i for i in view.incidents if step is None or i.step == step]
    if not incidents:
        return 0.0, "no incidents"
    worst, shown = 0.0, "no outage"
    for incident in incidents:
        if incident.recovered_at is None and incident.affected():
            return math.inf, f"step {incident.step + 1} not recovered by {seconds(view.now)}"
        if incident.recovery_s is not None and incident.recovery_s >= worst:
            worst = incident.recovery_s
            shown = f"{seconds(worst)} (step {incident.step + 1}, {incident.command})"
    return worst, shown


@dataclass
class Compare(Check):
    """`QUANTITY COMPARISON NUMBER`: a count, or seconds (a number written with a unit is converted
    to seconds)."""

    quantity: Quantity
    op: str
    value: float

    def __post_init__(self) -> None:
        if self.quantity.what in ("recovery", "max-recovery"):
            self.kind = "recovery"

    def names(self):
        """The names the quantity reads: event kind and subject, VMs, or the service."""
        q = self.quantity
        if q.what == "events":
            yield "kind", q.names[0]
            if len(q.names) > 1:
                yield "subject", q.names[1]
        elif q.what in ("vm-downtime", "max-vm-downtime"):
            for name in q.names:
                yield "vm", name
        elif q.what == "service-downtime":
            yield "service", q.names[0]

    def evaluate(self, view):
        """Whether the quantity, read now, compares to `value` by `op`; observed: the quantity as
        shown."""
        value, shown = self.quantity.read(view)
        return COMPARATORS[self.op][1](value, self.value), shown


#: An event check's verdict: passed (None: not decided yet), the value observed, and when.
Verdict = tuple[bool | None, str, float | None]


def event_text(event) -> str:
    """An event as a verdict shows it: `at T: KIND SUBJECT: MESSAGE`."""
    return f"at {seconds(event.t)}: {event.kind} {event.subject}: {event.message}"


class EventCheck(Check):
    """A check on the events of its window rather than on the state: judged on the window's
    events, in log order (`verdict`), not at moments."""

    kind = "event"

    def verdict(self, events: list, final: bool, where: str) -> Verdict:
        """Judge `events` (the window's, in log order; `where` is the window as written for
        the observed value). Before the end (`final` False) the verdict may be undecided:
        passed None. Raises NotImplementedError here: each event check defines it."""
        raise NotImplementedError

    def evaluate(self, view):
        """Event checks are judged on events (`verdict`), never on a moment's state."""
        raise NotImplementedError("an event check is judged by verdict()")


@dataclass
class EventSeen(EventCheck):
    """An event of `event_kind` (about `subject`, if given) occurs in the window, or not."""

    event_kind: str
    subject: str | None = None
    present: bool = True

    def names(self):
        """The event kind, and the subject if one is given."""
        yield "kind", self.event_kind
        if self.subject is not None:
            yield "subject", self.subject

    def matches(self, event) -> bool:
        """Whether `event` is of this kind (and about this subject, if one is given)."""
        return event.kind == self.event_kind and (self.subject is None
                                                  or event.subject == self.subject)

    def describe(self) -> str:
        """`KIND [for SUBJECT]`, for the observed value."""
        return self.event_kind + (f" for {self.subject}" if self.subject else "")

    def verdict(self, events, final, where):
        """`event ...` passes at the first match, `no event ...` fails there; observed: that
        event (and how many more, for `no event`). Without a match, decided at the end."""
        found = [e for e in events if self.matches(e)]
        if found:
            more = f" (and {len(found) - 1} more)" if len(found) > 1 and not self.present else ""
            return self.present, event_text(found[0]) + more, found[0].t
        if not final:
            return None, "", None
        return (not self.present,
                f"no {self.describe()} {where}" if self.present else f"none {where}", None)


@dataclass
class EventOrder(EventCheck):
    """`event A [for X] before event B [for Y]`: both occur in the window, and the first A
    comes before the first B (in log order: at one instant, the one logged first)."""

    first: EventSeen
    then: EventSeen

    def names(self):
        """The kinds and subjects of both events."""
        yield from self.first.names()
        yield from self.then.names()

    def verdict(self, events, final, where):
        """Decided at the first B (passed if an A came before it), or at the end (failed: no B,
        or neither); observed: when each was first seen."""
        at_a = next((i for i, e in enumerate(events) if self.first.matches(e)), len(events))
        early = next((e for e in events[:at_a] if self.then.matches(e)), None)
        if early is not None:
            return (False, f"{event_text(early)}, before any {self.first.describe()}",
                    early.t)
        first_a = events[at_a] if at_a < len(events) else None
        first_b = next((e for e in events[at_a + 1:] if self.then.matches(e)), None)
        if first_a is not None and first_b is not None:
            return (True, f"{self.first.describe()} at {seconds(first_a.t)}, then "
                    f"{self.then.describe()} at {seconds(first_b.t)}", first_b.t)
        if not final:
            return None, "", None
        if first_a is not None:
            return (False, f"{self.first.describe()} at {seconds(first_a.t)}, but no "
                    f"{self.then.describe()} after it {where}", None)
        return (False, f"neither {self.first.describe()} nor {self.then.describe()} {where}",
                None)
