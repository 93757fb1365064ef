"""The hardware of an observed cluster: real hosts, seen through observation commands.

A cluster whose file says `[cluster] truth = "observed"` (a libvirt session's, or its recording)
runs on an `ObservedWorld` instead of the simulated `console.model.world.World`. It implements
the same `kernel.Environment`, but changes nothing by itself:

* each actuator call (start, stop, suspend, resume, shut down, migrate, cancel) hands the
  command that says it to the engine's `kernel.Actuations` sink (the live source; none in a
  replay, a resume or a fork), logs that the host was asked, and keeps the callbacks it was
  given (`running`, `failed`, `switched_over`, `stopped`) until the observation that resolves
  them arrives: `observe-vm VM running`, `observe-migrated`, `observe-action-failed`, ...;
* the observation commands set the truth: a VM's state and host (`observe-vm`, with an event
  naming the source's reason; an unchanged state logs nothing), VMs appearing and going
  (`observe-defined`, `observe-undefined`), a host's connection (`observe-host NODE down`
  stops its heartbeats, so membership declares it suspect then failed on the cluster's own
  timers, as for a simulated host cut off its network; `up` brings them back and it rejoins),
  a migration's progress (`observe-migration`) and a VM's utilisation (`vm-reading`, which
  replaces the workload model: an observed VM's workload is what was last read of it);
* autonomy the real hosts do not have is off (`observe_settings`): no HA restarts or fencing
  (plain libvirt has no HA manager), no isolation response or watchdog, no datastore
  heartbeat channel, the balancer in manual automation (it proposes; an accepted proposal is a
  `migrate`, which goes to the hosts); fault injection and the simulated provisioning
  (`deploy`, `publish-image`, `relocate`) are refused with the reason.

Everything enters through `Engine.submit`, so a recording of an observed session, which holds
the cluster file and every observation, replays to the same events with no real host.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from console.model import placement
from console.model.cluster import Cluster
from console.model.commands import (
    AddNode,
    CancelMigration,
    ColdMigrate,
    Command,
    Deploy,
    FailMigrations,
    FailNode,
    FailStarts,
    Isolate,
    Migrate,
    ObserveActionFailed,
    ObserveDefined,
    ObserveHost,
    ObserveMigrated,
    ObserveMigration,
    ObserveUndefined,
    ObserveVm,
    PowerOff,
    PowerOn,
    PublishImage,
    Reconnect,
    Relocate,
    VmPower,
    VmReading,
    VmResume,
    VmShutdown,
    VmSuspend,
)
from console.model.entities import (
    KEPT_OFF,
    MB_PER_GB,
    HaState,
    Image,
    Node,
    Vm,
    VmState,
    Workload,
)
from console.model.events import Severity
from console.model.hypervisors import HYPERVISORS, supported_guests
from console.model.kernel import Actuations, Context, Handler, Outcome
from console.model.precopy import Migration

#: Why each kind of fault injection or simulated provisioning is refused on real hosts.
REFUSALS: dict[type[Command], str] = {
    FailNode: "a real host cannot be crashed from the console: libvirt reports what "
              "happens to it",
    PowerOff: "a real host cannot be powered off from the console: its connection's state "
              "is observed (observe-host)",
    PowerOn: "a real host cannot be powered on from the console: it rejoins when its "
             "connection answers again",
    AddNode: "a real host cannot be added from the console: connect to it (--connect)",
    Isolate: "a real host cannot be cut off its network from the console: its connection's "
             "state is observed",
    Reconnect: "a real host cannot be reconnected from the console: the source reconnects "
               "by itself",
    FailStarts: "a real host cannot be made to fail VM starts from the console: failures "
                "come from libvirt",
    FailMigrations: "a real host cannot be made to fail migrations from the console: "
                    "failures come from libvirt",
    Deploy: "a real VM cannot be deployed from an image from the console: define it on its "
            "host",
    PublishImage: "real hosts have no image store in the console: nothing to publish",
    Relocate: "relocate is not carried out on real hosts: cold-migrate is the offline move",
}

#: The observed states (`commands.OBSERVED_VM_STATES`) as VM states; `crashed` is a failure.
OBSERVED_STATES = {"running": VmState.RUNNING, "paused": VmState.PAUSED,
                   "stopped": VmState.STOPPED, "crashed": VmState.FAILED}

#: An observed VM's workload before its first reading: nothing known, nothing assumed.
UNREAD = Workload(cpu=0.0, memory=0.0, disk_mbps=0.0, dirty_mbps=0.0)


def _ends_migration(state: VmState, reason: str | None) -> bool:
    """Does `state` observed during a migration end it? A crash, or a stop that is not the
    migration's own (libvirt stops the source's domain with reason `migrated` once it runs on
    the target); paused and running on the source are the migration's own steps."""
    return state is VmState.FAILED or (state is VmState.STOPPED and reason != "migrated")


