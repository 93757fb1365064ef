"""The Session (console.session): the one command door, the clock, listeners, read-only, marks,
drivers, and the header's imbalance cache. No Textual: a Session is driven directly."""

from __future__ import annotations

from cluster_helpers import make_engine

from console.model.commands import LocalReading, Migrate, Pause, Resume, Speed, parse
from console.model.kernel import Outcome
from console.session import (
    DRILL,
    MAX_STEP_S,
    OBSERVATION,
    OPERATOR,
    Heard,
    Session,
    SessionClock,
)


def heard_by(session: Session) -> list[Heard]:
    heard: list[Heard] = []
    session.add_listener(heard.append)
    return heard


def test_clock_steps_speeds_and_commands():
    clock = SessionClock(speed=2.0)
    assert clock.step_for(0.5) == 1.0
    assert clock.handle(Pause()).accepted and clock.step_for(1.0) == 0.0
    assert not clock.handle(Pause()).accepted
    assert clock.handle(Resume()).accepted and not clock.handle(Resume()).accepted
    assert clock.faster() == 4.0 and clock.slower() == 1.0
    assert not clock.handle(Speed(0)).accepted and clock.speed == 2.0
    assert clock.handle(Speed(8)).reason == "x8" and clock.label() == "x8"
    assert clock.step_for(100.0) == MAX_STEP_S * 8  # a stalled terminal does not jump far
    assert not clock.handle(parse("fail-node B")).accepted


def test_one_door_clock_commands_on_the_clock_the_rest_in_the_engine():
    session = Session(make_engine(), paused=True)
    heard = heard_by(session)
    assert session.submit(Resume()).accepted and not session.clock.paused
    assert session.engine.command_log == []  # the engine never sees clock commands
    session.advance(12.5)
    outcome = session.submit(parse("fail-node B"))
    assert outcome.accepted and not session.engine.cluster.nodes["B"].powered
    refused = session.submit(parse("fail-node B"), source=DRILL)
    assert not refused.accepted
    assert [(h.t, h.source, h.command.text(), h.outcome.accepted) for h in heard] == [
        (0.0, OPERATOR, "resume", True),
        (12.5, OPERATOR, "fail-node B", True),
        (12.5, DRILL, "fail-node B", False),
    ]


def test_tick_turns_real_seconds_into_simulated_ones():
    session = Session(make_engine(), speed=4.0)
    assert session.tick(0.25) == 1.0 and session.now == 1.0
    session.submit(Pause())
    assert session.tick(10.0) == 0.0 and session.now == 1.0


def test_the_clock_stops_at_the_longest_time_a_recording_holds(monkeypatch):
    """A console at full speed would pass 30 days within minutes; its recording must replay,
    and a recording holds no time beyond MAX_TIME_S (here made 100 s, to stay fast)."""
    import console.session

    monkeypatch.setattr(console.session, "MAX_TIME_S", 100.0)
    session = Session(make_engine(), speed=30.0)
    session.advance(90.0)
    assert session.tick(1.0) == 10.0 and session.now == 100.0
    assert session.tick(1.0) == 0.0 and session.clock.paused


def test_read_only_refuses_mutations_but_lets_observations_in():
    engine = make_engine()
    engine.cluster.nodes["C"].local = True
    session = Session(engine, read_only=True)
    heard = heard_by(session)
    refused = session.submit(parse("maintenance A on"))
    assert not refused.accepted and "read-only" in refused.reason
    assert not engine.cluster.nodes["A"].maintenance
    assert session.submit(LocalReading("C", 0.5, 0.5, 0.5), source=OBSERVATION).accepted
    assert session.submit(Speed(2)).accepted  # the clock is not the model
    assert [h.outcome.accepted for h in heard] == [False, True, True]
    assert engine.read_only
    session.read_only = False
    assert session.submit(parse("maintenance A on")).accepted


