"""Playing commands into a model: headless runs, headless replay, and the replay player.

Headless: timed commands fed through `Engine.submit_at`, then the engine run to the end.
`simulate`, headless drills (through the same door) and `replay --headless` drive the engine
this way, so for the same cluster, seed, commands and duration they give the same event log
byte for byte.

The replay player: a recording played back into a Session, entry by entry as they fall due.

As the session's time passes a recorded command's time, the command enters through
`Session.submit` (source REPLAY), exactly as it entered the recorded session, so the model goes
through the very same states (a headless replay prints the same log). The recording's own
`clock` lines: a recorded `speed X` is applied to the session's clock, through the same door
(the replay plays at the speed the presenter chose; the header and the bar both read the one
clock), unless the viewer fixed the speed (`follow_speed=False`: `replay --speed X`, a cast's
speed), when it is noted only; a recorded pause or resume is noted, never applied (it took no
simulated time, and the viewer has the pause key). A recording shows history, so the
operator's commands are refused with the reason, except the clock commands that drive the
replay (pause, resume, speed); at the end of the recording the clock pauses and resuming is
refused.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Protocol

from console.formats.recording import Entry, Recording
from console.formats.timed import TimedCommand
from console.model.commands import CLOCK_COMMANDS, Command, Resume, Speed
from console.model.engine import Engine
from console.model.kernel import Outcome
from console.session import REPLAY, Session

#: How far `[` and `]` go at most, in simulated seconds, when no recorded entry is nearer.
SEEK_S = 60.0
#: A seek back re-simulates in this many steps, telling its progress after each.
SEEK_CHUNKS = 50

#: What the player did with a recorded clock line it did not apply (`ReplayPlayer.last`).
NOT_APPLIED = "recorded clock (not applied)"


def run(engine: Engine, until: float, steps: Iterable[TimedCommand] = (),
        on_submit: Callable[[TimedCommand, Outcome], None] | None = None) -> None:
    """Submit each step at its time (in time order, ties in the given order), then run the
    engine to `until` (simulated seconds), timers due at `until` included. The steps of one
    instant land together, before that instant's timers (`Engine.submit_at`); a refused
    command is logged, never raised. `on_submit(step, outcome)` is told of each step just
    after it was submitted (a journal of the run: `simulate --journal`)."""
    for step in sorted(steps, key=lambda s: s.t):
        outcome = engine.submit_at(step.t, step.command)
        if on_submit is not None:
            on_submit(step, outcome)
    engine.run_until(until)


def replay_headless(recording: Recording) -> Engine:
    """A fresh engine on the recording's cluster and seed, with the recorded model commands
    run exactly as `run` runs `simulate --do`, up to the recording's end (or its last line).
    Raises `ConfigError` (an `InputError`) when the embedded cluster is bad."""
    engine = recording.build_engine()
    run(engine, recording.duration,
        (TimedCommand(t, command) for t, command in recording.commands()))
    return engine


def replay_session(recording: Recording, *, speed: float = 1.0,
                   paused: bool = False) -> Session:
    """A fresh Session on the recording's embedded cluster and seed, read-only when the
    recorded session was (its refusals then replay as refusals). Raises ConfigError (an
    InputError) when the embedded cluster does not build."""
    return Session(recording.build_engine(), speed=speed, paused=paused,
                   read_only=recording.read_only)


class Pacer(Protocol):
    """What plays a recording's drill along with it (console.drills.replayed.DrillReplay): it
    moves the model's time itself (running the drill's steps and scoring its expectations on
    the way) and says which recorded commands were its steps."""

    def run_before(self, t: float) -> None:
        """Bring the model up to `t` simulated seconds (its timers before `t`)."""

    def plays(self, entry: Entry) -> bool:
        """Whether the recorded command `entry` is a step the pacer ran itself."""

    def finish(self) -> None:
        """The recording has been played to its end."""

    def fresh(self, player: ReplayPlayer) -> Pacer:
        """A new pacer like this one for `player`, a fresh player from the recording's start
        (`ReplayPlayer.rebuilt`)."""

    def rebind(self, player: ReplayPlayer) -> None:
        """Go on with `player` (which adopted this pacer's model: `ReplayPlayer.adopt`)."""


class ReplayPlayer:
    """Plays `recording` into `session` (a fresh one: see `replay_session`) and drives its time.

    `on_mark(entry)` is told of every `mark` entry as it is played, `on_end()` once when the
    recording has been played to its end, `on_select(entry)` of every `select` entry (the
    presenter's selection from then on). `follow_speed`: the recorded `speed` lines set the
    session's speed (False: the viewer's speed holds, they are noted only). `source`: the
    session source the played commands are submitted as (default REPLAY)."""

    def __init__(self, session: Session, recording: Recording, *,
                 on_mark: Callable[[Entry], None] | None = None,
                 on_end: Callable[[], None] | None = None,
                 on_select: Callable[[Entry], None] | None = None,
                 follow_speed: bool = True, source: str = REPLAY) -> None:
        self.session = session
        #: Whom the played commands are told as coming from (`Heard.source`): REPLAY, or
        #: LEADER for a journal being followed (console.follow).
        self.source = source
        self.follow_speed = follow_speed
        self.recording = recording
        self.entries = recording.entries
        self.index = 0  # the next entry to apply
        self.last: tuple[Entry, str] | None = None  # the last entry applied, and what it did
        self.ended = False
        self.on_mark = on_mark
        self.on_end = on_end
        self.on_select = on_select
        #: Plays the recording's drill along (None: the model's own timers move time).
        self.pacer: Pacer | None = None
        session.drive(self)

    @property
    def duration(self) -> float:
        """The recording's length in simulated seconds."""
        return self.recording.duration

    @property
    def commands(self) -> int:
        """How many commands the recording holds."""
        return sum(1 for e in self.entries if e.kind == "command")

    @property
    def applied(self) -> int:
        """How many of them have been played."""
        return sum(1 for e in self.entries[: self.index] if e.kind == "command")

    def next_entry(self) -> Entry | None:
        """The next entry to play, selections passed over (they are played on the way), or None
        at the end."""
        return next((e for e in self.entries[self.index:] if e.kind != "select"), None)

    # -- playing --------------------------------------------------------------------------------

    def start(self) -> None:
        """Play what was recorded at the session's current time (0 s)."""
        self.advance_to(self.session.now)

    def advance_to(self, t: float) -> None:
        """Play on to `t` (simulated seconds, at most the recording's end): every entry due by
        then, in order, and the model's timers due before `t` (at the recording's end, those
        due at `t` too: the recorded session completed its last instant when it closed)."""
        t = min(t, self.duration)
        self.play_before(t)
        if t >= self.duration and self.index >= len(self.entries):
            self.session.engine.run_until(t)  # the recording's last instant is complete
        self._check_end()

    def play_before(self, t: float) -> None:
        """Play every entry due by `t` (simulated seconds), in order, then the model's timers
        due before `t`; the recording's end is not looked at (a journal being followed grows
        past it: console.follow)."""
        while self.index < len(self.entries) and self.entries[self.index].t <= t:
            self.apply_next()
        if t > self.session.engine.now:
            self.run_before(t)

    def run_before(self, t: float) -> None:
        """The model's timers due before `t` (simulated seconds), through the pacer when there
        is one (its steps due by `t` too); no recorded entry is played."""
        if self.pacer is not None:
            self.pacer.run_before(t)
        else:
            self.session.engine.run_before(t)

    def step(self) -> Entry | None:
        """Pause, and play on to the next recorded entry and apply it; at the end, play to the
        recording's end. Returns the entry applied, None at the end."""
        self.session.clock.paused = True
        entry = self.next_entry()
        if entry is None:
            self.advance_to(self.duration)
            return None
        while self.entries[self.index] is not entry:
            self.apply_next()  # the selections on the way
        self.apply_next()
        self._check_end()
        return entry

    def apply_next(self) -> None:
        """Bring the model to the next entry's time and apply it: a command through the
        session's door, a clock line applied or noted, a mark told to `on_mark`, a selection
        to `on_select`. IndexError at the end."""
        entry = self.entries[self.index]
        self.index += 1
        engine = self.session.engine
        if entry.t > engine.now or self.pacer is not None:
            self.run_before(entry.t)  # a pacer: its steps due at this instant too
        if entry.kind == "command" and self.pacer is not None and self.pacer.plays(entry):
            self.last = (entry, "accepted")  # the drill's step, run by the pacer
        elif entry.kind == "command" and entry.command is not None:
            outcome = self.session.submit(entry.command, source=self.source)
            self.last = (entry, "accepted" if outcome.accepted
                         else f"refused: {outcome.reason}")
        elif entry.kind == "clock":
            if self.follow_speed and isinstance(entry.command, Speed):
                outcome = self.session.submit(entry.command, source=self.source)
                self.last = (entry, "accepted" if outcome.accepted
                             else f"refused: {outcome.reason}")
            else:
                self.last = (entry, NOT_APPLIED)
        elif entry.kind == "select":
            if self.on_select is not None:
                self.on_select(entry)
        else:
            self.last = (entry, "mark")
            if self.on_mark is not None:
                self.on_mark(entry)

    def _check_end(self) -> None:
        if self.ended or self.index < len(self.entries) or self.session.now < self.duration:
            return
        self.ended = True
        self.session.clock.paused = True
        if self.pacer is not None:
            self.pacer.finish()
        if self.on_end is not None:
            self.on_end()

    # -- seeking --------------------------------------------------------------------------------

    def seek_target(self, direction: int) -> float | None:
        """Where `[` (direction -1) or `]` (+1) goes from now: the previous (next) recorded
        command or mark, but at most `SEEK_S` simulated seconds away, within the recording;
        None at its start (end)."""
        now = self.session.now
        times = [e.t for e in self.entries if e.kind in ("command", "mark")]
        if direction < 0:
            if now <= 0:
                return None
            return max([t for t in times if t < now] + [now - SEEK_S, 0.0])
        if now >= self.duration:
            return None
        return min([t for t in times if t > now] + [now + SEEK_S, self.duration])

    def rebuilt(self, t: float,
                progress: Callable[[float], None] | None = None) -> ReplayPlayer:
        """A fresh player on a fresh session (this one's recording, speed and `follow_speed`),
        played from the start to `t`: the state a replay reaches at `t`, as deterministic as
        the recording (the same event log as any replay to `t`). `progress(fraction)` is told
        as it goes, in `SEEK_CHUNKS` steps. Touches nothing of this player's."""
        session = replay_session(self.recording, speed=self.session.clock.speed, paused=True)
        player = ReplayPlayer(session, self.recording, follow_speed=self.follow_speed)
        if self.pacer is not None:
            player.pacer = self.pacer.fresh(player)
        player.start()
        for chunk in range(1, SEEK_CHUNKS + 1):
            player.advance_to(t * chunk / SEEK_CHUNKS)
            if progress is not None:
                progress(chunk / SEEK_CHUNKS)
        return player

    def adopt(self, other: ReplayPlayer) -> None:
        """Continue from where `other` (a `rebuilt` player) stands: its model in this session,
        its place in the recording and, when following the recorded speed, its speed. The
        clock is left paused."""
        self.session.replace_engine(other.session.engine)
        self.index, self.last, self.ended = other.index, other.last, other.ended
        if other.pacer is not None:
            self.pacer = other.pacer
            other.pacer.rebind(self)  # its steps now enter this session's door
        if self.follow_speed:
            self.session.clock.speed = other.session.clock.speed
        self.session.clock.paused = True

    def selection_at(self) -> Entry | None:
        """The last `select` entry played (the presenter's selection now), or None."""
        return next((e for e in reversed(self.entries[: self.index]) if e.kind == "select"),
                    None)

    # -- the operator (the session's Driver) ----------------------------------------------------

    def refusal(self, command: Command) -> str | None:
        """The clock commands drive the replay (resume is refused at the end); every other
        command is refused: the replay shows recorded history."""
        if isinstance(command, CLOCK_COMMANDS):
            if isinstance(command, Resume) and self.ended:
                return "the replay is at its end; q quits"
            return None
        return self.reason()

    def operator_command(self, command: Command) -> Outcome:
        """Never reached (`refusal` refuses every model command first); refuses."""
        return Outcome.refuse(self.reason())

    def reason(self) -> str:
        """Why the operator's commands are refused during a replay."""
        return (f"this is a replay of {self.recording.path}: the console shows recorded "
                "history, so changes are disabled (space pauses, s steps, +/- speed)")
