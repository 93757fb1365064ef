"""The simulated hardware: power, boots, the heartbeat network, VM boots, memory and image copies.

This is the truth the cluster's belief (membership, HA) lags behind, and the one place the fault
injection commands act: `fail-node` (a crash), `power-off` (a clean shutdown), `power-on` (a boot
of `boot_s` seconds), `add-node` (a new host racked and booted), `isolate` / `reconnect` (cut the
host off the heartbeat network and back), `fail-starts` and `fail-migrations`
(the next VM starts, or live migrations, on a host fail). The world then tells membership what
its heartbeats and boots show (`HostWatch`) and HA which VMs died with their host
(`Recovery.vm_down`).

The deciding behaviours reach the world only through `kernel.Actuator` (start a VM, stop it,
fence a host, live-migrate a VM, stream an image to a host) and `kernel.Observations` (is a host
powered, does it write datastore heartbeats), as pve-ha-manager's HA logic reaches only its `Env`
(`Sim/Hardware.pm` in its simulator). A real source (libvirt) implements those two protocols
instead of this class.

Where the truth is stored: a node's `powered` and `connected` flags and the images it holds (only
this module writes them), its `epoch` (bumped here on every power or network change, so stale
timers of any behaviour can tell), and each link's streaming queue. Which VMs run where is still
the VMs' own `state` and `host` in the cluster's registry; whether a host is booting is still
told by its believed state `booting`.

A cluster file may start a host powered off or in maintenance (`start_node`): the state the host
would be in after `power-off` or after an evacuation, without the run that led there.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from console.model.commands import (
    MAX_INJECTED,
    AddNode,
    Command,
    FailMigrations,
    FailNode,
    FailStarts,
    Isolate,
    ObserveActionFailed,
    ObserveDefined,
    ObserveHost,
    ObserveMigrated,
    ObserveMigration,
    ObserveUndefined,
    ObserveVm,
    PowerOff,
    PowerOn,
    Reconnect,
    VmReading,
)
from console.model.entities import LOST_STATES, MB_PER_GB, Image, Node, NodeState, Vm, VmState
from console.model.kernel import Context, Handler, Outcome
from console.model.precopy import Migration, after_round, next_throttle

#: Observations of real hosts, which a simulated cluster refuses: its truth is simulated here.
SIMULATED_REFUSES: tuple[type[Command], ...] = (
    ObserveHost, ObserveVm, ObserveDefined, ObserveUndefined, ObserveMigration, ObserveMigrated,
    ObserveActionFailed, VmReading)


def _not_observed(command: Command) -> Outcome:
    return Outcome.refuse(f"{command.verb} is for an observed cluster: this one is simulated "
                          '([cluster] truth = "observed" for real hosts)')


def start_node(node: Node, *, powered: bool = True, maintenance: bool = False) -> None:
    """Give `node` the state it starts a run in. Powered off: off, and known to be (fenced),
    `offline` and silent since before time 0, exactly as a clean shutdown leaves a host
    (`Membership.shut_down`; its vote goes only under dynamic quorum, which `Membership`
    applies at start); `power-on` boots it and it rejoins. In
    maintenance: the operator's intent is set (it survives a power cycle, and `maintenance NODE
    off` ends it) and a powered host is `maintenance`, as vSphere leaves a host once
    evacuated ("Place an ESXi Host in Maintenance Mode", vSphere Resource Management); one
    that is powered off enters maintenance when it boots. The caller checks that no VM runs on
    such a host."""
    node.maintenance = maintenance
    if not powered:
        node.powered = False
        node.state = NodeState.OFFLINE
        node.fenced = True
        node.beat_gaps = [(-math.inf, None)]  # silent since before 0: no beat at 0 either
    elif maintenance:
        node.state = NodeState.MAINTENANCE


class World:
    """The simulated environment: implements `kernel.Environment` and the fault commands."""

    def __init__(self, context: Context) -> None:
        self.context = context
        self.cluster = context.cluster
        self._link_free: dict[str, float] = {}  # host -> when its link has streamed all queued
        self._start_faults: dict[str, int] = {}      # host -> VM starts still to fail there
        self._migration_faults: dict[str, int] = {}  # host -> migrations still to fail there
        self._reset: set[str] = set()  # hosts reset by their watchdog, to boot once reachable
        self._booting: set[str] = set()  # hosts powered on whose boot has not ended
        #: Bumped on every change of a host's power, boot or network link, and on a host joining
        #: the pool: what the partitions (`Membership.partitions`) are made of.
        self.version = 0

    def handlers(self) -> dict[type[Command], Handler]:
        """The fault commands: fail-node, power-off, power-on, add-node, isolate, reconnect,
        fail-starts, fail-migrations; the observations of real hosts are refused
        (`SIMULATED_REFUSES`)."""
        answers: dict[type[Command], Handler] = {
            FailNode: self._fail_node, PowerOff: self._power_off, PowerOn: self._power_on,
            AddNode: self._add_node, Isolate: self._isolate, Reconnect: self._reconnect,
            FailStarts: self._fail_starts, FailMigrations: self._fail_migrations}
        for observation in SIMULATED_REFUSES:
            answers[observation] = _not_observed
        return answers

    def reconcile(self) -> None:
        """The hardware acts on commands and timers only."""

    # -- observations --------------------------------------------------------------------------

    def powered(self, node: Node) -> bool:
        """Is the host powered on?"""
        return node.powered

    def booting(self, node: Node) -> bool:
        """Is the host powered on but still booting (not yet on any network)?"""
        return node.name in self._booting

    def writes_datastore_heartbeats(self, node: Node) -> bool:
        """A powered host that has booted writes them, if the cluster has a datastore heartbeat
        channel."""
        return (node.powered and node.name not in self._booting
                and self.cluster.settings.heartbeat.datastore_heartbeat)

    # -- the actuator --------------------------------------------------------------------------

    def start_vm(self, vm: Vm, ready_in_s: float, running: Callable[[], None],
                 failed: Callable[[str], None]) -> None:
        """The guest boots `vm.boot_s` seconds after its disk is ready (`ready_in_s`); a start
        failure injected on its host fails the power-on as the disk is ready."""
        if vm.host is not None and self._take_fault(self._start_faults, vm.host):
            why = f"power-on failed on {vm.host} (injected start failure)"
            self.context.schedule(ready_in_s, lambda: failed(why))
            return
        self.context.schedule(ready_in_s + vm.boot_s, running)

    @staticmethod
    def _take_fault(faults: dict[str, int], node: str) -> bool:
        """Use up one armed failure on `node`, if it has one."""
        if faults.get(node, 0) <= 0:
            return False
        faults[node] -= 1
        if not faults[node]:
            del faults[node]
        return True

    def stop_vm(self, vm: Vm) -> None:
        """The guest is off from this instant."""
        self.cluster.set_state(vm, VmState.STOPPED)

    def suspend_vm(self, vm: Vm) -> None:
        """The guest is paused from this instant; it keeps its memory on its host."""
        self.cluster.set_state(vm, VmState.PAUSED)

    def resume_vm(self, vm: Vm) -> None:
        """The guest runs again from this instant."""
        self.cluster.set_state(vm, VmState.RUNNING)

    def shutdown_vm(self, vm: Vm, stopped: Callable[[], None],
                    failed: Callable[[str], None]) -> None:
        """The guest takes the quorum settings' `shutdown_s` to shut down, then is off; a VM
        whose state changed meanwhile (powered off, its host crashed) is left as it is. A
        simulated guest never refuses (`failed` is not called)."""
        epoch = vm.epoch

        def off() -> None:
            if vm.epoch == epoch and vm.state is VmState.RUNNING:
                self.cluster.set_state(vm, VmState.STOPPED)
                stopped()

        self.context.schedule(self.cluster.settings.quorum.shutdown_s, off)

    def stream_image(self, node: Node, image: Image, arrived: Callable[[], None]) -> float:
        """Streams share the host's fastest link (Gb/s) one after another; a host that lost
        power before the image arrived does not hold it."""
        now = self.context.now
        rate = node.link_gbps * 1000 / 8  # MB/s
        start = max(now, self._link_free.get(node.name, now))
        arrival = start + image.size_gb * MB_PER_GB / rate
        self._link_free[node.name] = arrival
        version = image.version
        self.context.schedule(arrival - now,
                              lambda: self._image_arrived(node, image.name, version, arrived))
        return arrival

    def _image_arrived(self, node: Node, part: str, version: int,
                       arrived: Callable[[], None]) -> None:
        if node.powered:
            node.images[part] = max(node.images.get(part, 0), version)
            arrived()

    def fence(self, node: Node) -> None:
        """Out-of-band power off; the fencing delay is the caller's (HA's `fence_s`)."""
        node.powered = False
        node.epoch += 1
        self._booting.discard(node.name)
        self.version += 1

    def reset(self, node: Node) -> None:
        """The host's watchdog resets it: down from this instant, like a crash, then it boots
        again. A host cut off the heartbeat network boots where no one can hear it: the model
        boots it once it is reconnected (or powered on)."""
        if not node.powered:
            return
        self._cut_power(node, f"{node.name} was reset by its watchdog")
        self.context.membership.crashed(node)
        if node.connected:
            self._boot(node)
        else:
            self._reset.add(node.name)

    def migrate(self, migration: Migration, switched_over: Callable[[], None],
                failed: Callable[[str], None]) -> None:
        """Copy the VM's memory round by round (`console.model.precopy`), then stop and copy
        the rest; `switched_over` once it runs on the target, `failed` if it cannot converge.
        A migration failure injected on either end fails it at the end of its first round."""
        migration.started_at = self.context.now
        migration.round_started = self.context.now
        faulty = next((end for end in (migration.source, migration.target)
                       if self._take_fault(self._migration_faults, end)), None)
        if faulty is not None:
            why = f"migration failed on {faulty} (injected migration failure)"
            migration.timer = self.context.schedule(
                migration.round_mb / migration.bandwidth_mbps, lambda: failed(why))
            return
        self._copy_round(migration, switched_over, failed)

    def abandon_migration(self, migration: Migration) -> None:
        """Stop copying; the VM keeps running where it was (if its host still runs)."""
        if migration.timer is not None:
            migration.timer.cancel()

    def _copy_round(self, migration: Migration, switched_over: Callable[[], None],
                    failed: Callable[[str], None]) -> None:
        seconds = migration.round_mb / migration.bandwidth_mbps
        migration.timer = self.context.schedule(
            seconds, lambda: self._round_done(migration, switched_over, failed))

    def _round_done(self, migration: Migration, switched_over: Callable[[], None],
                    failed: Callable[[str], None]) -> None:
        vm = self.cluster.vms[migration.vm]
        now = self.context.now
        duration = now - migration.round_started
        migration.sent_mb += migration.round_mb
        settings = self.cluster.settings.migration
        end = after_round(migration, vm, self.context.workloads.demand(vm, now).dirty_mbps,
                          duration, settings)
        if end.step == "fail":
            failed(end.why)
        elif end.step == "switch":
            migration.switchover = True
            migration.round_mb = end.left_mb
            migration.downtime_ms = end.downtime_s * 1000
            migration.timer = self.context.schedule(
                end.downtime_s, lambda: self._switched_over(migration, switched_over))
        else:
            migration.throttle = next_throttle(migration, end.left_mb, settings)
            migration.round += 1
            migration.round_mb = end.left_mb
            migration.round_started = now
            self._copy_round(migration, switched_over, failed)

    def _switched_over(self, migration: Migration, switched_over: Callable[[], None]) -> None:
        migration.sent_mb += migration.round_mb
        switched_over()

    # -- fault injection -----------------------------------------------------------------------

    def _node(self, name: str) -> Node | None:
        return self.cluster.nodes.get(name)

    def _fail_node(self, command: Command) -> Outcome:
        assert isinstance(command, FailNode)
        node = self._node(command.node)
        if node is None:
            return Outcome.refuse(f"no node named {command.node}")
        if not node.powered:
            return Outcome.refuse(f"{node.name} is already powered off{_belief(node)}")
        self._cut_power(node, f"crashed with {node.name}")
        self.context.membership.crashed(node)
        return Outcome.ok()

    def _power_off(self, command: Command) -> Outcome:
        assert isinstance(command, PowerOff)
        node = self._node(command.node)
        if node is None:
            return Outcome.refuse(f"no node named {command.node}")
        if not node.powered:
            return Outcome.refuse(f"{node.name} is already powered off{_belief(node)}")
        running = len([vm for vm in self.cluster.vms_on(node) if vm.state is not VmState.STOPPED])
        self._cut_power(node, f"shut down with {node.name}")
        self.context.membership.shut_down(node, running)
        return Outcome.ok()

    def _cut_power(self, node: Node, why: str) -> None:
        """The host stops: whatever ran on it is down from this instant."""
        node.powered = False
        node.epoch += 1
        self._booting.discard(node.name)
        self.version += 1
        for vm in self.cluster.vms_on(node):
            self.context.ha.vm_down(vm, why)

    def _power_on(self, command: Command) -> Outcome:
        assert isinstance(command, PowerOn)
        node = self._node(command.node)
        if node is None:
            return Outcome.refuse(f"no node named {command.node}")
        if node.powered:
            hint = "; use reconnect for an isolated node" if not node.connected else ""
            return Outcome.refuse(f"{node.name} is already powered on{_belief(node)}{hint}")
        self._boot(node)
        return Outcome.ok()

    def _boot(self, node: Node) -> None:
        self._reset.discard(node.name)
        node.powered = True
        node.epoch += 1
        self._booting.add(node.name)
        self.version += 1
        self.context.membership.booting(node)
        epoch = node.epoch
        self.context.schedule(node.boot_s, lambda: self._booted(node, epoch))

    def _booted(self, node: Node, epoch: int, *, new: bool = False) -> bool:
        """The boot begun at `epoch` ends (of a host `new` to the pool, or one that was in it);
        False if the host lost power since."""
        if node.epoch != epoch or not node.powered:
            return False
        self._booting.discard(node.name)
        self.version += 1
        self.context.membership.booted(node, reachable=node.connected, new=new)
        return True

    def _add_node(self, command: Command) -> Outcome:
        """A new host built like an existing one joins the pool: it boots, then joins."""
        assert isinstance(command, AddNode)
        name = command.node
        if name in self.cluster.nodes or name in self.cluster.vms:
            return Outcome.refuse(f"the name {name} is taken")
        template = self.cluster.nodes.get(command.template or next(iter(self.cluster.nodes)))
        if template is None:
            return Outcome.refuse(f"no node named {command.template} to copy")
        node = Node(name, template.hypervisor, cpus=template.cpus,
                    cores_per_cpu=template.cores_per_cpu, mhz=template.mhz,
                    memory_gb=template.memory_gb, disks_gb=template.disks_gb,
                    nics_gbps=template.nics_gbps, disk_mbps=template.disk_mbps,
                    boot_s=template.boot_s, state=NodeState.BOOTING, has_vote=False,
                    heard=False)
        self.cluster.add_node(node)
        self._booting.add(name)
        self.version += 1
        self.context.emit("node_booting", name,
                          f"{name} ({template.hypervisor}, built like {template.name}) is joining "
                          f"the pool; booting {node.boot_s:g} s")
        epoch = node.epoch
        self.context.schedule(node.boot_s, lambda: self._joined(node, epoch))
        return Outcome.ok(f"like {template.name}")

    def _joined(self, node: Node, epoch: int) -> None:
        if self._booted(node, epoch, new=True):
            self.context.membership.joined(node)

    def _isolate(self, command: Command) -> Outcome:
        assert isinstance(command, Isolate)
        node = self._node(command.node)
        if node is None:
            return Outcome.refuse(f"no node named {command.node}")
        if not node.connected:
            return Outcome.refuse(f"{node.name} is already cut off the heartbeat network"
                                  f"{_belief(node)}")
        node.connected = False
        self.version += 1
        if node.powered and not self.booting(node):
            node.epoch += 1  # a booting node keeps its boot timer: it finds itself cut off then
            self.context.membership.link_cut(node)
        return Outcome.ok()

    def _fail_starts(self, command: Command) -> Outcome:
        assert isinstance(command, FailStarts)
        return self._arm(self._start_faults, command.node, command.count, "VM start")

    def _fail_migrations(self, command: Command) -> Outcome:
        assert isinstance(command, FailMigrations)
        return self._arm(self._migration_faults, command.node, command.count, "live migration")

    def _arm(self, faults: dict[str, int], name: str, count: int, what: str) -> Outcome:
        """Arm `count` more failures of `what` on the node named `name` (at most MAX_INJECTED
        waiting at once)."""
        if name not in self.cluster.nodes:
            return Outcome.refuse(f"no node named {name}")
        if count < 1:
            return Outcome.refuse(f"COUNT must be at least 1, got {count}")
        armed = faults.get(name, 0) + count
        if armed > MAX_INJECTED:
            return Outcome.refuse(f"at most {MAX_INJECTED} failures may wait on one node; "
                                  f"{faults.get(name, 0)} already do")
        faults[name] = armed
        return Outcome.ok(f"the next {armed} {what}(s) on {name} fail")

    def _reconnect(self, command: Command) -> Outcome:
        assert isinstance(command, Reconnect)
        node = self._node(command.node)
        if node is None:
            return Outcome.refuse(f"no node named {command.node}")
        if node.connected:
            return Outcome.refuse(f"{node.name} is not cut off; nothing to reconnect")
        node.connected = True
        self.version += 1
        if node.name in self._reset:
            self._boot(node)
            return Outcome.ok("reset by its watchdog: it boots and rejoins")
        if node.powered and not self.booting(node):
            node.epoch += 1
            self.context.membership.link_restored(node)
        return Outcome.ok("powered off; it rejoins when powered on" if not node.powered else "")


def _belief(node: Node) -> str:
    """What the cluster believes of `node`, for a refusal that states the host's real power or
    link: said as a belief where it lags behind (a crashed host still believed online until
    failure detection declares it failed), else the state in brackets."""
    state = node.state.value
    if not node.powered and node.state not in LOST_STATES:
        return f" (the cluster still believes it {state} until it declares it failed)"
    if node.powered and node.state in LOST_STATES:
        return f" (the cluster believes it {state})"
    if not node.connected and node.state not in LOST_STATES:
        return f" (the cluster still believes it {state} until it declares it isolated)"
    return f" ({state})"
