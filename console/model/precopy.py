"""Live migration's memory copy: iterative pre-copy, then a short stop-and-copy.

Round 0 copies all memory over the migration link; each later round copies what the guest dirtied
during the round before. Rounds shrink while the dirty rate is below the link's bandwidth. The VM
switches over when the remainder fits in the downtime target (or after the last allowed round); the
stop-and-copy time is the VM's downtime. When the guest dirties memory at or above the link's
speed pre-copy cannot converge: the migration fails with that reason, unless auto-converge is on,
which throttles the guest a little more every round that leaves over half of what it sent dirty
again, as QEMU does (QEMU's migration documentation, "auto-converge": `cpu-throttle-initial`
20 %, `cpu-throttle-increment` 10 %). The model follows Clark et al., "Live Migration of Virtual
Machines" (NSDI 2005).

This module holds the `Migration` record (what a migration is and how far it got: what libvirt's
job statistics report for a real one) and the arithmetic of one round; the simulated hardware
(`console.model.world`) runs the rounds, and `console.model.migration` decides which migrations
run.
"""

from __future__ import annotations

from dataclasses import dataclass

from console.model.entities import MB_PER_GB, Vm
from console.model.scheduler import Timer
from console.model.settings import MigrationSettings

#: Throttle auto-converge applies first and adds each round (QEMU's defaults: 20 %, +10 %).
THROTTLE_START, THROTTLE_STEP, THROTTLE_MAX = 0.2, 0.1, 0.99
#: ... whenever a round leaves more than this share of what it sent dirty again.
AUTO_CONVERGE_RATIO = 0.5
#: A guest dirties at most this share of its memory between rounds (its working set), at least.
MIN_WORKING_SET = 0.05


@dataclass(slots=True)
class Migration:
    """One VM's move, observable while it runs (round, MB sent, MB remaining, ETA).

    Sizes are in MB (1 GB = 1024 MB), rates in MB/s, times in simulated seconds. `started_at` is
    None while the migration waits in the queue.
    """

    vm: str
    source: str
    target: str
    reason: str
    bandwidth_mbps: float
    started_at: float | None = None
    round: int = 0
    round_started: float = 0.0
    round_mb: float = 0.0      # what this round sends
    sent_mb: float = 0.0       # sent in finished rounds
    throttle: float = 0.0      # share of the guest's CPU auto-converge holds back, 0-0.99
    switchover: bool = False   # in the final stop-and-copy
    downtime_ms: float = 0.0   # the stop-and-copy's length, once it began
    timer: Timer | None = None

    def sent_now(self, now: float) -> float:
        """MB sent by simulated time `now`, the current round's share included."""
        if self.started_at is None:
            return 0.0
        if self.switchover:
            return self.sent_mb
        return self.sent_mb + min(self.round_mb, (now - self.round_started) * self.bandwidth_mbps)

    def remaining_now(self, now: float) -> float:
        """MB still to copy in this round."""
        if self.started_at is None:
            return self.round_mb
        done = min(self.round_mb, (now - self.round_started) * self.bandwidth_mbps)
        return max(0.0, self.round_mb - done)

    def eta_s(self, now: float, dirty_mbps: float) -> float:
        """A rough ETA in seconds: this round's rest, then rounds shrinking by dirty/bandwidth."""
        remaining = self.remaining_now(now)
        ratio = min(dirty_mbps * (1 - self.throttle) / self.bandwidth_mbps, 0.95)
        return remaining / self.bandwidth_mbps / (1 - ratio)


@dataclass(frozen=True, slots=True)
class RoundEnd:
    """What follows a pre-copy round: `next` round, `switch` over, or `fail` (with `why`)."""

    step: str          # next | switch | fail
    left_mb: float     # dirtied during the round: the next round's (or the switchover's) copy
    downtime_s: float  # what a switchover now would take
    why: str = ""


def after_round(migration: Migration, vm: Vm, dirty_mbps: float, duration_s: float,
                settings: MigrationSettings) -> RoundEnd:
    """Decide what follows a round of `duration_s` seconds during which the guest dirtied
    memory at `dirty_mbps` (before throttling). Pure: changes nothing."""
    dirty_rate = dirty_mbps * (1 - migration.throttle)
    working_set = vm.memory_gb * MB_PER_GB * max(vm.workload.memory, MIN_WORKING_SET)
    left = min(working_set, dirty_rate * duration_s)
    downtime_s = left / migration.bandwidth_mbps
    target_s = settings.downtime_target_ms / 1000
    converging = dirty_rate < migration.bandwidth_mbps
    if downtime_s <= target_s or migration.round + 1 >= settings.max_rounds:
        if downtime_s > target_s and not converging:
            return RoundEnd("fail", left, downtime_s, _no_convergence(dirty_rate, migration))
        return RoundEnd("switch", left, downtime_s)
    if not converging and not settings.auto_converge:
        return RoundEnd("fail", left, downtime_s, _no_convergence(dirty_rate, migration))
    return RoundEnd("next", left, downtime_s)


def next_throttle(migration: Migration, left_mb: float, settings: MigrationSettings) -> float:
    """The guest's throttle for the next round: auto-converge tightens it when a round left
    more than AUTO_CONVERGE_RATIO of what it sent dirty again."""
    if settings.auto_converge and left_mb > AUTO_CONVERGE_RATIO * migration.round_mb:
        return min(THROTTLE_MAX, max(THROTTLE_START, migration.throttle + THROTTLE_STEP))
    return migration.throttle


def _no_convergence(dirty_rate: float, migration: Migration) -> str:
    return (f"did not converge: the guest dirties {dirty_rate:.0f} MB/s, the link carries "
            f"{migration.bandwidth_mbps:.0f} MB/s (enable auto-converge to throttle it)")
