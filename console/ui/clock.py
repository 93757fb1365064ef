"""The simulated clock as the console drives it: speed, pause, and how far to advance per tick.

Wall-clock time enters the model only here: each tick the app asks `SimClock.tick(real_elapsed)`
and the engine advances by speed x elapsed, unless paused. Tests drive it directly (or use
`ConsoleApp.advance`) and never sleep.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from console.model.commands import Command, Pause, Resume, Speed

if TYPE_CHECKING:
    from console.model.engine import Engine
    from console.model.kernel import Outcome

SPEEDS = (0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 60.0, 120.0, 300.0, 600.0)
MAX_SPEED = 3600.0
MAX_STEP_S = 5.0  # real seconds; a suspended terminal does not jump the model by hours


class SimClock:
    """`advance` moves the model on by simulated seconds: the engine's own `advance` by
    default; an interactive drill or a replay passes theirs (steps and recorded commands are due
    as time passes)."""

    def __init__(self, engine: Engine, speed: float = 1.0, paused: bool = False,
                 advance: Callable[[float], None] | None = None) -> None:
        self.engine = engine
        self.speed = speed
        self.paused = paused
        self.advance = advance or engine.advance

    def tick(self, real_elapsed: float) -> float:
        """Advance the engine for `real_elapsed` real seconds; return the simulated seconds."""
        if self.paused or real_elapsed <= 0:
            return 0.0
        step = min(real_elapsed, MAX_STEP_S) * self.speed
        self.advance(step)
        return step

    def faster(self) -> float:
        return next((s for s in SPEEDS if s > self.speed + 1e-9), SPEEDS[-1])

    def slower(self) -> float:
        return next((s for s in reversed(SPEEDS) if s < self.speed - 1e-9), SPEEDS[0])

    def handle(self, command: Command) -> Outcome:
        """Apply a clock command (speed, pause, resume); the engine never sees these."""
        from console.model.kernel import Outcome

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
        return "PAUSED" if self.paused else f"x{self.speed:g}"
