"""The virtual clock and its timer queue.

Timers fire in (time, insertion order): two timers due at the same instant always run in the order
they were set, which is half of what makes a run deterministic (the seeded RNG is the other half).
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(order=True, slots=True)
class Timer:
    """An action due at simulated time `due` (seconds); `seq` orders timers due together."""

    due: float
    seq: int
    action: Callable[[], None] = field(compare=False)
    cancelled: bool = field(default=False, compare=False)

    def cancel(self) -> None:
        """The action will not run (a cancelled timer is dropped when it comes due)."""
        self.cancelled = True


class Scheduler:
    """The virtual clock (`now`, simulated seconds) and its queue of timers."""

    def __init__(self) -> None:
        self.now = 0.0
        self._queue: list[Timer] = []
        self._seq = itertools.count()

    def at(self, due: float, action: Callable[[], None]) -> Timer:
        """Run `action` at simulated time `due` (never in the past: at `now` at the earliest)."""
        timer = Timer(float(max(due, self.now)), next(self._seq), action)
        heapq.heappush(self._queue, timer)
        return timer

    def after(self, delay: float, action: Callable[[], None]) -> Timer:
        """Run `action` `delay` simulated seconds from now."""
        return self.at(self.now + delay, action)

    def next_due(self) -> float | None:
        """When the next live timer is due, or None if none is."""
        while self._queue and self._queue[0].cancelled:
            heapq.heappop(self._queue)
        return self._queue[0].due if self._queue else None

    def run_until(self, until: float) -> None:
        """Fire every timer due up to and including `until`, then stand the clock there."""
        self._run(until, inclusive=True)

    def run_before(self, until: float) -> None:
        """Fire every timer due strictly before `until`, then stand the clock there: the instant
        `until` is open, so a command given now lands before that instant's timers."""
        self._run(until, inclusive=False)

    def _run(self, until: float, *, inclusive: bool) -> None:
        queue = self._queue
        while queue and (queue[0].due <= until if inclusive else queue[0].due < until):
            timer = heapq.heappop(queue)
            if timer.cancelled:
                continue
            self.now = timer.due
            timer.action()
        self.now = float(max(self.now, until))

    def pending(self) -> int:
        """How many timers are still to run (cancelled ones aside)."""
        return sum(1 for t in self._queue if not t.cancelled)
