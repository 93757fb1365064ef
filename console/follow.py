"""Following a live session from its journal: a read-only replay that keeps up with the leader.

A follower is a replay of a journal that is still being written (console.formats.journal): a
fresh Session on the journal's embedded cluster and seed, driven by a `ReplayPlayer`
(console.replay) over the journal's recording, which grows as the leader commits
(`JournalReader.poll` appends the new entries to it). Each command is played at its time (the
commands of an instant before that instant's timers, as everywhere: `Engine.submit_at`), then
the model is brought to the leader's committed time (`JournalUpdate.t`). The follower's own
clock never moves the model: time comes from the journal only. The leader's speed changes are
applied to the follower's clock and its pauses mirrored, so the header says what the leader's
says; they move nothing here.

As it plays, the follower checks that the model emits exactly the events the leader journaled
(`JournalUpdate.events`), after every command and every stretch of time. On a divergence
(another program version, a damaged file) it stops (`diverged`: one line naming the entry)
and goes back to the last state that agreed (re-played from the start). When the journal's
end line comes it plays the leader's last instant and stays on the final state (`ended`); when
no one writes the journal any more and it has no end line (the leader died), it says so
(`stopped`), its clock shows PAUSED (the leader's is not running), and it stays, still looking
for more (a `resume` of the leader goes on in the same journal).

Every operator command is refused with `READ_ONLY`, clock commands too (the leader's clock
rules). Followers cost the leader nothing: each reads the file on its own read-only
connection.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from pathlib import Path

from console.drills.replayed import DrillReplay, recorded_drill
from console.formats.journal import JournalError, JournalReader, is_live
from console.formats.recording import Entry
from console.model.commands import CLOCK_COMMANDS, Command, Pause, Resume
from console.model.events import Event
from console.model.kernel import Outcome
from console.replay import ReplayPlayer, replay_session
from console.session import LEADER, Session

#: How often a follower looks for new commits (real seconds).
POLL_S = 0.25
#: A journal no session writes, without an end line, that brought nothing new for this long
#: (real seconds): its leader stopped without ending (killed, crashed).
STOPPED_S = 2.0
#: While catching up, the model is moved this many simulated seconds at a time between looks at
#: the real-time budget (`Follower.play`).
CHUNK_S = 60.0
#: How long `open_follower` retries a journal whose live session is still creating it (real
#: seconds).
START_WAIT_S = 5.0
#: Why every change is refused while following.
READ_ONLY = "following a session: read-only"
#: What the journal says while its writer has not written its schema yet.
STARTING = "a live session is starting this journal"


def open_reader(path: str | Path, *, wait_s: float = START_WAIT_S,
                sleep: Callable[[float], None] = time.sleep) -> JournalReader:
    """A reader of the journal at `path`, retried for up to `wait_s` real seconds while a live
    session is only starting it (`STARTING`). Raises `JournalError` (one line) for what
    `JournalReader` refuses, a missing file included, and when the journal is still starting
    after `wait_s`."""
    deadline = time.monotonic() + wait_s
    while True:
        try:
            return JournalReader(path)
        except JournalError as error:
            if STARTING not in str(error) or time.monotonic() >= deadline:
                raise
        sleep(0.1)


class Follower:
    """Mirrors the journal `reader` reads into a fresh session (`session`; the module docstring
    says how). `poll()` reads what the leader committed, `play(budget_s)` plays it; `behind`
    says whether there is more to play. The session's driver: it refuses every operator
    command. Raises `ConfigError` (an `InputError`) when the embedded cluster or drill is
    bad."""

    def __init__(self, reader: JournalReader) -> None:
        self.reader = reader
        self.path = reader.path
        self.recording = reader.recording  # grows with every poll
        self.session: Session = replay_session(self.recording)
        self.player = ReplayPlayer(self.session, self.recording, follow_speed=True,
                                   source=LEADER)
        #: The interactive drill the leader runs, scored as it goes (None: no drill).
        self.drill: DrillReplay | None = recorded_drill(self.player)
        self.session.drive(self)
        #: The leader's committed time (simulated seconds), as far as polled.
        self.target = 0.0
        #: The events the leader journaled, as far as polled.
        self.expected: list[Event] = []
        #: The leader ended its session (an end line was polled).
        self.leader_ended = False
        #: The replay diverged from the journal: one line saying where; following stopped.
        self.diverged: str | None = None
        #: The leader stopped without an end line (no one writes the journal, nothing new).
        self.stopped = False
        self._checked = 0  # events compared so far
        self._good = (0, 0.0)  # entries played and model time at the last check that agreed
        self._news = time.monotonic()  # when the last poll brought something
        self._leader_paused = self.session.clock.paused  # the leader's pauses, as mirrored

    # -- reading --------------------------------------------------------------------------------

    @property
    def over(self) -> bool:
        """Nothing more will be played: the leader's end is played, or the replay diverged."""
        return self.player.ended or self.diverged is not None

    def poll(self) -> bool:
        """Read what the leader committed since the last poll (everything, the first time);
        True when something new came. Notes when the leader stopped without an end line. A
        journal damaged since it was opened stops following like a divergence."""
        if self.over:
            return False
        try:
            update = self.reader.poll()
        except JournalError as error:
            self.diverged = str(error)
            return False
        news = bool(update.entries or update.events or update.t > self.target
                    or update.ended != self.leader_ended)
        self.expected.extend(update.events)
        self.target = max(self.target, update.t)
        self.leader_ended = update.ended
        now = time.monotonic()
        if news:
            self._news = now
            if self.stopped:  # written again (a resume): its clock as the leader left it
                self.session.clock.paused = self._leader_paused
            self.stopped = False
        elif (not self.leader_ended and now - self._news >= STOPPED_S
              and not is_live(self.path)):
            self.stopped = True
            self.session.clock.paused = True  # the leader's clock is not running
        return news

    @property
    def behind(self) -> bool:
        """Something polled is still to be played."""
        if self.over:
            return False
        return (self.player.index < len(self.player.entries) or self.session.now < self.target
                or self.leader_ended)

    @property
    def progress(self) -> float:
        """How far the model is towards the leader's committed time (0 to 1)."""
        return 1.0 if self.target <= 0 else min(1.0, self.session.now / self.target)

    # -- playing --------------------------------------------------------------------------------

    def play(self, budget_s: float | None = None) -> bool:
        """Play what was polled, checking the events as it goes: the entries in order, the
        model moved `CHUNK_S` simulated seconds at a time, for about `budget_s` real seconds
        (None: all of it). True when caught up with the leader (or over)."""
        started = time.perf_counter()
        player = self.player
        entries = player.entries
        while self.behind:
            goal = min(self.target, self.session.now + CHUNK_S)
            while player.index < len(entries) and entries[player.index].t <= goal:
                entry = entries[player.index]
                if entry.t > self.session.now:  # the time before it, checked on its own
                    player.run_before(entry.t)
                    if not self._check(None):
                        return True
                player.apply_next()
                self._mirror_clock(entry)
                if not self._check(entry):
                    return True
            player.play_before(goal)
            if not self._check(None):
                return True
            if self.drill is not None and self.drill.report is not None:
                self.session.clock.paused = True  # the leader's drill paused it as it ended
            if self.leader_ended and self.session.now >= self.target \
                    and player.index >= len(entries):
                player.advance_to(player.duration)  # the leader's last instant, and the end
                self._check(None, complete=True)
                return True
            if self.session.now >= self.target and player.index >= len(entries):
                self._check(None, complete=True)
            if budget_s is not None and time.perf_counter() - started >= budget_s:
                return not self.behind
        return True

    def _mirror_clock(self, entry: Entry) -> None:
        """A leader's pause or resume: shown by this clock (which moves nothing here)."""
        if entry.kind == "clock" and isinstance(entry.command, (Pause, Resume)):
            self._leader_paused = isinstance(entry.command, Pause)
            self.session.clock.paused = self._leader_paused

    def _check(self, entry: Entry | None, *, complete: bool = False) -> bool:
        """The events the model emitted since the last check equal the journal's (`complete`:
        and it emitted all of them); else note the divergence, naming `entry` (None: time
        passing). True when they agree."""
        mine = self.session.engine.log.events
        theirs = self.expected
        for n in range(self._checked, len(mine)):
            if n >= len(theirs) or mine[n] != theirs[n]:
                found = "none" if n >= len(theirs) else _event_text(theirs[n])
                self._diverge(entry, f"event {n} is {_event_text(mine[n])}, the journal "
                                     f"has {found}")
                return False
        self._checked = len(mine)
        if complete and len(mine) < len(theirs):
            self._diverge(entry, f"event {len(mine)} is missing, the journal has "
                                 f"{_event_text(theirs[len(mine)])}")
            return False
        self._good = (self.player.index, self.session.now)
        return True

    def _diverge(self, entry: Entry | None, what: str) -> None:
        where = ("time passing to " f"{self.session.now:g} s" if entry is None else
                 f"entry {self.player.index} ({entry.t:g} s {entry.kind} {entry.text})")
        self.diverged = (f"{self.path}: the replay diverges from the journal at {where}: "
                         f"{what}; following stopped")
        self._back_to_good()

    def _back_to_good(self) -> None:
        """The model as it was at the last check that agreed, re-played from the start (the
        entries played by then, the time reached) and swapped into the session."""
        played, t = self._good
        kept = dataclasses.replace(self.recording, entries=self.recording.entries[:played],
                                   end=None)
        player = ReplayPlayer(replay_session(kept), kept, follow_speed=True, source=LEADER)
        if self.drill is not None:
            player.pacer = self.drill.fresh(player)
        player.play_before(t)
        self.player.adopt(player)
        if self.drill is not None:
            self.drill = player.pacer  # type: ignore[assignment]

    # -- the session's driver -------------------------------------------------------------------

    def advance_to(self, t: float) -> None:
        """Nothing: the follower's clock never moves the model (time comes from the journal)."""

    def refusal(self, command: Command) -> str | None:
        """Every operator command is refused; a clock command says the leader's clock rules."""
        if isinstance(command, CLOCK_COMMANDS):
            return f"{READ_ONLY} (the leader's clock rules)"
        return READ_ONLY

    def operator_command(self, command: Command) -> Outcome:
        """Never reached (`refusal` refuses every command first); refuses."""
        return Outcome.refuse(READ_ONLY)


def _event_text(event: Event) -> str:
    return f"{event.t:g} s {event.kind} {event.subject}: {event.message!r}"
