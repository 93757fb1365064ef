"""Live migration (VMotion / XenMotion): which migrations run, queue, and how they end.

This module decides: it checks a move (`refusal`: state, hypervisor family, room, rules), keeps
each host under its concurrency limit (4 at once on 1 GbE, 8 on 10 GbE, as vSphere's defaults),
queues the rest, and aborts cleanly when either end is lost. The copy itself (pre-copy rounds and
the stop-and-copy, see `console.model.precopy`) runs on the hardware, reached through
`kernel.Actuator.migrate`, which reports the switchover or the failure back.

A migration holds capacity on both hosts until it ends, and each round is one timer, so a
migration costs the engine a handful of events however long it runs.
"""

from __future__ import annotations

from console.model import placement
from console.model.commands import CancelMigration, Command, Migrate
from console.model.entities import MB_PER_GB, Node, NodeState, Vm, VmState
from console.model.events import Severity
from console.model.hypervisors import HYPERVISORS
from console.model.kernel import Context, Handler, Outcome
from console.model.precopy import Migration
from console.model.settings import MigrationSettings

#: Host states a VM may migrate away from.
SOURCE_STATES = frozenset({NodeState.ONLINE, NodeState.ENTERING_MAINTENANCE})


class Migrations:
    """Live migration's decisions: implements `kernel.MigrationQueue` for its peers; counts
    completed and failed migrations and switchover downtimes (ms) for the run summary.
    """

    def __init__(self, context: Context) -> None:
        self.context = context
        self.cluster = context.cluster
        self.active: dict[str, Migration] = {}   # VM name -> running migration
        self.queued: list[Migration] = []
        self.completed = 0
        self.failed = 0
        self.downtimes_ms: list[float] = []

    @property
    def settings(self) -> MigrationSettings:
        """The cluster's migration settings (downtime target, rounds, limits, link efficiency)."""
        return self.cluster.settings.migration

    def handlers(self) -> dict[type[Command], Handler]:
        """`migrate VM [NODE]`, `cancel-migration VM`."""
        return {Migrate: self._migrate, CancelMigration: self._cancel}

    def summary(self) -> dict[str, object]:
        """The run summary's `migrations` section: completed, failed, running, queued, mean
        switchover downtime in ms.
        """
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
        if source.state not in SOURCE_STATES or not source.heard:
            return f"its host {source.name} is {placement.condition(source)}"
        if not placement.usable(target):
            return f"{target.name} is {placement.condition(target)}"
        if source.hypervisor != target.hypervisor:
            name = HYPERVISORS[source.hypervisor].migration_name
            return (f"{name} stays within one hypervisor family: {source.name} is "
                    f"{source.hypervisor}, {target.name} is {target.hypervisor}")
        incompatible = placement.incompatibility(self.cluster, vm, target)
        if incompatible is not None:
            return incompatible
        if not self.cluster.fits(vm, target):
            free_vcpus = self.cluster.vcpu_capacity(target) - target.used_vcpus
            return (f"{target.name} has no room: needs {placement.vcpus(vm.vcpus)} and "
                    f"{vm.memory_gb:g} GB, free {placement.free_memory(self.cluster, target):g} "
                    f"GB and {placement.vcpus(free_vcpus)}")
        clash = placement.conflicts(self.cluster, vm, target)
        if clash:
            return f"anti-affinity with {', '.join(clash)} on {target.name}"
        return placement.rule_refusal(self.cluster, vm, target)

    def is_moving(self, vm: str) -> bool:
        """Is the VM named `vm` migrating, or queued to?"""
        return vm in self.active or any(m.vm == vm for m in self.queued)

    def limit(self, node: Node) -> int:
        """Concurrent migrations `node` takes part in at most: 8 on 10 GbE and faster, else 4."""
        return self.settings.limit_10g if node.link_gbps >= 10 else self.settings.limit_1g

    def running_on(self, node: str) -> int:
        """Running migrations with the host named `node` at either end."""
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

    def _cancel(self, command: Command) -> Outcome:
        """`cancel-migration VM`: the copy stops and the VM keeps running on its source, as
        when a vMotion task is cancelled ("Migrating Virtual Machines", vCenter Server and Host
        Management); a queued one leaves the queue. An evacuation for maintenance is refused:
        the host would only send the VM again."""
        assert isinstance(command, CancelMigration)
        if command.vm not in self.cluster.vms:
            return Outcome.refuse(f"no VM named {command.vm}")
        migration = self.active.get(command.vm) or next(
            (m for m in self.queued if m.vm == command.vm), None)
        if migration is None:
            return Outcome.refuse(f"{command.vm} is not migrating")
        source = self.cluster.nodes[migration.source]
        if source.maintenance:
            return Outcome.refuse(f"{command.vm} is leaving {source.name}, which enters "
                                  f"maintenance; take {source.name} out of maintenance first")
        if migration in self.queued:
            self.queued.remove(migration)
        else:
            del self.active[migration.vm]
            self.context.world.abandon_migration(migration)
            vm = self.cluster.vms[migration.vm]
            self.cluster.set_target(vm, None)
            self.cluster.set_state(vm, VmState.RUNNING)
        self.context.emit("migration_cancelled", migration.vm,
                          f"{migration.vm} {migration.source} → {migration.target} cancelled by "
                          f"the operator; {migration.vm} stays on {migration.source}",
                          Severity.WARNING)
        self._start_queued()
        return Outcome.ok(f"stays on {migration.source}")

    # -- running migrations --------------------------------------------------------------------

    def start(self, vm: Vm, target: Node, reason: str) -> None:
        """Begin (or queue, past the per-host limit) a checked migration."""
        source = self.cluster.nodes[vm.host]  # type: ignore[index]
        bandwidth = (min(source.link_gbps, target.link_gbps) * 1000 / 8
                     * self.settings.link_efficiency)
        migration = Migration(vm.name, source.name, target.name, reason, bandwidth,
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
        self.active[vm.name] = migration
        dirty = self.context.workloads.demand(vm, self.context.now).dirty_mbps
        self.context.emit("migration_started", vm.name,
                          f"{vm.name} {migration.source} → {migration.target} ({migration.reason}):"
                          f" {vm.memory_gb:g} GB over {migration.bandwidth_mbps:.0f} MB/s, "
                          f"dirtying {dirty:.0f} MB/s")
        self.context.world.migrate(migration, lambda: self._complete(migration),
                                   lambda why: self._fail(migration, why))

    def _complete(self, migration: Migration) -> None:
        if self.active.get(migration.vm) is not migration:
            return
        vm = self.cluster.vms[migration.vm]
        del self.active[vm.name]
        self.cluster.set_target(vm, None)
        self.cluster.set_host(vm, migration.target)
        self.cluster.set_state(vm, VmState.RUNNING)
        vm.downtime_s += migration.downtime_ms / 1000
        vm.last_migrated_at = self.context.now
        self.completed += 1
        self.downtimes_ms.append(migration.downtime_ms)
        started = migration.started_at
        took = 0.0 if started is None else self.context.now - started
        throttle = f", throttled {migration.throttle:.0%}" if migration.throttle else ""
        rounds = migration.round + 1
        self.context.emit("migration_completed", vm.name,
                          f"{vm.name} now runs on {migration.target}: {took:.1f} s, "
                          f"{rounds} round{'' if rounds == 1 else 's'}, "
                          f"{migration.sent_mb / MB_PER_GB:.1f} GB "
                          f"sent, switchover {migration.downtime_ms:.0f} ms{throttle}")
        self._start_queued()

    def _fail(self, migration: Migration, why: str, severity: Severity = Severity.ERROR) -> None:
        """End a migration that will not finish; the VM stays (or was lost) on its source."""
        self.active.pop(migration.vm, None)
        self.context.world.abandon_migration(migration)
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
        """Abort migrations whose source or target was lost, or whose target entered maintenance
        (no VM may land on a host being emptied: vSphere, "Place an ESXi Host in Maintenance
        Mode"); start queued ones that may run."""
        for migration in list(self.active.values()):
            vm = self.cluster.vms[migration.vm]
            source = self.cluster.nodes[migration.source]
            target = self.cluster.nodes[migration.target]
            if vm.state is not VmState.MIGRATING:
                self._fail(migration, f"source {source.name} lost; HA takes over the VM",
                           Severity.WARNING)
            elif not target.heard or target.quorum_lost:
                self._fail(migration, f"target {target.name} lost; {vm.name} stays on "
                                      f"{source.name}", Severity.WARNING)
            elif target.maintenance:
                self._fail(migration, f"target {target.name} is "
                                      f"{target.state.value.replace('_', ' ')}; "
                                      f"{vm.name} stays on {source.name}", Severity.WARNING)
        if self.queued:
            self._start_queued()
