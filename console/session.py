"""The Session: one running cluster, its simulated clock, and the one door commands enter by.

Every change of state, whoever asks for it, enters through `Session.submit(command)` and is
answered with an `Outcome`: an operator's key, the palette, a typed command, an interactive
drill's step, a replayed recording's entry, and an observation of the real world (a `--local`
psutil reading). Clock commands (`speed`, `pause`, `resume`) are the session's clock's business;
every other command is the engine's (console.model.engine.Engine.submit).

Whoever wants to know what happened adds a listener (`add_listener`): it hears every command that
reached the clock or the engine, accepted or refused, with the simulated time, and every mark. The
recorder is one listener (`record`); a viewer (the console) is another.

A driver (`drive`) may stand between the session and its time: an interactive drill's steps and a
replay's recorded entries fall due as the session's time passes, and enter through the same door.
A driver may also refuse an operator's command before it reaches anything (a replay shows
history; a drill that ended is over); such a refusal is not heard, since nothing happened.

Wall-clock time enters only at `tick(real_seconds)`: the clock turns it into simulated seconds
(speed x real, at most `MAX_STEP_S` real seconds at once, nothing while paused). It stops at
`MAX_TIME_S` (30 days), the longest time a recording may hold, so that every session replays.
Tests call `advance(seconds)` instead and never sleep. No Textual here: a headless front-end, a
test or a second viewer drives a Session the same way the console does.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from console.formats.timed import MAX_TIME_S
from console.model import views
from console.model.commands import CLOCK_COMMANDS, MAX_SPEED, Command, Pause, Resume, Speed
from console.model.engine import Engine
from console.model.kernel import Outcome

if TYPE_CHECKING:  # a key's question, imported when one is asked: not before the first frame
    from console.model.preview import Preview

#: The speeds `+` and `-` step through (simulated seconds per real second).
SPEEDS = (0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 60.0, 120.0, 300.0, 600.0)
#: Real seconds one tick may account for at most: a suspended terminal does not jump the model
#: by hours when it wakes.
MAX_STEP_S = 5.0

#: Who submitted a command (`Heard.source`).
OPERATOR = "operator"        # keys, the palette, the command line
DRILL = "drill"              # an interactive drill's step
REPLAY = "replay"            # a recorded command played back
LEADER = "leader"            # a journaled command played back by a follower (console.follow)
OBSERVATION = "observation"  # a reading of the real world, from a source

#: Why an observation (`reading`) from the operator (a key, the palette, the command line) is
#: refused. A drill step's goes to the engine like any step (no drill cluster has a local node).
OBSERVATION_REFUSAL = "observations come only from the source (--local), not from the operator"


class SessionClock:
    """The session's simulated clock: a speed (simulated seconds per real second, above 0 and at
    most MAX_SPEED) and a pause. It never moves the model itself; `step_for` says how far a real
    interval takes it."""

    def __init__(self, speed: float = 1.0, paused: bool = False) -> None:
        self.speed = speed
        self.paused = paused

    def step_for(self, real_elapsed: float) -> float:
        """Simulated seconds for `real_elapsed` real seconds: 0 while paused or for a
        non-positive interval; the interval is capped at MAX_STEP_S."""
        if self.paused or real_elapsed <= 0:
            return 0.0
        return min(real_elapsed, MAX_STEP_S) * self.speed

    def faster(self) -> float:
        """The next speed up from SPEEDS (the fastest stays)."""
        return next((s for s in SPEEDS if s > self.speed + 1e-9), SPEEDS[-1])

    def slower(self) -> float:
        """The next speed down from SPEEDS (the slowest stays)."""
        return next((s for s in reversed(SPEEDS) if s < self.speed - 1e-9), SPEEDS[0])

    def handle(self, command: Command) -> Outcome:
        """Apply a clock command: `speed X` (refused outside 0 < X <= MAX_SPEED), `pause`
        (refused when paused), `resume` (refused when running); any other command is refused."""
        if isinstance(command, Speed):
            if not 0 < command.factor <= MAX_SPEED:
                return Outcome.refuse(f"speed must be above 0 and at most {MAX_SPEED:g}, "
                                      f"got {command.factor:g}")
            self.speed = command.factor
            return Outcome.ok(f"x{self.speed:g}")
        if isinstance(command, Pause):
            if self.paused:
                return Outcome.refuse("the clock is already paused")
            self.paused = True
            return Outcome.ok()
        if isinstance(command, Resume):
            if not self.paused:
                return Outcome.refuse("the clock is already running")
            self.paused = False
            return Outcome.ok()
        return Outcome.refuse(f"{command.verb} is not a clock command")

    def label(self) -> str:
        """`PAUSED`, or the speed as `x4`."""
        return "PAUSED" if self.paused else f"x{self.speed:g}"


@dataclass(frozen=True, slots=True)
class Heard:
    """What a listener hears: a command that reached the clock or the engine (`command` and its
    `outcome`), a mark (`label`, no command), or the operator's selection on screen
    (`selection`, `PANE ROW`: console.ui.selection). `t` is the simulated time in seconds;
    `source` is OPERATOR, DRILL, REPLAY, LEADER or OBSERVATION (a mark's and a selection's is
    OPERATOR)."""

    t: float
    source: str
    command: Command | None = None
    outcome: Outcome | None = None
    label: str | None = None
    selection: str | None = None


Listener = Callable[[Heard], None]


class Driver(Protocol):
    """Something that drives a session's time: an interactive drill, a replay player."""

    def advance_to(self, t: float) -> None:
        """Bring the session to simulated time `t` (seconds), submitting what falls due."""

    def refusal(self, command: Command) -> str | None:
        """Why the operator may not run `command` now, or None to let it through."""

    def operator_command(self, command: Command) -> Outcome:
        """Hand an operator's model command (not a clock command) to the engine."""


