"""The expectation language of drill files: one sentence in, a check and its window out.

The grammar is documented in `console.drills` (the package docstring, copied to README). This
module parses a sentence into an `Expectation`: *what* is checked (a `Check` of
`console.drills.checks`) and *when* (a `Window`). Parsing knows nothing of a cluster;
`console.drills.plan` then checks every name, step and time against the drill and its cluster,
so that a typo is an error at load time (exit 2), never a check that silently passes.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from console.drills.checks import (
    AllServicesOnline,
    AllVmsRunning,
    Check,
    Compare,
    EventOrder,
    EventSeen,
    InvariantsHold,
    NodeIs,
    NoVmLost,
    Quantity,
    ServiceActiveOn,
    ServiceIs,
    VmIs,
)
from console.drills.report import seconds
from console.model.entities import NodeState, ServiceState, VmState


class ExpectationError(ValueError):
    """A sentence that does not parse or names something that does not exist."""


#: Time units a sentence may use, in seconds.
UNITS = {"s": 1.0, "sec": 1.0, "second": 1.0, "seconds": 1.0, "min": 60.0, "minute": 60.0,
         "minutes": 60.0, "h": 3600.0, "hour": 3600.0, "hours": 3600.0}
_NUMBER_UNIT = re.compile(r"(\d+(?:\.\d+)?)([a-z]*)")

# -- windows ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Anchor:
    """A moment named in a window: the start, the end, a time, or a step (by number or name)."""

    kind: str                 # start | end | time | step
    time: float = 0.0
    step: str | None = None   # as written: "2" or a step name

    def text(self) -> str:
        """The anchor as a sentence writes it: `start`, `end`, a time (`90 s`) or `step N`."""
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
        """The window as it was written in the expectation."""
        return self.written


AT_END = Window("instant", Anchor("end"), written="at end")
THROUGHOUT = Window("always", Anchor("start"), Anchor("end"), written="throughout")


@dataclass
class Expectation:
    """A parsed sentence: its text (whitespace normalised), what it checks and when."""

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
    """Parse one expectation: `BODY [WINDOW]` or `WINDOW: BODY` (the grammar of the
    `console.drills` docstring; times in seconds). Raises `ExpectationError` naming what was
    expected and what was found."""
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
            seen = _event(tokens, present=False)
            if tokens.peek() == "before":
                tokens.fail("a window or the end of the sentence ('no event' takes no order: "
                            "write 'event A before event B')")
            return seen
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
        first = _event(tokens, present=True)
        if tokens.accept("before"):
            tokens.expect("event", what="'event KIND [for SUBJECT]' after 'before'")
            return EventOrder(first, _event(tokens, present=True))
        return first
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
    if not math.isfinite(value):  # 1 and 400 zeros reads as inf: "below inf" always held
        raise ExpectationError(f"cannot read {tokens.sentence!r}: {word[:20]!r}... is too "
                               "large a number")
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
