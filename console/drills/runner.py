"""Running a drill: steps on schedule, expectations scored as the model moves, a report at the end.

`DrillSession` drives one engine through a drill. Headless, `run()` calls `advance_to(duration)`
and `finish()`; an interactive drill (console.drills.live.LiveDrill) calls `advance_to(t)` as its
Session's time passes, hands the session's one door for commands (`Session.submit`) in as
`submit_step` so that steps are recorded like keys, calls `submit()` for the operator's commands,
and reads `live()` for its drill panel.

The engine is driven exactly as `simulate` drives it (`console.replay.run`): the steps of one
instant land together, in file order, before that instant's timers (`Engine.submit_at`), and the
clock is never moved in any other way. The session merely stops between timer instants to
look, so a drill's event log is byte for byte the log `simulate` prints for the same cluster,
seed, commands and duration.

Looking is cheap: the session checks after each instant at which the model emitted an event (state
only changes with an event), before and after each step, and at every time a window names (so a
window boundary is looked at even when nothing happens then).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from console.drills.checks import EventCheck, View, lost_vms, service_downtime
from console.drills.plan import Drill, DrillExpectation
from console.drills.report import ExpectationResult, IncidentReport, Report, StepResult, seconds
from console.formats.drill import Step
from console.formats.timed import TimedCommand
from console.model.commands import Command, FailNode, Isolate, PowerOff
from console.model.engine import Engine
from console.model.entities import ServiceState
from console.model.events import Event
from console.model.kernel import Outcome
from console.model.summary import summary
from console.session import DRILL, OPERATOR

#: Steps that change the membership: a host that loses quorum loses it to them.
MEMBERSHIP_STEPS = (FailNode, PowerOff, Isolate)

ClockHandler = Callable[[float, Command], None]
Submitter = Callable[[Command], Outcome]
#: Told of each command a headless run submitted: (simulated time, command, outcome, who gave
#: it: "drill" for a step, "operator" for `drill --do`).
SubmitHandler = Callable[[float, Command, Outcome, str], None]


@dataclass
class Incident:
    """A disruptive step and the outages it caused, until all of them are over.

    An outage (a VM or a service going down) belongs to the incident whose step caused it,
    whenever it begins (at once, or at detection after later steps), never to whichever step
    came last: see `DrillSession._cause`. So two crashes of one host are two incidents, each
    with its own recovery time, and two hosts cut at one instant are two incidents, each with
    its own VMs."""

    step: int
    t: float
    command: str
    candidates: frozenset[tuple[str, str]]  # what its step acted on: ("vm"|"service", name)
    vms: list[str] = field(default_factory=list)
    services: list[str] = field(default_factory=list)
    recovered_at: float | None = None
    outstanding: list[str] = field(default_factory=list)

    def affected(self) -> bool:
        """Whether anything went down in this incident (a VM or a service)."""
        return bool(self.vms or self.services)

    @property
    def recovery_s(self) -> float | None:
        """Simulated seconds from the step to the moment all it took down was back; None until
        then."""
        return None if self.recovered_at is None else self.recovered_at - self.t


@dataclass
class _Track:
    """The live score of one expectation."""

    item: DrillExpectation
    passed: bool | None = None
    observed: str = ""
    at: float | None = None
    checks: int = 0
    last: tuple[str, float] | None = None
    scanned: int = 0   # event checks, live: the log is looked at up to here


class DrillSession:
    """One drill driven over one engine (a new one built from the drill's cluster and seed unless
    given): steps on schedule, expectations scored, a `Report` at the end.

    `on_clock` receives the clock steps (speed, pause, resume) with the time they fall due; without
    it they are skipped. `submit_step` is how a step's command reaches the engine.
    `on_submit(t, command, outcome, source)` is told of every step and (`run`) operator's
    command just after it was submitted (a headless drill's journal: `drill --journal`)."""

    def __init__(self, drill: Drill, engine: Engine | None = None, *,
                 on_clock: ClockHandler | None = None,
                 submit_step: Submitter | None = None,
                 on_submit: SubmitHandler | None = None) -> None:
        self.drill = drill
        self.on_submit = on_submit
        self.engine = engine if engine is not None else Engine(drill.build_cluster(), drill.seed)
        self.on_clock = on_clock
        #: How a step's command reaches the engine: `engine.submit` itself by default; an
        #: interactive drill passes its session's door (`Session.submit`), which submits it to
        #: this same engine and tells the listeners (the recorder), so a step is recorded like a
        #: key.
        self.submit_step: Submitter = submit_step or self.engine.submit
        self.view = View(self.engine)
        self.incidents: list[Incident] = []
        self.view.incidents = self.incidents
        self.results: list[StepResult] = []
        self._next_step = 0
        self._log_before: dict[int, int] = {}
        self._log_after: dict[int, int] = {}
        self._dirty = False
        self._finished: Report | None = None
        self._tracks = [_Track(item) for item in drill.expectations]
        self._watching = [t for t in self._tracks if not isinstance(t.item.expectation.check,
                                                                    EventCheck)]
        self._points = sorted({t for item in drill.expectations for t in item.span.times()
                               if t <= drill.duration})
        self._next_point = 0
        self._was_down: frozenset[tuple[str, str]] = frozenset()
        #: The latest accepted step that acted on a VM or service: its incident, or None for a
        #: planned step (maintenance, migrate, vm-power ...), whose outages are nobody's.
        self._acted: dict[tuple[str, str], Incident | None] = {}
        #: Nodes in a partition without quorum, and the incident open when they lost it.
        self._quorum_cause: dict[str, Incident] = {}
        for event in self.engine.log.events:  # an engine that ran before the drill began
            self._on_event(event)
        self.engine.log.subscribe(self._on_event)
        self._observe("start")

    # -- driving -------------------------------------------------------------------------------

    @property
    def done(self) -> bool:
        """Whether `finish()` has run."""
        return self._finished is not None

    def next_step(self) -> Step | None:
        """The next step not yet run, or None when all have run."""
        steps = self.drill.steps
        return steps[self._next_step] if self._next_step < len(steps) else None

    def advance_to(self, until: float) -> None:
        """Bring the drill to `until` (at most its duration): due steps, the timers due before
        `until` and the looks. The instant `until` stays open (its timers wait, as in a live
        session, so an operator's command now lands before them) until time moves on or the
        drill finishes."""
        self._advance(min(until, self.drill.duration), close=False)

    def _advance(self, until: float, *, close: bool) -> None:
        """Instant by instant up to `until`: at each, the steps first (together, in file
        order), then its timers, then the looks its windows name (`at T` is after everything
        at T). With `close`, the instant `until` itself is completed too."""
        engine = self.engine
        while True:
            step = self.next_step()
            at = math.inf if step is None else step.at
            due = engine.clock.next_due()
            due = math.inf if due is None else due
            point = (self._points[self._next_point] if self._next_point < len(self._points)
                     else math.inf)
            if step is not None and at <= until and at <= due and at <= point:
                engine.run_before(at)  # nothing is due before it: this stands the clock there
                self._run_step(step)
            elif due <= point and (due < until or (close and due <= until)):
                engine.run_until(due)  # every timer of that instant, in the model's order
                if self._dirty:
                    self._observe("instant")
            elif point < until or (close and point <= until):
                engine.run_until(point)
                self._next_point += 1
                self._observe("point")
            else:
                break
        if until > engine.now:
            engine.run_before(until)
        if close:
            engine.run_until(until)

    def submit(self, command: Command) -> Outcome:
        """An operator's command, now (the interactive drill). It opens no incident; what it
        acts on goes down by the operator's doing, not by an earlier step's (see `_cause`)."""
        self._observe("pre-command")
        acted_on = self._exposed(command)
        outcome = self.engine.submit(command)
        if outcome.accepted:
            for subject in acted_on:
                self._acted[subject] = None
        self._observe("command")
        return outcome

    def run(self, operator: Iterable[TimedCommand] = ()) -> Report:
        """Headless: the whole drill as fast as the machine allows. `operator`: the operator's
        commands at their times (`drill --do`), each submitted as the console submits a key
        at that moment (`submit`: after the steps of that instant, before its timers)."""
        for timed in sorted(operator, key=lambda c: c.t):
            self.advance_to(timed.t)
            outcome = self.submit(timed.command)
            if self.on_submit is not None:
                self.on_submit(self.engine.now, timed.command, outcome, OPERATOR)
        self.advance_to(self.drill.duration)
        return self.finish()

    def finish(self) -> Report:
        """Run to the drill's duration, score the remaining expectations and return the `Report`
        (once; later calls return the same report)."""
        if self._finished is None:
            self._advance(self.drill.duration, close=True)
            self._observe("end")
            self._score_events()
            self.engine.log.unsubscribe(self._on_event)
            self._finished = self._report()
        return self._finished

    def _run_step(self, step: Step) -> None:
        self._observe("pre-step")
        candidates = self._exposed(step.command)
        self._log_before[step.index] = len(self.engine.log)
        if step.clock:
            if self.on_clock is not None:
                self.on_clock(self.engine.now, step.command)
            result = StepResult(step.number, step.at, step.command.text(), "clock",
                                "handled by the console's clock; skipped headless"
                                if self.on_clock is None else "handled by the console's clock")
        else:
            outcome = self.submit_step(step.command)
            if self.on_submit is not None:
                self.on_submit(self.engine.now, step.command, outcome, DRILL)
            result = StepResult(step.number, step.at, step.command.text(),
                                "accepted" if outcome.accepted else "refused", outcome.reason)
        self._log_after[step.index] = len(self.engine.log)
        self.results.append(result)
        self._next_step += 1
        if result.outcome == "accepted":
            incident = None
            if step.incident:
                incident = Incident(step.index, step.at, step.command.text(), candidates)
                self.incidents.append(incident)
            for subject in candidates:
                self._acted[subject] = incident
        self._observe("post-step")

    # -- looking -------------------------------------------------------------------------------

    def _on_event(self, event: Event) -> None:
        self._dirty = True
        kinds, subjects = self.view.kinds, self.view.subjects
        kinds[event.kind] = kinds.get(event.kind, 0) + 1
        key = (event.kind, event.subject)
        subjects[key] = subjects.get(key, 0) + 1
        if event.kind == "quorum_lost":
            membership = [i for i in self.incidents if i.recovered_at is None
                          and isinstance(self.drill.steps[i.step].command, MEMBERSHIP_STEPS)]
            if membership:
                self._quorum_cause[event.subject] = membership[-1]
        elif event.kind == "quorum_regained":
            self._quorum_cause.pop(event.subject, None)

    def _exposed(self, command: Command) -> frozenset[tuple[str, str]]:
        """What a step acts on: the VMs on (or in flight to) the node it names and the services
        whose active member is among them; or the VM it names and the service it is the
        active member of; or the service it names. (A passive member's host going away takes
        no service down.)"""
        cluster = self.engine.cluster
        service = getattr(command, "service", None)
        if isinstance(service, str):
            return frozenset({("service", service)})
        node, vm = getattr(command, "node", None), getattr(command, "vm", None)
        if isinstance(vm, str):
            vms = {vm}
        elif isinstance(node, str):
            vms = {name for name, v in cluster.vms.items() if node in (v.host, v.target)}
        else:
            return frozenset()
        services = {s.name for s in cluster.services.values() if s.active in vms}
        return frozenset({("vm", n) for n in vms} | {("service", n) for n in services})

    def _down(self) -> frozenset[tuple[str, str]]:
        cluster = self.engine.cluster
        return frozenset([("vm", vm.name) for vm in cluster.vms.values()
                          if vm.down_since is not None]
                         + [("service", s.name) for s in cluster.services.values()
                            if s.state is not ServiceState.ONLINE])

    def _observe(self, tag: str) -> None:
        self._dirty = False
        now = self.engine.now
        down = self._down()
        self._attribute(down - self._was_down)
        for incident in self.incidents:
            if incident.recovered_at is None:
                self._follow(incident, down, now)
        self._was_down = down
        done = self._next_step  # steps submitted so far
        keep = []
        for track in self._watching:
            span = track.item.span
            if span.mode == "instant":
                kind, where = span.instant  # type: ignore[misc]
                hit = ((tag == kind == "start") or (tag == kind == "end")
                       or (tag == "post-step" and kind == "step" and where == done - 1)
                       or (tag == "point" and kind == "point" and abs(where - now) < 1e-9))
                if hit:
                    ok, seen = track.item.expectation.check.evaluate(self.view)
                    track.passed, track.observed, track.at = ok, f"{seen} at {seconds(now)}", now
                else:
                    keep.append(track)
                continue
            self._score(track, now)
            if track.passed is None:
                keep.append(track)
        self._watching = keep

    def _score(self, track: _Track, now: float) -> None:
        span = track.item.span
        if not span.contains(now, self._next_step):
            return
        ok, seen = track.item.expectation.check.evaluate(self.view)
        track.checks += 1
        if span.mode == "eventually":
            if ok:
                after = now - span.origin
                track.passed, track.at = True, now
                track.observed = f"{seen} at {seconds(now)} ({seconds(after)} after " \
                                 f"{span.origin_text})"
            else:
                track.last = (seen, now)
        elif not ok:
            track.passed, track.at = False, now
            track.observed = f"{seen} at {seconds(now)}"
        else:
            track.last = (seen, now)

    def _attribute(self, started: frozenset[tuple[str, str]]) -> None:
        """Give each outage that began since the last look to the incident that caused it."""
        for subject in sorted(started):
            incident = self._cause(subject)
            if incident is None:
                continue
            space, name = subject
            names = incident.vms if space == "vm" else incident.services
            if name not in names:
                names.append(name)

    def _cause(self, subject: tuple[str, str]) -> Incident | None:
        """The open incident that caused an outage of `subject` ("vm"|"service", name), or None.

        The latest accepted step that acted on it (`_exposed`: the node it named and what was
        on it, the VM or the service it named) caused it if that step opened an incident still
        open. Otherwise, when its node sits in a partition without quorum (a `quorum_lost`
        event), the membership incident (fail-node, power-off, isolate) open when that node
        lost quorum caused it: the host went down with the others' loss. Otherwise it is
        nobody's: a planned step's doing (a maintenance evacuation, a failback after it) or a
        recovered incident's aftermath."""
        incident = self._acted.get(subject)
        if incident is not None and incident.recovered_at is None:
            return incident
        for node in self._nodes_of(subject):
            cause = self._quorum_cause.get(node)
            if cause is not None and cause.recovered_at is None:
                return cause
        return None

    def _nodes_of(self, subject: tuple[str, str]) -> list[str]:
        cluster = self.engine.cluster
        space, name = subject
        names = [name] if space == "vm" else list(cluster.services[name].members)
        return sorted({vm.host for vm in (cluster.vms.get(n) for n in names)
                       if vm is not None and vm.host is not None})

    @staticmethod
    def _follow(incident: Incident, down: frozenset[tuple[str, str]], now: float) -> None:
        affected = {("vm", n) for n in incident.vms} | {("service", n)
                                                        for n in incident.services}
        if affected and not affected & down:
            incident.recovered_at = now

    def _score_events(self) -> None:
        for track in self._tracks:
            check = track.item.expectation.check
            if isinstance(check, EventCheck):
                passed, track.observed, track.at = check.verdict(
                    self._window_events(track.item), True, self._window_text(track.item))
                track.passed = bool(passed)

    def _window_events(self, item: DrillExpectation) -> list[Event]:
        """The events of an event check's window, in log order."""
        lo, hi = self._event_range(item)
        return [e for e in self.engine.log.events[lo:hi] if self._in_time(item.span, e.t)]

    def _event_range(self, item: DrillExpectation) -> tuple[int, int]:
        span, total = item.span, len(self.engine.log)
        if span.mode == "instant" and span.instant and span.instant[0] == "step":
            k = int(span.instant[1])
            return self._log_before.get(k, total), self._log_after.get(k, total)
        lo = self._log_before.get(span.start_step, total) if span.start_step is not None else 0
        hi = self._log_before.get(span.end_step, total) if span.end_step is not None else total
        return lo, hi

    def _in_time(self, span, t: float) -> bool:
        if span.mode == "instant":
            kind, where = span.instant
            return kind == "step" or abs(t - where) < 1e-9
        if span.start_time is not None and t < span.start_time - 1e-9:
            return False
        return not (span.end_time is not None and t > span.end_time + 1e-9)

    def _window_text(self, item: DrillExpectation) -> str:
        written = item.expectation.window.text()
        return written if written else "during the drill"

    # -- the report ----------------------------------------------------------------------------

    def live(self) -> list[ExpectationResult]:
        """The expectations' scores so far: passed True/False, or None while undecided.

        Event checks are decided at the end (`finish`), but one is often known before: when
        the event it looks for is seen in its window (`event ...` passes, `no event ...` fails),
        or the second event of an order (`event A before event B`); live scoring says so as
        soon as it is."""
        if self._finished is None:
            for track in self._tracks:
                if track.passed is None and isinstance(track.item.expectation.check, EventCheck):
                    self._peek_events(track)
        return [self._result(track, final=False) for track in self._tracks]

    def _peek_events(self, track: _Track) -> None:
        check = track.item.expectation.check
        assert isinstance(check, EventCheck)
        hi = self._event_range(track.item)[1]
        if hi > track.scanned:  # something new in the window
            track.passed, track.observed, track.at = check.verdict(
                self._window_events(track.item), False, self._window_text(track.item))
            track.scanned = hi

    def _result(self, track: _Track, final: bool) -> ExpectationResult:
        passed, observed, at = track.passed, track.observed, track.at
        if passed is None and final:
            span = track.item.span
            if span.mode == "eventually":
                last = (f"; last seen {track.last[0]} at {seconds(track.last[1])}"
                        if track.last else "")
                passed, observed = False, f"not within the window{last}"
            elif span.mode == "always" and track.checks:
                seen = track.last[0] if track.last else ""
                passed = True
                observed = f"{seen} (held at all {track.checks} checks)"
            else:
                passed, observed = False, "never checked (the window was never reached)"
        return ExpectationResult(track.item.number, track.item.text, track.item.name, passed,
                                 observed, at)

    def _report(self) -> Report:
        engine = self.engine
        cluster = engine.cluster
        incidents = []
        for incident in self.incidents:
            outstanding = []
            if incident.recovered_at is None:
                for name in incident.vms:
                    vm = cluster.vms[name]
                    if vm.down_since is not None:
                        outstanding.append(f"{name} {vm.state.value}")
                for name in incident.services:
                    service = cluster.services[name]
                    if service.state is not ServiceState.ONLINE:
                        outstanding.append(f"{name} {service.state.value}")
            incidents.append(IncidentReport(incident.step + 1, incident.t, incident.command,
                                            list(incident.vms), list(incident.services),
                                            incident.recovered_at, incident.recovery_s,
                                            outstanding))
        vm_down = {name: round(vm.downtime_until(engine.now), 3)
                   for name, vm in cluster.vms.items()}
        svc_down = {name: round(service_downtime(self.view, name), 3)
                    for name in cluster.services}
        expectations = [self._result(track, final=True) for track in self._tracks]
        return Report(
            drill=self.drill.name, file=self.drill.path, description=self.drill.description,
            cluster=cluster.name, cluster_file=self.drill.cluster_file, seed=self.drill.seed,
            duration=self.drill.duration, events=len(engine.log),
            passed=all(r.passed for r in expectations), expectations=expectations,
            steps=list(self.results), incidents=incidents,
            vm_downtime=_nonzero(vm_down), service_downtime=_nonzero(svc_down),
            lost=lost_vms(self.view), summary=summary(engine))


def _nonzero(values: dict[str, float]) -> dict[str, float]:
    return dict(sorted(((k, v) for k, v in values.items() if v > 0),
                       key=lambda kv: (-kv[1], kv[0])))


def run_drill(drill: Drill, *, on_clock: ClockHandler | None = None,
              engine: Engine | None = None,
              operator: Iterable[TimedCommand] = ()) -> tuple[Report, Engine]:
    """Run a drill headless, with the operator's timed commands if given (`DrillSession.run`);
    the report and the engine (for its event log)."""
    session = DrillSession(drill, engine, on_clock=on_clock)
    return session.run(operator), session.engine