class JournalLike(Protocol):
    """What the session asks of a journal (console.formats.journal's `JournalWriter`): what a
    recorder is asked, with each command's outcome and source, and the time as it passes."""

    closed: bool

    def command(self, t: float, command: Command, outcome: Outcome | None = None,
                source: str | None = None) -> None:
        """Write `command`, heard at `t` simulated seconds, answered `outcome`, from `source`."""

    def mark(self, t: float, label: str) -> None:
        """Write a mark named `label` at `t` simulated seconds."""

    def select(self, t: float, selection: str) -> None:
        """Write the operator's selection (`PANE ROW`) from `t` simulated seconds on."""

    def time(self, t: float, *, force: bool = False) -> None:
        """Simulated time has reached `t` (written at most a few times a second unless
        `force`)."""

    def close(self, end: float | None = None, *, clean: bool = True) -> None:
        """Write the end line at `end` simulated seconds when `clean`, and close."""


def tell_journal(journal: JournalLike, heard: Heard) -> None:
    """Hand `journal` what a session heard: a command with its outcome and source, a mark or a
    selection."""
    if heard.command is not None:
        journal.command(heard.t, heard.command, heard.outcome, heard.source)
    elif heard.label is not None:
        journal.mark(heard.t, heard.label)
    elif heard.selection is not None:
        journal.select(heard.t, heard.selection)


class RecorderLike(Protocol):
    """What the session asks of a recorder (console's recording format's `Recorder`)."""

    closed: bool

    def command(self, t: float, command: Command) -> None:
        """Write `command`, heard at `t` simulated seconds (a clock command as a clock line)."""

    def mark(self, t: float, label: str) -> None:
        """Write a mark named `label` at `t` simulated seconds."""

    def select(self, t: float, selection: str) -> None:
        """Write the operator's selection (`PANE ROW`) from `t` simulated seconds on."""

    def close(self, end: float | None = None, *, clean: bool = True) -> None:
        """Write the end line at `end` simulated seconds when `clean` (none otherwise, as after a
        crash), and close."""


#: Up to this many VMs the imbalance is measured as time goes; a bigger cluster shows its last
#: balancer pass (measuring 20,000 VMs costs ~60 ms: too much for one header line).
LIVE_IMBALANCE_VMS = 2000
IMBALANCE_STEP_S = 10.0