class Gate:
    """A driver that refuses every operator command but `speed`, and counts what it moved."""

    def __init__(self) -> None:
        self.moved_to: list[float] = []
        self.handled: list[str] = []

    def advance_to(self, t: float) -> None:
        self.moved_to.append(t)

    def refusal(self, command):
        return None if command.verb in ("speed", "migrate") else "the gate is closed"

    def operator_command(self, command):
        self.handled.append(command.text())
        return Outcome.refuse("handled by the gate")


def test_a_driver_answers_the_operator_and_moves_time():
    session = Session(make_engine())
    heard = heard_by(session)
    gate = Gate()
    session.drive(gate)
    refused = session.submit(parse("fail-node B"))
    assert refused.reason == "the gate is closed" and heard == []  # nothing happened
    assert session.submit(Speed(4)).accepted
    assert session.submit(Migrate("web01")).reason == "handled by the gate"
    assert gate.handled == ["migrate web01"]
    assert session.submit(parse("fail-node B"), source=DRILL).accepted  # not the operator's
    session.advance(30)
    assert gate.moved_to == [30.0] and session.now == 0.0  # the driver owns time
    assert [h.command.verb for h in heard] == ["speed", "migrate", "fail-node"]


class FakeRecorder:
    def __init__(self) -> None:
        self.lines: list[tuple[float, str, str]] = []
        self.closed = False
        self.clean: bool | None = None

    def command(self, t, command) -> None:
        self.lines.append((t, "command", command.text()))

    def mark(self, t, label) -> None:
        self.lines.append((t, "mark", label))

    def close(self, end=None, *, clean=True) -> None:
        self.lines.append((end, "end", ""))
        self.closed, self.clean = True, clean


def test_the_recorder_is_a_listener_and_close_ends_it():
    session = Session(make_engine())
    assert not session.recording
    recorder = FakeRecorder()
    session.record(recorder)
    assert session.recording
    session.submit(Speed(2))
    session.advance(5)
    session.mark("before the crash")
    session.submit(parse("fail-node B"))
    session.advance(5)
    session.close()
    assert recorder.lines == [(0.0, "command", "speed 2"), (5.0, "mark", "before the crash"),
                              (5.0, "command", "fail-node B"), (10.0, "end", "")]
    assert recorder.clean and not session.recording
    session.submit(parse("fail-node A"))  # after the end: nothing more is written
    session.close(clean=False)
    assert len(recorder.lines) == 4


def test_a_crash_closes_the_recording_without_its_end():
    session = Session(make_engine())
    recorder = FakeRecorder()
    session.record(recorder)
    session.close(clean=False)
    assert recorder.closed and recorder.clean is False


def test_listeners_can_stop_listening():
    session = Session(make_engine())
    heard = heard_by(session)
    session.remove_listener(heard.append)
    session.submit(Speed(2))
    assert heard == []


def test_the_imbalance_is_measured_once_per_ten_simulated_seconds(monkeypatch):
    from console.model import views

    session = Session(make_engine())
    calls: list[float] = []
    real = views.measure_imbalance

    def counting(engine):
        calls.append(engine.now)
        return real(engine)

    monkeypatch.setattr(views, "measure_imbalance", counting)
    first = session.imbalance()
    session.advance(4)
    assert session.imbalance() == first and calls == [0.0]
    session.advance(6)
    session.imbalance()
    assert calls == [0.0, 10.0]
    other = Session(make_engine())  # each session its own cache
    other.imbalance()
    assert calls == [0.0, 10.0, 0.0]


def test_a_key_at_an_instant_lands_before_that_instants_timers_and_close_completes_it():
    """The live console keeps the one rule for when a command lands (`Engine.submit_at`): the
    clock standing at T has run the timers due before T, not those due at T."""
    session = Session(make_engine())
    fired: list[float] = []
    session.engine.schedule_at(10.0, lambda: fired.append(session.now))
    session.advance(10.0)
    assert session.now == 10.0 and fired == []
    session.submit(parse("fail-node B"))
    assert fired == []
    session.close()
    assert fired == [10.0]
    kinds = [e.kind for e in session.engine.log.events if e.t == 10.0]
    assert kinds[0] == "command"
