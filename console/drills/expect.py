"""The expectation language of drill files: one sentence in, a check and its window out.

The grammar is documented in `console.drills` (the package docstring, copied to README). This
module parses a sentence into an `Expectation`: *what* is checked (a `Check`) and *when* (a
`Window`). Parsing knows nothing of a cluster; `Expectation.resolve` then checks every name, step
and time against the drill and its cluster, so that a typo is an error at load time (exit 2),
never a check that silently passes.

Checks read the model and never change it: they get a `View` (the engine plus what the drill
runner counted) and answer `(holds, observed value as text)`.
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from console.model.entities import NodeState, ServiceState, VmState
from console.model.invariants import split_brain, violations

if TYPE_CHECKING:
    from console.model.engine import Engine


class ExpectationError(ValueError):
    """A sentence that does not parse or names something that does not exist."""


#: Every event kind the model emits. The drill loader refuses others, so that a misspelt kind
#: cannot make `no event ...` pass by never matching; tests/test_drills.py checks this list
#: against the model's source.

SERVING = frozenset({VmState.RUNNING, VmState.MIGRATING})
UNITS = {"s": 1.0, "sec": 1.0, "second": 1.0, "seconds": 1.0, "min": 60.0, "minute": 60.0,
         "minutes": 60.0, "h": 3600.0, "hour": 3600.0, "hours": 3600.0}
_NUMBER_UNIT = re.compile(r"(\d+(?:\.\d+)?)([a-z]*)")

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
        return self.engine.cluster

    @property
    def now(self) -> float:
        return self.engine.now


def vm_downtime(view: View, name: str) -> float:
    vm = view.cluster.vms[name]
    return vm.downtime_s + (view.now - vm.down_since if vm.down_since is not None else 0.0)


def service_downtime(view: View, name: str) -> float:
    service = view.cluster.services[name]
    return service.downtime_s + (view.now - service.down_since
                                 if service.down_since is not None else 0.0)


def lost_vms(view: View) -> list[str]:
    """VMs lost to an outage: failed, waiting for capacity, or left off by HA. A VM the
    operator (or the cluster file) stopped is not lost; one restarting is on its way back."""
    return [f"{vm.name} ({vm.state.value})" for vm in view.cluster.vms.values()
            if vm.state in (VmState.FAILED, VmState.PENDING_RESTART)
            or (vm.state is VmState.STOPPED and vm.down_since is not None)]


def seconds(value: float) -> str:
    """Seconds to the millisecond, without trailing zeros: 75 s, 131.067 s."""
    return f"{value:.3f}".rstrip("0").rstrip(".") + " s"


def listing(names: list[str], limit: int = 6) -> str:
    if len(names) <= limit:
        return ", ".join(names)
    return f"{', '.join(names[:limit])} and {len(names) - limit} more"


# -- checks ---------------------------------------------------------------------------------


class Check:
    """What an expectation tests. `kind` decides which windows make sense and the default."""

    kind = "state"  # state | invariant | event | recovery

    def names(self) -> Iterable[tuple[str, str]]:
        """(namespace, name) pairs the check refers to: node, vm, service, subject, kind."""
        return ()

    def evaluate(self, view: View) -> tuple[bool, str]:
        raise NotImplementedError


@dataclass
class NodeIs(Check):
    node: str
    states: tuple[str, ...]
    negate: bool = False

    def names(self):
        yield "node", self.node

    def evaluate(self, view):
        state = view.cluster.nodes[self.node].state.value
        return (state in self.states) != self.negate, state


@dataclass
class VmIs(Check):
    vm: str
    states: tuple[str, ...] = ()
    host: str | None = None
    negate: bool = False  # applies to the states if given, else to the host

    def names(self):
        yield "vm", self.vm
        if self.host is not None:
            yield "node", self.host

    def evaluate(self, view):
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
    service: str
    states: tuple[str, ...]
    negate: bool = False

    def names(self):
        yield "service", self.service

    def evaluate(self, view):
        state = view.cluster.services[self.service].state.value
        return (state in self.states) != self.negate, state


@dataclass
class ServiceActiveOn(Check):
    service: str
    where: str  # a member VM or a node

    def names(self):
        yield "member-or-node", f"{self.service}:{self.where}"

    def evaluate(self, view):
        service = view.cluster.services[self.service]
        active = service.active
        if active is None:
            return False, f"no active member ({service.state.value})"
        host = view.cluster.vms[active].host
        return self.where in (active, host), f"active on {active} ({host})"


@dataclass
class NoVmLost(Check):
    def evaluate(self, view):
        lost = lost_vms(view)
        return not lost, f"lost: {listing(lost)}" if lost else "none lost"


@dataclass
class AllVmsRunning(Check):
    def evaluate(self, view):
        down = [f"{vm.name} ({vm.state.value})" for vm in view.cluster.vms.values()
                if vm.state not in SERVING
                and not (vm.state is VmState.STOPPED and vm.down_since is None)]
        return not down, f"not running: {listing(down)}" if down else "all running"


@dataclass
class AllServicesOnline(Check):
    def evaluate(self, view):
        down = [f"{s.name} ({s.state.value})" for s in view.cluster.services.values()
                if s.state is not ServiceState.ONLINE]
        return not down, f"not online: {listing(down)}" if down else "all online"


@dataclass
class InvariantsHold(Check):
    split_brain_only: bool = False
    kind = "invariant"

    def evaluate(self, view):
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
        """(value, shown) now; `shown` names the worst item for the max quantities."""
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
    quantity: Quantity
    op: str
    value: float

    def __post_init__(self) -> None:
        if self.quantity.what in ("recovery", "max-recovery"):
            self.kind = "recovery"

    def names(self):
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
        value, shown = self.quantity.read(view)
        return COMPARATORS[self.op][1](value, self.value), shown


@dataclass
class EventSeen(Check):
    """An event of `event_kind` (about `subject`, if given) occurs in the window, or not."""

    event_kind: str
    subject: str | None = None
    present: bool = True
    kind = "event"

    def names(self):
        yield "kind", self.event_kind
        if self.subject is not None:
            yield "subject", self.subject

    def matches(self, event) -> bool:
        return event.kind == self.event_kind and (self.subject is None
                                                  or event.subject == self.subject)

    def describe(self) -> str:
        return self.event_kind + (f" for {self.subject}" if self.subject else "")


# -- windows ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Anchor:
    """A moment named in a window: the start, the end, a time, or a step (by number or name)."""

    kind: str                 # start | end | time | step
    time: float = 0.0
    step: str | None = None   # as written: "2" or a step name

    def text(self) -> str:
        if self.kind == "time":
            return seconds(self.time)
        if self.kind == "step":
            return f"step {self.step}"
        return self.kind


@dataclass(frozen=True)
class Window:
    """`mode` instant: at one moment; eventually: at some check within; always: at every check
    within. `span` is set for `within D after ANCHOR`."""

    mode: str                  # instant | eventually | always
    start: Anchor
    end: Anchor | None = None
    span: float | None = None
    written: str = ""

    def text(self) -> str:
        return self.written


AT_END = Window("instant", Anchor("end"), written="at end")
THROUGHOUT = Window("always", Anchor("start"), Anchor("end"), written="throughout")


@dataclass
class Expectation:
    text: str
    check: Check
    window: Window


# -- the parser -------------------------------------------------------------------------------

_COMPARATOR_WORDS = {"below", "under", "less", "above", "over", "more", "at", "<", "<=", ">",
                     ">=", "=", "==", "is", "exactly", "equals", "≤", "≥"}
_WINDOW_WORDS = {"at", "within", "from", "between", "throughout", "always", "ever"}


class _Tokens:
    def __init__(self, text: str, sentence: str) -> None:
        self.sentence = sentence
        spaced = text.replace(",", " , ")
        self.words = spaced.split()
        self.i = 0

    def peek(self, ahead: int = 0) -> str:
        j = self.i + ahead
        return self.words[j].lower() if j < len(self.words) else ""

    def raw(self) -> str:
        return self.words[self.i] if self.i < len(self.words) else ""

    def take(self) -> str:
        word = self.raw()
        self.i += 1
        return word

    def accept(self, *words: str) -> bool:
        if self.peek() in words:
            self.i += 1
            return True
        return False

    def expect(self, *words: str, what: str | None = None) -> str:
        if self.peek() in words:
            return self.take().lower()
        self.fail(what or " or ".join(repr(w) for w in words))
        raise AssertionError

    def name(self, what: str) -> str:
        word = self.raw()
        if not word or word == ",":
            self.fail(what)
        self.i += 1
        return word

    def done(self) -> bool:
        return self.i >= len(self.words)

    def fail(self, expected: str) -> None:
        got = f"got {self.raw()!r}" if not self.done() else "got the end of the sentence"
        raise ExpectationError(f"cannot read {self.sentence!r}: expected {expected}, {got}")


def parse(sentence: str) -> Expectation:
    """Parse one expectation: `BODY [WINDOW]` or `WINDOW: BODY`."""
    text = " ".join(sentence.split())
    if not text:
        raise ExpectationError("empty expectation")
    head, colon, tail = text.partition(":")
    window: Window | None = None
    if colon:
        tokens = _Tokens(head, sentence)
        window = _window(tokens)
        if not tokens.done():
            tokens.fail("':' after the window")
        body_tokens = _Tokens(tail, sentence)
    else:
        body_tokens = _Tokens(text, sentence)
    check = _body(body_tokens)
    if not body_tokens.done():
        if window is not None:
            body_tokens.fail("the end of the sentence (the window is given before ':')")
        if body_tokens.peek() not in _WINDOW_WORDS:
            body_tokens.fail("a window (at end, at T s, at step K, within D s after ANCHOR, "
                             "from ANCHOR to ANCHOR, throughout)")
        window = _window(body_tokens)
        if not body_tokens.done():
            body_tokens.fail("the end of the sentence")
    if window is None:
        window = THROUGHOUT if check.kind in ("invariant", "event") else AT_END
    _check_window(check, window, sentence)
    return Expectation(text, check, window)


def _check_window(check: Check, window: Window, sentence: str) -> None:
    if check.kind == "invariant" and window.mode == "eventually":
        raise ExpectationError(f"{sentence!r}: an invariant is checked at a moment or throughout "
                               "a window ('at ...', 'from ... to ...', 'throughout'), not 'within'")
    if check.kind == "recovery" and (window.mode, window.start.kind) != ("instant", "end"):
        raise ExpectationError(f"{sentence!r}: recovery times are known at the end only; "
                               "drop the window or say 'at end'")


def _states(tokens: _Tokens, enum: type, what: str) -> tuple[str, ...]:
    word = tokens.name(f"a {what} state ({', '.join(s.value for s in enum)})").lower()
    states = tuple(word.split("|"))
    known = {s.value for s in enum}
    for state in states:
        if state not in known:
            raise ExpectationError(f"cannot read {tokens.sentence!r}: unknown {what} state "
                                   f"{state!r} (states: {', '.join(s.value for s in enum)})")
    return states


def _body(tokens: _Tokens) -> Check:
    word = tokens.peek()
    if word == "no":
        tokens.take()
        if tokens.accept("split"):
            tokens.expect("brain")
            return InvariantsHold(split_brain_only=True)
        if tokens.accept("service"):
            for w in ("active", "on", "two", "members"):
                tokens.expect(w)
            return InvariantsHold(split_brain_only=True)
        if tokens.accept("vm", "vms"):
            tokens.expect("lost")
            return NoVmLost()
        if tokens.accept("event", "events"):
            return _event(tokens, present=False)
        tokens.fail("'split brain', 'VM lost', 'event KIND' or 'service active on two members' "
                    "after 'no'")
    if tokens.accept("invariants"):
        tokens.expect("hold")
        return InvariantsHold()
    if tokens.accept("all"):
        if tokens.accept("vms"):
            tokens.accept("are")
            tokens.expect("running")
            return AllVmsRunning()
        tokens.expect("services", what="'VMs' or 'services' after 'all'")
        tokens.accept("are")
        tokens.expect("online")
        return AllServicesOnline()
    if tokens.accept("event"):
        return _event(tokens, present=True)
    if tokens.accept("node"):
        node = tokens.name("a node name")
        tokens.accept("state")
        tokens.accept("is")
        negate = tokens.accept("not")
        return NodeIs(node, _states(tokens, NodeState, "node"), negate)
    if tokens.accept("vm"):
        vm = tokens.name("a VM name")
        if tokens.accept("downtime"):
            return _compare(tokens, Quantity("vm-downtime", "s", (vm,)))
        tokens.accept("state")
        tokens.accept("is")
        negate = tokens.accept("not")
        if tokens.accept("on"):
            return VmIs(vm, host=tokens.name("a node name"), negate=negate)
        states = _states(tokens, VmState, "VM")
        host = tokens.name("a node name") if tokens.accept("on") else None
        return VmIs(vm, states, host, negate)
    if tokens.accept("service"):
        service = tokens.name("a service name")
        if tokens.accept("downtime"):
            return _compare(tokens, Quantity("service-downtime", "s", (service,)))
        tokens.accept("state")
        tokens.accept("is")
        if tokens.accept("active"):
            tokens.expect("on")
            return ServiceActiveOn(service, tokens.name("a member VM or a node"))
        negate = tokens.accept("not")
        return ServiceIs(service, _states(tokens, ServiceState, "service"), negate)
    if tokens.accept("max", "maximum"):
        if tokens.accept("recovery"):
            tokens.expect("time")
            return _compare(tokens, Quantity("max-recovery", "s"))
        if tokens.accept("service"):
            tokens.expect("downtime")
            return _compare(tokens, Quantity("max-service-downtime", "s"))
        tokens.accept("vm")
        tokens.expect("downtime", what="'VM downtime', 'service downtime' or 'recovery time'")
        names: list[str] = []
        if tokens.accept("of"):
            while not tokens.done() and tokens.peek() not in _COMPARATOR_WORDS:
                word = tokens.take()
                if word != ",":
                    names.append(word)
            if not names:
                tokens.fail("VM names after 'of'")
        return _compare(tokens, Quantity("max-vm-downtime", "s", tuple(names)))
    if tokens.accept("recovery"):
        tokens.expect("time")
        tokens.expect("after", "of")
        tokens.expect("step")
        return _compare(tokens, Quantity("recovery", "s", (tokens.name("a step"),)))
    if word in ("pending", "running", "down") and tokens.peek(1) == "vms":
        tokens.i += 2
        return _compare(tokens, Quantity(word, "count"))
    if tokens.accept("migrations"):
        which = tokens.expect("completed", "failed", "started", "queued")
        return _compare(tokens, Quantity("events", "count", (f"migration_{which}",)))
    if tokens.accept("events"):
        kind = tokens.name("an event kind")
        names_ = (kind, tokens.name("a subject")) if tokens.accept("for") else (kind,)
        return _compare(tokens, Quantity("events", "count", names_))
    hint = (" (a window goes after the check, or before it with a ':')"
            if word in _WINDOW_WORDS else "")
    tokens.fail("node, vm, service, event, no ..., all ..., invariants hold, max ..., "
                "recovery time ..., pending/running/down VMs, migrations ... or events ..."
                + hint)
    raise AssertionError


def _event(tokens: _Tokens, present: bool) -> EventSeen:
    kind = tokens.name("an event kind")
    subject = tokens.name("a subject (node, VM or service)") if tokens.accept("for") else None
    return EventSeen(kind, subject, present)


def _compare(tokens: _Tokens, quantity: Quantity) -> Compare:
    op = _comparator(tokens)
    value = _number(tokens, allow_unit=quantity.unit == "s")
    return Compare(quantity, op, value)


def _comparator(tokens: _Tokens) -> str:
    word = tokens.peek()
    if word in ("is", "equals") and tokens.peek(1) in _COMPARATOR_WORDS - {"is", "equals"}:
        tokens.take()
        word = tokens.peek()
    if word not in _COMPARATOR_WORDS:
        tokens.fail("a comparison (below, at most, above, at least, =)")
    tokens.take()
    if word in ("below", "under", "<"):
        return "<"
    if word == "less":
        tokens.expect("than")
        return "<"
    if word in ("above", "over", ">"):
        return ">"
    if word == "more":
        tokens.expect("than")
        return ">"
    if word == "at":
        return "<=" if tokens.expect("most", "least") == "most" else ">="
    if word in ("<=", "≤"):
        return "<="
    if word in (">=", "≥"):
        return ">="
    return "=="


def _number(tokens: _Tokens, *, allow_unit: bool) -> float:
    word = tokens.peek()
    match = _NUMBER_UNIT.fullmatch(word)
    if match is None:
        tokens.fail("a number")
    tokens.take()
    value, unit = float(match[1]), match[2]
    if not unit and allow_unit and tokens.peek() in UNITS:
        unit = tokens.take().lower()
    if unit:
        if not allow_unit:
            raise ExpectationError(f"cannot read {tokens.sentence!r}: a count takes no unit, "
                                   f"got {word!r}")
        if unit not in UNITS:
            raise ExpectationError(f"cannot read {tokens.sentence!r}: unknown unit {unit!r} "
                                   "(s, min, h)")
        value *= UNITS[unit]
    return value


def _window(tokens: _Tokens) -> Window:
    start = tokens.i
    word = tokens.peek()
    if tokens.accept("throughout", "always", "ever"):
        window = Window("always", Anchor("start"), Anchor("end"))
    elif tokens.accept("at"):
        window = Window("instant", _anchor(tokens))
    elif tokens.accept("within"):
        span = _number(tokens, allow_unit=True)
        tokens.expect("after", "of")
        window = Window("eventually", _anchor(tokens), span=span)
    elif tokens.accept("from", "between"):
        first = _anchor(tokens)
        tokens.expect("and" if word == "between" else "to", "to", "until")
        window = Window("always", first, _anchor(tokens))
    else:
        tokens.fail("a window (at end, at T s, at step K, within D s after ANCHOR, "
                    "from ANCHOR to ANCHOR, throughout)")
        raise AssertionError
    written = " ".join(tokens.words[start:tokens.i])
    return Window(window.mode, window.start, window.end, window.span, written)


def _anchor(tokens: _Tokens) -> Anchor:
    if tokens.accept("start"):
        return Anchor("start")
    if tokens.accept("end"):
        return Anchor("end")
    if tokens.accept("step"):
        return Anchor("step", step=tokens.name("a step number or name"))
    if _NUMBER_UNIT.fullmatch(tokens.peek()):
        return Anchor("time", time=_number(tokens, allow_unit=True))
    tokens.fail("start, end, step K or a time such as 60 s")
    raise AssertionError