class Session:
    """An engine, its clock, the one command door and the listeners.

    `read_only` refuses every mutating command (the engine's own check, so a recording of a
    read-only session replays its refusals); what changes nothing (a dry run, the clock) passes.
    Observations (`reading`) are not mutating and pass, but only from a source (OBSERVATION) or
    a replay: the operator's (keys, the palette, the command line) is refused, not heard and
    not recorded, since a typed one would be shown and recorded as the machine's real load.
    """

    def __init__(self, engine: Engine, *, speed: float = 1.0, paused: bool = False,
                 read_only: bool = False) -> None:
        self.engine = engine
        self.clock = SessionClock(speed, paused)
        self.read_only = read_only
        self.driver: Driver | None = None
        #: Why the session's source cannot carry a command out (None: it can); set by a source
        #: whose hosts are real (console.sources). Asked before the driver, for the operator's
        #: and a drill's commands; such a refusal is not heard: nothing happened.
        self.capability: Callable[[Command], str | None] | None = None
        #: Node name -> where that real host is (its connection, a URI with secrets redacted),
        #: for the nodes a source connects to; empty for a simulated cluster. Screens name the
        #: real host in what they ask before a destructive action.
        self.real_hosts: dict[str, str] = {}
        #: Node name -> how its real host's figures are read (how often, so how old a VM's may
        #: be), one line, set by a source that reads them (a node's details show it).
        self.readings: dict[str, str] = {}
        self.recorder: RecorderLike | None = None
        self.journal: JournalLike | None = None
        self._listeners: list[Listener] = []
        self._imbalance: tuple[float, float] | None = None  # (10 s bucket, measured value)

    # -- state --------------------------------------------------------------------------------

    @property
    def now(self) -> float:
        """Simulated seconds since the session began."""
        return self.engine.now

    @property
    def read_only(self) -> bool:
        """Whether every mutating command is refused (kept by the engine, which does the
        refusing)."""
        return self.engine.read_only

    @read_only.setter
    def read_only(self, value: bool) -> None:
        self.engine.read_only = value

    def replace_engine(self, engine: Engine) -> None:
        """Continue on `engine` instead (a replay seeking back swaps in a model re-simulated to
        the earlier instant); what was measured of the old one is forgotten. The clock, the
        driver and the listeners stay."""
        self.engine = engine
        self._imbalance = None

    def drive(self, driver: Driver | None) -> None:
        """Let `driver` move time and answer the operator (None: the plain live session)."""
        self.driver = driver

    # -- listeners ----------------------------------------------------------------------------

    def add_listener(self, listener: Listener) -> None:
        """`listener(heard)` after every command that reached the clock or the engine, and on
        every mark, in the order they happened."""
        self._listeners.append(listener)

    def remove_listener(self, listener: Listener) -> None:
        """Stop telling `listener`; ValueError if it was not listening."""
        self._listeners.remove(listener)

    def record(self, recorder: RecorderLike) -> None:
        """Record the session: `recorder` hears every command (clock ones as clock lines),
        every mark and every selection; `close` ends the recording."""
        self.recorder = recorder

        def heard(entry: Heard) -> None:
            if recorder.closed:
                return
            if entry.command is not None:
                recorder.command(entry.t, entry.command)
            elif entry.label is not None:
                recorder.mark(entry.t, entry.label)
            elif entry.selection is not None:
                recorder.select(entry.t, entry.selection)

        self.add_listener(heard)

    def keep_journal(self, journal: JournalLike) -> None:
        """Journal the session: `journal` hears every command with its outcome and source,
        every mark and selection, and the time as it passes (`run_for`); `close` ends it."""
        self.journal = journal

        def heard(entry: Heard) -> None:
            if not journal.closed:
                tell_journal(journal, entry)

        self.add_listener(heard)

    @property
    def recording(self) -> bool:
        """A recorder or a journal is attached and still open (the operator's selection is
        then worth telling: `select`)."""
        return any(writer is not None and not writer.closed
                   for writer in (self.recorder, self.journal))

    def close(self, *, clean: bool = True) -> None:
        """End the session: when `clean`, its last instant is completed (the timers due now
        run, as at the end of a headless run) and the recording, if any, gets its end line at
        the session's time; otherwise (as after a crash) the recording ends without it."""
        if clean:
            self.engine.run_until(self.now)  # the last instant is complete: its timers run
        for writer in (self.recorder, self.journal):
            if writer is not None and not writer.closed:
                if clean:
                    writer.close(self.now)
                else:
                    writer.close(self.now, clean=False)

    # -- the one door ---------------------------------------------------------------------------

    def submit(self, command: Command, *, source: str = OPERATOR) -> Outcome:
        """Run `command` now: a clock command on the clock, any other in the engine; tell the
        listeners. An operator's command may first be refused by the source (`capability`) or
        the driver, with its reason (never reaching the clock or the engine, and not heard),
        and so is an operator's observation (`OBSERVATION_REFUSAL`); a drill's command by the
        source too."""
        if command.observation and source == OPERATOR:
            return Outcome.refuse(OBSERVATION_REFUSAL)
        reason = self._incapable(command, source)
        if reason is not None:
            return Outcome.refuse(reason)
        driver = self.driver
        if source == OPERATOR and driver is not None:
            reason = driver.refusal(command)
            if reason is not None:
                return Outcome.refuse(reason)
        if isinstance(command, CLOCK_COMMANDS):
            outcome = self.clock.handle(command)
        elif source == OPERATOR and driver is not None:
            outcome = driver.operator_command(command)
        else:
            outcome = self.engine.submit(command)
        self._tell(Heard(self.now, source, command, outcome))
        return outcome

    def _incapable(self, command: Command, source: str) -> str | None:
        """Why the source cannot carry out the operator's or a drill's `command`, clock
        commands included (real hosts keep real time), or None."""
        if self.capability is None or source not in (OPERATOR, DRILL):
            return None
        return self.capability(command)

    def mark(self, label: str) -> None:
        """A moment worth finding again (a recording's `mark` line) at the session's time."""
        self._tell(Heard(self.now, OPERATOR, label=label))

    def select(self, selection: str) -> None:
        """What the operator has selected on screen from now on (a recording's `select` line:
        `PANE ROW`, console.ui.selection), so that a replay shows it."""
        self._tell(Heard(self.now, OPERATOR, selection=selection))

    def tell_clock(self, known: SessionClock | None = None) -> None:
        """Tell the listeners the clock as it stands, where it differs from what they know
        (`known`; default a clock at x1, running): its speed as a `speed X` command and `pause`
        when paused, heard now as the operator's, so that a journal and a recording say how
        the session started (a follower, a resume and a replay show its clock). Changes
        nothing: clock commands never reach the model."""
        known = SessionClock() if known is None else SessionClock(known.speed, known.paused)
        commands: list[Command] = []
        if abs(self.clock.speed - known.speed) > 1e-9:
            commands.append(Speed(self.clock.speed))
        if self.clock.paused and not known.paused:
            commands.append(Pause())
        for command in commands:
            self._tell(Heard(self.now, OPERATOR, command, known.handle(command)))

    def _tell(self, heard: Heard) -> None:
        for listener in list(self._listeners):
            listener(heard)

    # -- time -----------------------------------------------------------------------------------

    def advance(self, seconds: float) -> None:
        """Move simulated time on by `seconds` (through the driver when there is one). The
        timers due at the new time wait until time moves past it (or the session closes), so a
        key pressed now lands before them, as a command at that time does in every mode
        (`Engine.submit_at`)."""
        if self.driver is not None:
            self.driver.advance_to(self.now + seconds)
        else:
            self.engine.run_before(self.now + seconds)

    def tick(self, real_elapsed: float) -> float:
        """`real_elapsed` real seconds passed: advance by what the clock makes of them; return
        the simulated seconds advanced (0 while paused). At `MAX_TIME_S` the clock pauses:
        a recording holds no later time (console.formats.recording)."""
        return self.run_for(self.clock.step_for(real_elapsed))

    def run_for(self, seconds: float) -> float:
        """Advance by `seconds` simulated seconds (the console steps its clock a second at a time
        with these), no further than `MAX_TIME_S`, where the clock pauses; return the simulated
        seconds advanced."""
        step = min(seconds, max(0.0, MAX_TIME_S - self.now))
        if self.now >= MAX_TIME_S:
            self.clock.paused = True
        if step > 0:
            self.advance(step)
            if self.journal is not None:
                self.journal.time(self.now)
            return step
        return 0.0

    # -- what the views need cached -------------------------------------------------------------

    def imbalance(self) -> float | None:
        """The cluster's imbalance for the header (the balancer's score, 0 = balanced):
        re-measured once per IMBALANCE_STEP_S simulated seconds on clusters of up to
        LIVE_IMBALANCE_VMS VMs, else the value of the balancer's last pass (None before its
        first: not measured)."""
        if views.vm_total(self.engine) > LIVE_IMBALANCE_VMS:
            return views.last_imbalance(self.engine)
        bucket = math.floor(self.now / IMBALANCE_STEP_S)
        if self._imbalance is None or self._imbalance[0] != bucket:
            self._imbalance = (bucket, views.measure_imbalance(self.engine))
        return self._imbalance[1]

    # -- asking before doing --------------------------------------------------------------------

    def check(self, *commands: Command) -> Outcome:
        """What `submit` would answer to `commands` now, without changing anything: the driver's
        refusal of an operator's command first, then the clock's or the engine's own answer
        (`Engine.check`, which tries them on a fork), after the source's (`capability`). The
        first refusal, else the last answer."""
        outcome = Outcome.ok()
        model: list[Command] = []
        for command in commands:
            reason = self._incapable(command, OPERATOR)
            if reason is None and self.driver is not None:
                reason = self.driver.refusal(command)
            if reason is not None:
                return Outcome.refuse(reason)
            if isinstance(command, CLOCK_COMMANDS):
                clock = SessionClock(self.clock.speed, self.clock.paused)
                outcome = clock.handle(command)
                if not outcome.accepted:
                    return outcome
            else:
                model.append(command)
        return self.engine.check(*model) if model else outcome

    def preview(self, *commands: Command) -> Preview:
        """What `commands` would do (console.model.preview), after the source's or the driver's
        refusal if there is one; nothing changes."""
        from console.model.preview import Preview, preview

        for command in commands:
            reason = self._incapable(command, OPERATOR)
            if reason is None and self.driver is not None:
                reason = self.driver.refusal(command)
            if reason is not None:
                return Preview(Outcome.refuse(reason))
        return preview(self.engine, commands)
