"""Live migration (VMotion / XenMotion): iterative pre-copy, then a short stop-and-copy.

Round 0 copies all memory over the migration link; each later round copies what the guest dirtied
during the round before. Rounds shrink while the dirty rate is below the link's bandwidth. The VM
switches over when the remainder fits in the downtime target (or after the last allowed round); the
stop-and-copy time is the VM's downtime. When the guest dirties memory at or above the link's
speed pre-copy cannot converge: the migration fails with that reason, unless auto-converge is on,
which throttles the guest a little more every round that leaves over half of what it sent dirty
again, as QEMU does.

A migration holds capacity on both hosts until it ends, and each round is one timer, so a
migration costs the engine a handful of events however long it runs.
"""

from __future__ import annotations

from dataclasses import dataclass

from console.model import placement
from console.model.commands import Command, Migrate
from console.model.entities import Node, NodeState, Vm, VmState
from console.model.events import Severity
from console.model.hypervisors import HYPERVISORS
from console.model.kernel import Context, Handler, Outcome
from console.model.scheduler import Timer

MB_PER_GB = 1024.0
SOURCE_STATES = frozenset({NodeState.ONLINE, NodeState.ENTERING_MAINTENANCE})
#: Throttle auto-converge applies first and adds each round (QEMU's defaults: 20 %, +10 %).
THROTTLE_START, THROTTLE_STEP, THROTTLE_MAX = 0.2, 0.1, 0.99
#: ... whenever a round leaves more than this share of what it sent dirty again.
AUTO_CONVERGE_RATIO = 0.5


@dataclass(slots=True)
class Migration:
    """One VM's move, observable while it runs (round, bytes sent, remaining, ETA)."""

    vm: str
    source: str
    target: str
    reason: str
    bandwidth_mbps: float
    queued_at: float
    started_at: float | None = None
    round: int = 0
    round_started: float = 0.0
    round_mb: float = 0.0      # what this round sends
    sent_mb: float = 0.0       # sent in finished rounds
    throttle: float = 0.0
    switchover: bool = False
    downtime_ms: float = 0.0
    timer: Timer | None = None

    def sent_now(self, now: float) -> float:
        if self.started_at is None:
            return 0.0
        if self.switchover:
            return self.sent_mb
        return self.sent_mb + min(self.round_mb, (now - self.round_started) * self.bandwidth_mbps)

    def remaining_now(self, now: float) -> float:
        """Memory still to copy in this round."""
        if self.started_at is None:
            return self.round_mb
        done = min(self.round_mb, (now - self.round_started) * self.bandwidth_mbps)
        return max(0.0, self.round_mb - done)

    def eta_s(self, now: float, dirty_mbps: float) -> float:
        """A rough ETA: this round's rest, then rounds shrinking by dirty/bandwidth."""
        remaining = self.remaining_now(now)
        ratio = min(dirty_mbps * (1 - self.throttle) / self.bandwidth_mbps, 0.95)
        return remaining / self.bandwidth_mbps / (1 - ratio)