def observe_settings(cluster: Cluster) -> None:
    """Turn off, in `cluster`'s settings, the autonomy real hosts lack (new settings values,
    never the shared ones changed in place): HA restarts and fencing, the isolation
    response, the watchdog, the datastore heartbeat channel, quorum votes (plain libvirt hosts
    have none: the console hears the hosts that answer, `Membership.quorum_partition`); the
    balancer proposes only. Each VM's workload becomes `UNREAD` until its first
    `vm-reading`."""
    settings = cluster.settings
    settings.ha = replace(settings.ha, enabled=False)
    settings.quorum = replace(settings.quorum, isolation_response="leave_powered_on",
                              watchdog_s=0.0, voting=False, witness=False,
                              dynamic_quorum=False, dynamic_witness=False, tie_breaker=False)
    settings.heartbeat = replace(settings.heartbeat, datastore_heartbeat=False)
    settings.balancer = replace(settings.balancer, automation="manual")
    for vm in cluster.vms.values():
        vm.workload = UNREAD
        vm.isolation_response = ""


@dataclass(slots=True)
class _Start:
    running: Callable[[], None]
    failed: Callable[[str], None]


@dataclass(slots=True)
class _Move:
    migration: Migration
    switched_over: Callable[[], None]
    failed: Callable[[str], None]


