"""Replay in the console: `cluster-console replay FILE [--speed X] [--paused]`.

The console opens on the recording's embedded cluster and seed and plays the recording back:
as the simulated clock passes a recorded command's time, the command enters through
`ConsoleApp.run_command` (source `replay`), exactly as it entered the recorded session, so the
model goes through the very same states (a headless replay prints the same log).

The viewer drives the replay with the clock keys: space pauses and resumes, + and - change the
speed, and `s` steps: it pauses and advances to the next recorded command, and applies it. The
recording's own `clock` lines (the recorded session's speed and pauses) are shown, not applied:
the viewer has the clock. The console shows history, so every other command (keys, the command
line) is refused with the reason; the replay bar shows the progress (t / duration) and the last
and next recorded commands. At the end of the recording the clock pauses.

`ReplayMode.advance_to` and `step` are what `replay --cast` and `--svg` drive headless.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from console.formats.recording import Entry, Recording
from console.model.commands import CLOCK_COMMANDS, Command, LocalReading, Resume
from console.model.engine import Engine
from console.model.kernel import Outcome
from console.ui.mode import Mode
from console.ui.widgets.base import clock

if TYPE_CHECKING:
    from textual.widget import Widget


class ReplayMode(Mode):
    tag = "REPLAY"
    live = False

    def __init__(self, recording: Recording) -> None:
        super().__init__()
        self.recording = recording
        self.entries = recording.entries
        self.index = 0  # the next entry to apply
        self.last: tuple[Entry, str] | None = None  # the last entry applied, and what it did
        self.ended = False
        self.on_mark = None  # callable(entry): the headless exporter's screenshots

    @property
    def duration(self) -> float:
        return self.recording.duration

    @property
    def commands(self) -> int:
        return sum(1 for e in self.entries if e.kind == "command")

    @property
    def applied(self) -> int:
        return sum(1 for e in self.entries[: self.index] if e.kind == "command")

    def build_engine(self) -> Engine:
        return self.recording.build_engine()

    def bind(self, app) -> None:
        super().bind(app)
        # A read-only session's refusals replay only if the engine refuses again.
        app.read_only = self.recording.read_only
        app.engine.read_only = self.recording.read_only

    def next_entry(self) -> Entry | None:
        return self.entries[self.index] if self.index < len(self.entries) else None

    # -- playing --------------------------------------------------------------------------------

    def started(self) -> None:
        self.advance_to(self.engine.now)  # what was recorded at 0 s

    def advance(self, seconds: float) -> None:
        self.advance_to(self.engine.now + seconds)

    def advance_to(self, t: float) -> None:
        """Play on to `t` (at most the end): every entry due by then, in order."""
        t = min(t, self.duration)
        while self.index < len(self.entries) and self.entries[self.index].t <= t:
            self.apply_next()
        if t > self.engine.now:
            self.engine.run_until(t)
        self._check_end()

    def step(self) -> Entry | None:
        """Pause, and play on to the next recorded command (or mark) and apply it; at the end,
        say so. Returns the entry applied."""
        app = self.console
        app.clock.paused = True
        entry = self.next_entry()
        if entry is None:
            self.advance_to(self.duration)
            app.notify(f"end of the recording ({clock(self.duration)})", title="Replay",
                       timeout=3)
            return None
        self.apply_next()
        self._check_end()
        app.refresh_view()
        return entry

    def apply_next(self) -> None:
        entry = self.entries[self.index]
        self.index += 1
        engine = self.engine
        if entry.t > engine.now:
            engine.run_until(entry.t)
        if entry.kind == "command" and entry.command is not None:
            outcome = self.console.run_command(
                entry.command, source="replay",
                quiet=isinstance(entry.command, LocalReading))
            self.last = (entry, "accepted" if outcome.accepted
                         else f"refused: {outcome.reason}")
        elif entry.kind == "clock":
            self.last = (entry, "recorded clock (not applied)")
        else:
            self.last = (entry, "mark")
            self.console.notify(entry.text, title="Mark", timeout=3)
            if self.on_mark is not None:
                self.on_mark(entry)

    def _check_end(self) -> None:
        if self.ended or self.index < len(self.entries) or self.engine.now < self.duration:
            return
        self.ended = True
        app = self.console
        app.clock.paused = True
        app.notify(f"end of the recording ({clock(self.duration)}); q quits", title="Replay",
                   timeout=5)

    # -- the operator ---------------------------------------------------------------------------

    def submit(self, command: Command) -> Outcome:
        return Outcome.refuse(self._reason())  # not reached: refusal() refuses first

    def refusal(self, command: Command) -> str | None:
        if isinstance(command, CLOCK_COMMANDS):
            if isinstance(command, Resume) and self.ended:
                return "the replay is at its end; q quits"
            return None  # space, + and - drive the replay
        return self._reason()

    def _reason(self) -> str:
        return (f"this is a replay of {self.recording.path}: the console shows recorded "
                "history, so changes are disabled (space pauses, s steps, +/- speed)")

    @property
    def locked(self) -> bool:
        return True

    def widgets(self) -> list[Widget]:
        from console.ui.widgets.replay import ReplayBar

        return [ReplayBar(self)]