class Migrations:
    def __init__(self, context: Context) -> None:
        self.context = context
        self.cluster = context.cluster
        self.active: dict[str, Migration] = {}   # VM name -> running migration
        self.queued: list[Migration] = []
        self.completed = 0
        self.failed = 0
        self.downtimes_ms: list[float] = []

    @property
    def settings(self):
        return self.cluster.settings.migration

    def handlers(self) -> dict[type[Command], Handler]:
        return {Migrate: self._migrate}

    def summary(self) -> dict[str, object]:
        mean = sum(self.downtimes_ms) / len(self.downtimes_ms) if self.downtimes_ms else 0.0
        return {"migrations": {"completed": self.completed, "failed": self.failed,
                               "running": len(self.active), "queued": len(self.queued),
                               "mean_downtime_ms": round(mean, 1)}}

    # -- checks --------------------------------------------------------------------------------

    def refusal(self, vm: Vm, target: Node) -> str | None:
        """Why `vm` cannot live-migrate to `target` now, or None."""
        if vm.state is not VmState.RUNNING:
            return f"{vm.name} is {vm.state.value}, not running"
        if self.is_moving(vm.name):
            return f"{vm.name} is already migrating"
        source = self.cluster.nodes[vm.host]  # type: ignore[index]
        if target.name == source.name:
            return f"{vm.name} already runs on {target.name}"
        if source.state not in SOURCE_STATES or not source.beating:
            return f"its host {source.name} is {source.state.value}"
        if not placement.usable(target):
            return f"{target.name} is {target.state.value}"
        if source.hypervisor != target.hypervisor:
            name = HYPERVISORS[source.hypervisor].migration_name
            return (f"{name} stays within one hypervisor family: {source.name} is "
                    f"{source.hypervisor}, {target.name} is {target.hypervisor}")
        if not placement.compatible(self.cluster, vm, target):
            return f"{target.name} ({target.hypervisor}) does not run {vm.guest_os}"
        if not self.cluster.fits(vm, target):
            return (f"{target.name} has no room: needs {vm.vcpus} vCPU / {vm.memory_gb:g} GB, "
                    f"free {placement.free_memory(self.cluster, target):g} GB")
        clash = placement.conflicts(self.cluster, vm, target)
        if clash:
            return f"anti-affinity with {', '.join(clash)} on {target.name}"
        return placement.rule_refusal(self.cluster, vm, target)

    def is_moving(self, vm: str) -> bool:
        return vm in self.active or any(m.vm == vm for m in self.queued)

    def limit(self, node: Node) -> int:
        return self.settings.limit_10g if node.link_gbps >= 10 else self.settings.limit_1g

    def running_on(self, node: str) -> int:
        return sum(1 for m in self.active.values() if node in (m.source, m.target))

    # -- the command ---------------------------------------------------------------------------

    def _migrate(self, command: Command) -> Outcome:
        assert isinstance(command, Migrate)
        vm = self.cluster.vms.get(command.vm)
        if vm is None:
            return Outcome.refuse(f"no VM named {command.vm}")
        if command.target is None:
            if vm.state is not VmState.RUNNING:
                return Outcome.refuse(f"{vm.name} is {vm.state.value}, not running")
            target = self.context.balancer.choose_target(vm)
            if target is None:
                return Outcome.refuse(f"no host can take {vm.name}: "
                                      f"{placement.why_not(self.cluster, vm, (vm.host or '',))}")
        else:
            target = self.cluster.nodes.get(command.target)
            if target is None:
                return Outcome.refuse(f"no node named {command.target}")
        refusal = self.refusal(vm, target)
        if refusal:
            return Outcome.refuse(refusal)
        self.start(vm, target, "operator")
        return Outcome.ok(f"to {target.name}")

    # -- running migrations --------------------------------------------------------------------

    def start(self, vm: Vm, target: Node, reason: str) -> None:
        """Begin (or queue, past the per-host limit) a checked migration."""
        source = self.cluster.nodes[vm.host]  # type: ignore[index]
        bandwidth = (min(source.link_gbps, target.link_gbps) * 1000 / 8
                     * self.settings.link_efficiency)
        migration = Migration(vm.name, source.name, target.name, reason, bandwidth,
                              queued_at=self.context.now,
                              round_mb=vm.memory_gb * MB_PER_GB)
        if (self.running_on(source.name) >= self.limit(source)
                or self.running_on(target.name) >= self.limit(target)):
            self.queued.append(migration)
            self.context.emit("migration_queued", vm.name,
                              f"{vm.name} {source.name} → {target.name} queued: host "
                              "migration limit reached")
            return
        self._begin(migration)

    def _begin(self, migration: Migration) -> None:
        vm = self.cluster.vms[migration.vm]
        self.cluster.set_target(vm, migration.target)
        self.cluster.set_state(vm, VmState.MIGRATING)
        migration.started_at = self.context.now
        migration.round_started = self.context.now
        self.active[vm.name] = migration
        dirty = self.context.workloads.demand(vm, self.context.now).dirty_mbps
        self.context.emit("migration_started", vm.name,
                          f"{vm.name} {migration.source} → {migration.target} ({migration.reason}):"
                          f" {vm.memory_gb:g} GB over {migration.bandwidth_mbps:.0f} MB/s, "
                          f"dirtying {dirty:.0f} MB/s")
        self._schedule_round(migration)

    def _schedule_round(self, migration: Migration) -> None:
        seconds = migration.round_mb / migration.bandwidth_mbps
        migration.timer = self.context.schedule(seconds, lambda: self._round_done(migration))

    def _round_done(self, migration: Migration) -> None:
        if self.active.get(migration.vm) is not migration:
            return
        vm = self.cluster.vms[migration.vm]
        duration = self.context.now - migration.round_started
        migration.sent_mb += migration.round_mb
        dirty_rate = self.context.workloads.demand(vm, self.context.now).dirty_mbps
        dirty_rate *= 1 - migration.throttle
        working_set = vm.memory_gb * MB_PER_GB * max(vm.workload.memory, 0.05)
        left = min(working_set, dirty_rate * duration)
        downtime_s = left / migration.bandwidth_mbps
        target_s = self.settings.downtime_target_ms / 1000
        converging = dirty_rate < migration.bandwidth_mbps
        if downtime_s <= target_s or migration.round + 1 >= self.settings.max_rounds:
            if downtime_s > target_s and not converging:
                self._fail(migration, self._no_convergence(dirty_rate, migration))
                return
            self._switch_over(migration, left, downtime_s)
            return
        if not converging and not self.settings.auto_converge:
            self._fail(migration, self._no_convergence(dirty_rate, migration))
            return
        if self.settings.auto_converge and left > AUTO_CONVERGE_RATIO * migration.round_mb:
            migration.throttle = min(THROTTLE_MAX, max(THROTTLE_START,
                                                       migration.throttle + THROTTLE_STEP))
        migration.round += 1
        migration.round_mb = left
        migration.round_started = self.context.now
        self._schedule_round(migration)

    def _no_convergence(self, dirty_rate: float, migration: Migration) -> str:
        return (f"did not converge: the guest dirties {dirty_rate:.0f} MB/s, the link carries "
                f"{migration.bandwidth_mbps:.0f} MB/s (enable auto-converge to throttle it)")

    def _switch_over(self, migration: Migration, left_mb: float, downtime_s: float) -> None:
        migration.switchover = True
        migration.round_mb = left_mb
        migration.downtime_ms = downtime_s * 1000
        migration.timer = self.context.schedule(downtime_s, lambda: self._complete(migration))

    def _complete(self, migration: Migration) -> None:
        if self.active.get(migration.vm) is not migration:
            return
        vm = self.cluster.vms[migration.vm]
        del self.active[vm.name]
        migration.sent_mb += migration.round_mb
        self.cluster.set_target(vm, None)
        self.cluster.set_host(vm, migration.target)
        self.cluster.set_state(vm, VmState.RUNNING)
        vm.downtime_s += migration.downtime_ms / 1000
        vm.last_migrated_at = self.context.now
        self.completed += 1
        self.downtimes_ms.append(migration.downtime_ms)
        took = self.context.now - (migration.started_at or self.context.now)
        throttle = f", throttled {migration.throttle:.0%}" if migration.throttle else ""
        self.context.emit("migration_completed", vm.name,
                          f"{vm.name} now runs on {migration.target}: {took:.1f} s, "
                          f"{migration.round + 1} rounds, {migration.sent_mb / MB_PER_GB:.1f} GB "
                          f"sent, switchover {migration.downtime_ms:.0f} ms{throttle}")
        self._start_queued()

    def _fail(self, migration: Migration, why: str, severity: Severity = Severity.ERROR) -> None:
        """End a migration that will not finish; the VM stays (or was lost) on its source."""
        self.active.pop(migration.vm, None)
        if migration.timer is not None:
            migration.timer.cancel()
        vm = self.cluster.vms[migration.vm]
        if vm.state is VmState.MIGRATING:
            self.cluster.set_target(vm, None)
            self.cluster.set_state(vm, VmState.RUNNING)
        self.failed += 1
        self.context.emit("migration_failed", vm.name,
                          f"{vm.name} {migration.source} → {migration.target}: {why}", severity)
        self._start_queued()

    def _start_queued(self) -> None:
        waiting, self.queued = self.queued, []
        for migration in waiting:
            vm = self.cluster.vms[migration.vm]
            source = self.cluster.nodes[migration.source]
            target = self.cluster.nodes[migration.target]
            if vm.host != source.name:
                continue
            busy = (self.running_on(source.name) >= self.limit(source)
                    or self.running_on(target.name) >= self.limit(target))
            if busy:
                self.queued.append(migration)
                continue
            refusal = self.refusal(vm, target)
            if refusal:
                self.failed += 1
                self.context.emit("migration_failed", vm.name,
                                  f"{vm.name} → {target.name} dropped from the queue: {refusal}",
                                  Severity.WARNING)
                continue
            self._begin(migration)

    # -- reconcile: clean aborts ---------------------------------------------------------------

    def reconcile(self) -> None:
        for migration in list(self.active.values()):
            vm = self.cluster.vms[migration.vm]
            source = self.cluster.nodes[migration.source]
            target = self.cluster.nodes[migration.target]
            if vm.state is not VmState.MIGRATING:
                self._fail(migration, f"source {source.name} lost; HA takes over the VM",
                           Severity.WARNING)
            elif not target.beating or target.quorum_lost:
                self._fail(migration, f"target {target.name} lost; {vm.name} stays on "
                                      f"{source.name}", Severity.WARNING)
        if self.queued:
            self._start_queued()