class ObservedWorld:
    """Real hosts: implements `kernel.Environment` by asking them (`Actuations`) and answers
    the observation commands that say what they did. `actuations` gives the sink now (the
    engine's, read at each call: a source sets it after the engine is built)."""

    def __init__(self, context: Context, actuations: Callable[[], Actuations | None]) -> None:
        self.context = context
        self.cluster = context.cluster
        self._actuations = actuations
        self._starts: dict[str, _Start] = {}
        self._moves: dict[str, _Move] = {}
        self._shutdowns: dict[str, tuple[Callable[[], None], Callable[[str], None]]] = {}
        #: Each VM's state as last observed (the cluster file's at discovery, then each
        #: `observe-vm`): what a VM shows again when a request made of its host ends unmet.
        self._seen: dict[str, VmState] = {name: vm.state for name, vm in self.cluster.vms.items()}
        #: Bumped on every change of a host's connection (`kernel.Observations`).
        self.version = 0

    def handlers(self) -> dict[type[Command], Handler]:
        """The observation commands, `cold-migrate` (asked of the hosts), and the refusals of
        fault injection and simulated provisioning (`REFUSALS`)."""
        answers: dict[type[Command], Handler] = {
            ObserveHost: self._observe_host, ObserveVm: self._observe_vm,
            ObserveDefined: self._observe_defined, ObserveUndefined: self._observe_undefined,
            ObserveMigration: self._observe_migration, ObserveMigrated: self._observe_migrated,
            ObserveActionFailed: self._observe_action_failed, VmReading: self._vm_reading,
            ColdMigrate: self._cold_migrate}
        for kind, why in REFUSALS.items():
            answers[kind] = lambda _command, why=why: Outcome.refuse(why)
        return answers

    def reconcile(self) -> None:
        """Real hosts act on requests and report through observations only."""

    # -- observations (kernel.Observations) ----------------------------------------------------

    def powered(self, node: Node) -> bool:
        """A real host is taken as powered: the console sees only its connection."""
        return node.powered

    def booting(self, node: Node) -> bool:
        """A real host's boot is not seen: never booting."""
        return False

    def writes_datastore_heartbeats(self, node: Node) -> bool:
        """No datastore heartbeat channel to real hosts: a silent host is declared failed."""
        return False

    # -- the actuator: asking the hosts --------------------------------------------------------

    def _ask(self, command: Command, node: str | None, what: str) -> None:
        """Hand `command` to the sink (if any) and log that `node` was asked `what`."""
        sink = self._actuations()
        if sink is not None:
            sink.act(command)
        self.context.emit("action_requested", getattr(command, "vm", None) or node or "",
                          f"asked {node} to {what}")

    def start_vm(self, vm: Vm, ready_in_s: float, running: Callable[[], None],
                 failed: Callable[[str], None]) -> None:
        """Ask its host to start `vm`; `running` once it is observed running, `failed` never:
        a start the host refuses leaves the VM stopped where it is defined (HA, off here,
        would move it to retry)."""
        self._starts[vm.name] = _Start(running, failed)
        self._ask(VmPower(vm.name, True), vm.host, f"start {vm.name}")

    def stop_vm(self, vm: Vm) -> None:
        """Ask its host to power `vm` off (libvirt: destroy); it stops when observed."""
        self._starts.pop(vm.name, None)
        self._ask(VmPower(vm.name, False), vm.host, f"power {vm.name} off")

    def suspend_vm(self, vm: Vm) -> None:
        """Ask its host to pause `vm`; it is paused when observed."""
        self._ask(VmSuspend(vm.name), vm.host, f"suspend {vm.name}")

    def resume_vm(self, vm: Vm) -> None:
        """Ask its host to resume `vm`; it runs when observed."""
        self._ask(VmResume(vm.name), vm.host, f"resume {vm.name}")

    def shutdown_vm(self, vm: Vm, stopped: Callable[[], None],
                    failed: Callable[[str], None]) -> None:
        """Ask its host to shut `vm`'s guest down; `stopped` once observed stopped, `failed`
        with the host's reason."""
        self._shutdowns[vm.name] = (stopped, failed)
        self._ask(VmShutdown(vm.name), vm.host, f"shut {vm.name} down")

    def stream_image(self, node: Node, image: Image, arrived: Callable[[], None]) -> float:
        """Real hosts hold their VMs' disks already: nothing streams."""
        return self.context.now

    def fence(self, node: Node) -> None:
        """Never called (HA is off); a real host has no fencing device here."""

    def reset(self, node: Node) -> None:
        """Never called (no watchdog); a real host is not reset by the console."""

    def migrate(self, migration: Migration, switched_over: Callable[[], None],
                failed: Callable[[str], None]) -> None:
        """Ask the source to live-migrate the VM to the target; progress comes from
        `observe-migration`, the end from `observe-migrated` or `observe-action-failed`."""
        now = self.context.now
        migration.started_at = migration.round_started = now
        self._moves[migration.vm] = _Move(migration, switched_over, failed)
        self._ask(Migrate(migration.vm, migration.target), migration.source,
                  f"live-migrate {migration.vm} to {migration.target}")

    def abandon_migration(self, migration: Migration) -> None:
        """Ask the source to cancel a migration no observation has ended yet."""
        move = self._moves.get(migration.vm)
        if move is not None and move.migration is migration:
            del self._moves[migration.vm]
            self._ask(CancelMigration(migration.vm), migration.source,
                      f"cancel {migration.vm}'s migration")

    # -- cold-migrate: asked of the hosts ------------------------------------------------------

    def _cold_migrate(self, command: Command) -> Outcome:
        """`cold-migrate VM [NODE]` on real hosts: the offline move (define on NODE, stop on
        the source if it runs, undefine there, start on NODE if it ran), asked of the hosts;
        the VM moves when the hosts report it."""
        assert isinstance(command, ColdMigrate)
        vm = self.cluster.vms.get(command.vm)
        if vm is None:
            return Outcome.refuse(f"no VM named {command.vm}")
        if vm.state not in (VmState.RUNNING, VmState.STOPPED):
            return Outcome.refuse(f"{vm.name} is {vm.state.value}; the offline move takes a "
                                  "running or stopped VM")
        target = self.cluster.nodes.get(command.target or "")
        if command.target is not None and target is None:
            return Outcome.refuse(f"no node named {command.target}")
        if target is None:
            target = placement.registration_host(self.cluster, vm)
            if target is None or target.name == vm.host:
                return Outcome.refuse(f"no other host can hold {vm.name}")
        if target.name == vm.host:
            return Outcome.refuse(f"{vm.name} is already on {target.name}")
        for end in (vm.host, target.name):
            node = self.cluster.nodes.get(end or "")
            if node is not None and not placement.usable(node):
                return Outcome.refuse(f"{node.name} is {placement.condition(node)}")
        self._ask(ColdMigrate(vm.name, target.name), vm.host,
                  f"move {vm.name} offline to {target.name}")
        return Outcome.ok(f"to {target.name}")

    # -- the observations ----------------------------------------------------------------------

    def _observe_host(self, command: Command) -> Outcome:
        """`down` stops the host's heartbeats as a cut link does (no isolation response: it
        is off here); `up` restores them: a suspect host recovers, a failed one rejoins."""
        assert isinstance(command, ObserveHost)
        node = self.cluster.nodes.get(command.node)
        if node is None:
            return Outcome.refuse(f"no node named {command.node}")
        answers = command.state == "up"
        if node.connected == answers:
            return Outcome.ok()
        why = f" ({command.reason})" if command.reason else ""
        node.connected = answers
        node.epoch += 1
        self.version += 1
        if answers:
            self.context.emit("host_connection", node.name,
                              f"{node.name}'s connection answers again{why}")
            self.context.membership.link_restored(node)
        else:
            self.context.emit("host_connection", node.name,
                              f"{node.name}'s connection stopped answering{why}",
                              Severity.WARNING)
            self.context.membership.link_cut(node)
        return Outcome.ok()

    def _vm(self, name: str) -> Vm | Outcome:
        vm = self.cluster.vms.get(name)
        return Outcome.refuse(f"no VM named {name}") if vm is None else vm

    def _observe_vm(self, command: Command) -> Outcome:
        assert isinstance(command, ObserveVm)
        vm = self._vm(command.vm)
        if isinstance(vm, Outcome):
            return vm
        if command.node is not None and command.node not in self.cluster.nodes:
            return Outcome.refuse(f"no node named {command.node}")
        state = OBSERVED_STATES[command.state]
        why = f" ({command.reason})" if command.reason else ""
        move = self._moves.get(vm.name)
        if move is not None:
            if state is VmState.RUNNING and command.node == move.migration.target:
                self._switched_over(vm.name)
                self._seen[vm.name] = state
                return Outcome.ok()
            if not _ends_migration(state, command.reason):
                return Outcome.ok()  # the migration's own events (paused, resumed, ...)
            self._move_failed(vm.name, f"it was observed {command.state}{why}")
        self._seen[vm.name] = state
        if command.node is not None and command.node != vm.host:
            self._moved(vm, command.node, f"seen on {command.node}{why}")
        start = self._starts.pop(vm.name, None)
        if start is not None and state is VmState.RUNNING:
            start.running()
            return Outcome.ok()
        if start is not None and state in (VmState.STOPPED, VmState.FAILED):
            self._start_failed(vm, f"it was observed {command.state}{why}")
            return Outcome.ok()
        if state is not VmState.RUNNING and state is not VmState.STOPPED:
            shutdown = self._shutdowns.pop(vm.name, None)  # it will not shut down now
            if shutdown is not None:
                shutdown[1](f"it was observed {command.state}{why}")
        self._set_state(vm, state, why)
        return Outcome.ok()

    def _set_state(self, vm: Vm, state: VmState, why: str) -> None:
        """`vm` is observed in `state`: an event for a change, none for the same state."""
        before = vm.state
        if before is state:
            return
        self.cluster.set_state(vm, state)
        if state is not VmState.STOPPED and vm.ha_state in KEPT_OFF:
            vm.ha_state = HaState.STARTED  # started on its host, not from the console
        host = vm.host
        if state is VmState.RUNNING:
            if before is VmState.PAUSED:
                self.context.emit("vm_resumed", vm.name, f"{vm.name} is running again on "
                                                         f"{host}{why}")
                return
            vm.started_at = self.context.now
            self.context.emit("vm_running", vm.name, f"{vm.name} is running on {host}{why}")
        elif state is VmState.PAUSED:
            self.context.emit("vm_paused", vm.name, f"{vm.name} is paused on {host}{why}")
        elif state is VmState.STOPPED:
            shutdown = self._shutdowns.pop(vm.name, None)
            if shutdown is not None:
                shutdown[0]()
            else:
                self.context.emit("vm_stopped", vm.name, f"{vm.name} is off on {host}{why}")
        else:
            self.context.emit("vm_down", vm.name, f"{vm.name} crashed on {host}{why}",
                              Severity.ERROR)

    def _moved(self, vm: Vm, node: str, how: str) -> None:
        """`vm`'s host changed outside the console: its registration follows."""
        was = vm.host
        self.cluster.set_host(vm, node)
        self.context.emit("vm_moved", vm.name, f"{vm.name} is on {node} (was on {was}): {how}")

    def _start_failed(self, vm: Vm, why: str) -> None:
        """A start asked of the host ended unmet: the VM shows what was last observed of it."""
        self._show_seen(vm)
        self.context.emit("vm_start_failed", vm.name,
                          f"{vm.name} did not start on {vm.host}: {why}", Severity.WARNING)

    def _show_seen(self, vm: Vm) -> None:
        """`vm` leaves any state the console put it in while waiting (restarting, migrating):
        its state becomes the one last observed."""
        seen = self._seen.get(vm.name, VmState.STOPPED)
        if vm.state is not seen:
            self.cluster.set_state(vm, seen)

    def _observe_defined(self, command: Command) -> Outcome:
        """A new VM, stopped, on NODE; a known VM that is stopped has its registration and
        size follow (the define half of an offline move); a known running one is unchanged."""
        assert isinstance(command, ObserveDefined)
        node = self.cluster.nodes.get(command.node)
        if node is None:
            return Outcome.refuse(f"no node named {command.node}")
        memory_gb = command.memory_mb / MB_PER_GB
        size = f"{command.vcpus} vCPU, {memory_gb:g} GB, {command.disk_gb:g} GB disk"
        vm = self.cluster.vms.get(command.vm)
        if vm is not None:
            if vm.state is VmState.STOPPED and (vm.host, vm.vcpus, vm.memory_gb, vm.disk_gb) != (
                    node.name, command.vcpus, memory_gb, command.disk_gb):
                vm.vcpus, vm.memory_gb, vm.disk_gb = command.vcpus, memory_gb, command.disk_gb
                if vm.host != node.name:
                    self._moved(vm, node.name, f"defined there ({size})")
            return Outcome.ok()
        if command.vm in self.cluster.nodes:
            return Outcome.refuse(f"the name {command.vm} is a node's")
        guest = "rhel" if HYPERVISORS[node.hypervisor].supports("rhel") else \
            next(iter(supported_guests(node.hypervisor)), "rhel")
        vm = Vm(command.vm, node.name, vcpus=command.vcpus, memory_gb=memory_gb,
                disk_gb=command.disk_gb, guest_os=guest, workload=UNREAD,
                state=VmState.STOPPED)
        self.cluster.add_vm(vm, node.hypervisor)
        self._seen[vm.name] = VmState.STOPPED
        self.context.emit("vm_defined", vm.name, f"{vm.name} appeared on {node.name} ({size})")
        return Outcome.ok()

    def _observe_undefined(self, command: Command) -> Outcome:
        assert isinstance(command, ObserveUndefined)
        vm = self._vm(command.vm)
        if isinstance(vm, Outcome):
            return vm
        if vm.name in self._moves:
            self._move_failed(vm.name, "its VM was removed")
        if vm.state is not VmState.STOPPED:
            self.cluster.set_state(vm, VmState.STOPPED)
        host = vm.host
        refused = self.cluster.remove_vm(vm)
        if refused is not None:
            return Outcome.refuse(f"{refused}: it cannot leave the model")
        for pending in (self._starts, self._shutdowns, self._seen):
            pending.pop(vm.name, None)
        self.context.emit("vm_undefined", vm.name, f"{vm.name} was removed from {host}")
        return Outcome.ok()

    def _observe_migration(self, command: Command) -> Outcome:
        """A running migration's progress: round, MB still to copy, the expected switchover
        downtime; the views show them as a simulated migration's. A migration the console did
        not start changes nothing."""
        assert isinstance(command, ObserveMigration)
        move = self._moves.get(command.vm)
        if move is None:
            return Outcome.ok()
        migration = move.migration
        total = self.cluster.vms[command.vm].memory_gb * MB_PER_GB
        migration.round = command.round
        migration.round_mb = command.remaining_mb
        migration.round_started = self.context.now
        migration.sent_mb = max(migration.sent_mb, total - command.remaining_mb)
        migration.downtime_ms = command.downtime_ms
        return Outcome.ok()

    def _observe_migrated(self, command: Command) -> Outcome:
        assert isinstance(command, ObserveMigrated)
        vm = self._vm(command.vm)
        if isinstance(vm, Outcome):
            return vm
        if command.node not in self.cluster.nodes:
            return Outcome.refuse(f"no node named {command.node}")
        move = self._moves.get(vm.name)
        if move is not None and move.migration.target == command.node:
            self._switched_over(vm.name)
            return Outcome.ok()
        if move is not None:
            self._move_failed(vm.name, f"it went to {command.node} instead")
        if vm.host != command.node:
            self._moved(vm, command.node, "migrated outside the console")
        return Outcome.ok()

    def _switched_over(self, name: str) -> None:
        move = self._moves.pop(name)
        migration = move.migration
        migration.sent_mb += migration.round_mb
        migration.round_mb = 0.0
        move.switched_over()

    def _move_failed(self, name: str, why: str) -> None:
        move = self._moves.pop(name)
        move.failed(why)

    def _observe_action_failed(self, command: Command) -> Outcome:
        """What a host refused: a warning with its reason; whatever the console waits for on
        the VM (a start, a shutdown, a migration: one at a time, whichever verb the source
        names, e.g. `vm-power` or `vm-power-on`) ends with it, and the VM shows what was last
        observed of it (a later `observe-vm` wins)."""
        assert isinstance(command, ObserveActionFailed)
        vm = self._vm(command.vm)
        if isinstance(vm, Outcome):
            return vm
        self.context.emit("action_failed", vm.name,
                          f"{vm.host} could not {command.action} {vm.name}: {command.reason}",
                          Severity.WARNING)
        if vm.name in self._moves:
            self._move_failed(vm.name, command.reason)
        start = self._starts.pop(vm.name, None)
        if start is not None:
            self._start_failed(vm, command.reason)
        shutdown = self._shutdowns.pop(vm.name, None)
        if shutdown is not None:
            shutdown[1](command.reason)
        self._show_seen(vm)
        return Outcome.ok()

    def _vm_reading(self, command: Command) -> Outcome:
        """The VM's workload becomes what was read (steady until the next reading): CPU and
        memory as fractions of its own, its disk's busy share of its host's throughput."""
        assert isinstance(command, VmReading)
        vm = self._vm(command.vm)
        if isinstance(vm, Outcome):
            return vm
        for name, value in (("cpu", command.cpu), ("memory", command.memory),
                            ("disk", command.disk)):
            if not 0.0 <= value <= 1.0:
                return Outcome.refuse(f"{name} must be a fraction 0-1, got {value:g}")
        host = self.cluster.nodes.get(vm.host or "")
        disk_mbps = command.disk * host.disk_mbps if host is not None else 0.0
        vm.workload = Workload(cpu=command.cpu, memory=command.memory, disk_mbps=disk_mbps,
                               dirty_mbps=0.0)
        return Outcome.ok()
