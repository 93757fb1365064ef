"""Read-only views of the model for the screens: nothing here changes the cluster.

The panes ask these helpers rather than reaching into the behaviours, so that model work stays out
of widgets and a later backend (libvirt) has one place to answer. Every helper is cheap for one
node, VM or service: a pane asks only for the rows it shows.

The `*_now` variants answer what their plain namesakes answer, from a memo per engine: kept for an
instant (`instant`: the log's length and the clock; nothing in the model changes without one of
them moving) or, for what only a placement or a state change can alter, for as long as the log
does not grow (`log_length`: every such change leaves an event). Screens that ask several times a
tick, or every tick, use those; anything that changes the model behind the engine's back (a test
setting a field) must use the plain ones.
"""

from __future__ import annotations

import math
import weakref
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

from console.model import placement
from console.model.entities import (
    CONSUMING_STATES,
    Node,
    NodeState,
    Role,
    Service,
    ServiceState,
    Vm,
    VmState,
)
from console.model.events import Event
from console.model.history import LEVELS, SAMPLE_S
from console.model.observed import UNREAD
from console.model.workloads import Demand

if TYPE_CHECKING:
    from console.model.balancer import Pass, Recommendation
    from console.model.engine import Engine
    from console.model.precopy import Migration
    from console.model.settings import Settings

#: VM states whose demand lands on their host (a migrating VM still runs on its source).
LOADED_STATES = frozenset({VmState.RUNNING, VmState.MIGRATING})
#: A VM in these states is down or waiting for capacity (an alert). A constant: an enum member
#: looked up inside a loop over 40,000 VMs costs more than the loop.
DOWN_VM_STATES = frozenset({VmState.FAILED, VmState.PENDING_RESTART})
HEALTHY_NODE_STATES = frozenset({NodeState.ONLINE, NodeState.ENTERING_MAINTENANCE,
                                 NodeState.MAINTENANCE})
#: A VM's demand while it does not run (paused, stopped, failed, ...): nothing.
NO_DEMAND = Demand(cpu=0.0, memory=0.0, disk_mbps=0.0, dirty_mbps=0.0)

_T = TypeVar("_T")
#: engine -> view name -> (marker, value): the `*_now` variants' memo.
_MEMO: weakref.WeakKeyDictionary[Engine, dict[str, tuple[Hashable, object]]] = \
    weakref.WeakKeyDictionary()


def instant(engine: Engine) -> tuple[int, float]:
    """(events logged, simulated seconds): a marker that moves whenever the model may have
    changed (every accepted command and every change of state leaves an event; every timer
    moves the clock)."""
    return len(engine.log), engine.now


def log_length(engine: Engine) -> int:
    """The number of events logged: a marker that moves whenever a VM's state or place, a
    node's or a service's state may have changed (each leaves an event)."""
    return len(engine.log)


def sampled_at(engine: Engine) -> float:
    """The instant, in simulated seconds, of the utilisation figures the screens show (host and
    VM CPU, disk I/O, a VM's uptime): the last of the instants the history recorder samples,
    every SAMPLE_S = 10 simulated seconds (console.model.history), as a monitor shows its newest
    sample (vCenter's real-time statistics: one every 20 s; Proxmox VE's pvestatd: every 10 s).
    So the figures on show are the newest point of a CPU history, and a second in which only
    demand drifts changes no figure. Where each VM runs and whether it runs are current: a VM
    moved or restarted counts on its new host at once, with its demand of that instant. Real
    hosts' (an observed cluster's) figures are their readings, shown as they come: there it is
    now."""
    if engine.cluster.observed:
        return engine.now
    return math.floor(engine.now / SAMPLE_S + 1e-9) * SAMPLE_S


def sampled(engine: Engine) -> Hashable:
    """A marker that moves whenever a figure worked out at `sampled_at` may have changed: (events
    logged, `sampled_at`), every change of state leaving an event; `instant` where figures are
    read from real machines (an observed cluster, a `--local` node), whose readings leave
    none."""
    if engine.cluster.observed or engine.readings.latest:
        return instant(engine)
    return len(engine.log), sampled_at(engine)


def memo(engine: Engine, name: str, marker: Hashable, compute: Callable[[], _T]) -> _T:
    """`compute()`, or the value it gave when last asked for `name` on `engine` with the same
    `marker` (`instant`, `log_length` or a tuple holding one of them)."""
    store = _MEMO.get(engine)
    if store is None:
        store = _MEMO[engine] = {}
    hit = store.get(name)
    if hit is not None and hit[0] == marker:
        return hit[1]  # type: ignore[return-value]
    value = compute()
    store[name] = (marker, value)
    return value


@dataclass(frozen=True, slots=True)
class Usage:
    """Utilisation fractions (0-1, may pass 1 when overcommitted); None where nothing current
    is known (`UNKNOWN_USAGE`: a real host that does not answer)."""

    cpu: float | None
    memory: float | None
    disk: float | None
    measured: bool = False  # from a reading of the real machine, not the model's VMs


#: The utilisation of a real host whose connection does not answer: its last reading is not
#: current, so no figure is given.
UNKNOWN_USAGE = Usage(None, None, None, measured=True)


# -- the cluster -------------------------------------------------------------------------------


def cluster_name(engine: Engine) -> str:
    """The cluster's name (the header's first word)."""
    return engine.cluster.name


def balancer_name(engine: Engine) -> str:
    """What the load balancer is called: `DRS` where every host runs ESXi (VMware's Distributed
    Resource Scheduler), else `balancer` (Hyper-V, Proxmox VE and XenServer name theirs
    otherwise)."""
    hosts = engine.cluster.nodes.values()
    return "DRS" if hosts and all(n.hypervisor == "esxi" for n in hosts) else "balancer"


def balancer_name_now(engine: Engine) -> str:
    """`balancer_name`, kept while the log does not grow (a host added leaves an event)."""
    return memo(engine, "balancer_name", log_length(engine), lambda: balancer_name(engine))


def settings(engine: Engine) -> Settings:
    """The cluster's settings (HA, balancer, heartbeats): read, never change."""
    return engine.cluster.settings


def nodes(engine: Engine) -> Mapping[str, Node]:
    """Every node by name, in cluster order (the file's order, then nodes added)."""
    return engine.cluster.nodes


def node_order(engine: Engine) -> tuple[Sequence[str], Mapping[str, int]]:
    """Node names in cluster order, and each name's position in that order (kept by the
    cluster as nodes join: nothing is rebuilt per call)."""
    cluster = engine.cluster
    return cluster.node_order, cluster.node_positions


def vms(engine: Engine) -> Mapping[str, Vm]:
    """Every VM by name, in cluster order."""
    return engine.cluster.vms


def services(engine: Engine) -> Mapping[str, Service]:
    """Every clustered service by name, in cluster order."""
    return engine.cluster.services


def subject_kind(engine: Engine, name: str) -> str | None:
    """What an event's subject names: `node`, `vm`, `service`, or None (the cluster, a name
    that is gone)."""
    cluster = engine.cluster
    for kind, names in (("node", cluster.nodes), ("vm", cluster.vms),
                        ("service", cluster.services)):
        if name in names:
            return kind
    return None


# -- nodes -------------------------------------------------------------------------------------


def host_answers(engine: Engine, node: Node) -> bool:
    """Is what the console knows of `node` current? False only for a real host (observed
    cluster) whose connection does not answer: its figures and its VMs' states are as last
    seen."""
    return node.connected or not engine.cluster.observed


def node_usage(engine: Engine, node: Node, t: float | None = None) -> Usage:
    """CPU demand over cores, allocated memory over memory, disk I/O over throughput, of the VMs
    that run on `node` now, with their demand at `t` (default: `sampled_at`).

    A local node, or an observed cluster's, reports its latest reading instead (a replay sees
    the same readings); a real host that does not answer (`host_answers`) has none now:
    `UNKNOWN_USAGE`."""
    if t is None and not host_answers(engine, node):
        return UNKNOWN_USAGE
    readings = engine.readings if node.local or engine.cluster.observed else None
    if readings is not None and node.name in readings.latest and t is None:
        r = readings.latest[node.name]
        return Usage(r.cpu, r.memory, r.disk, measured=True)
    if not node.powered:
        return Usage(0.0, 0.0, 0.0)
    when = sampled_at(engine) if t is None else t
    workloads = engine.workloads
    cluster = engine.cluster
    cpu = disk = 0.0
    for vm in cluster.vms_on(node):  # name order: float sums must not depend on set order
        if vm.state not in LOADED_STATES:
            continue
        cpu += workloads.cpu(vm, when)
        if vm.workload.disk_mbps:
            disk += workloads.demand(vm, when).disk_mbps
    memory = node.used_memory_gb / node.memory_gb if node.memory_gb else 0.0
    return Usage(cpu / node.cores if node.cores else 0.0, memory,
                 disk / node.disk_mbps if node.disk_mbps else 0.0)


def vms_on(engine: Engine, node: Node) -> list[Vm]:
    """The VMs registered on `node`, in name order."""
    return engine.cluster.vms_on(node)


def vcpu_capacity(engine: Engine, node: Node) -> int:
    """Whole vCPUs `node` may hold: its cores times the HA CPU overcommit ratio, rounded down."""
    return engine.cluster.vcpu_capacity(node)


def evacuation_blockers(engine: Engine, node: str) -> Mapping[str, str]:
    """VM -> why it cannot leave `node` while it enters maintenance (empty when none)."""
    return engine.maintenance.blockers.get(node) or {}


def node_cpu_history(engine: Engine, node: Node, points: int,
                     step_s: float) -> list[float | None]:
    """The recorded CPU utilisation of `node` (fractions of its cores; measured for a `--local`
    node): the last `points` points of the history level of step `step_s` seconds
    (console.model.history.LEVELS), oldest first, None where nothing was recorded (before the
    first sample, before the node joined). Raises ValueError for a step that is no level's."""
    return engine.history.node_cpu(node.name, step_s, points)


def history_step(speed: float) -> float:
    """The history level (its step, seconds) to draw at clock `speed` (simulated seconds per
    real second): the finest whose points land at most once a real second, else the coarsest."""
    return next((step for step, _ in LEVELS if step >= speed), LEVELS[-1][0])


def history_mark(engine: Engine, step_s: float) -> int:
    """How many points the history level of step `step_s` has taken: it changes exactly when a
    new point lands there (what a drawing of that level needs to repaint on). ValueError for a
    step that is no level's."""
    return engine.history.mark(step_s)


def vm_count(engine: Engine, node: Node) -> tuple[int, int]:
    """(VMs holding resources on the node, VMs registered on it)."""
    cluster = engine.cluster
    running = sum(1 for name in node.vms if cluster.vms[name].state in CONSUMING_STATES)
    return running, len(node.vms)


def first_node(engine: Engine) -> str | None:
    """The first node in cluster order (the console's first selection), or None."""
    return next(iter(engine.cluster.nodes), None)


def local_node_name(engine: Engine) -> str | None:
    """The node of the machine the console runs on (`--local`), or None."""
    node = engine.cluster.local_node()
    return None if node is None else node.name


def node_state_label(node: Node, voting: bool = True) -> str:
    """The node's badge: its state, with ` (no quorum)` when its side lost the vote, or, where
    hosts cast no votes (`voting` false: vSphere HA), ` (cut off)` when it is not on the
    cluster's side of the heartbeat network."""
    label = node.state.value.replace("_", " ")
    if node.quorum_lost and node.state not in (NodeState.FAILED, NodeState.OFFLINE):
        label += " (no quorum)" if voting else " (cut off)"
    return label


@dataclass(frozen=True, slots=True)
class Heartbeat:
    """A node's heartbeats as the console shows them: the strip of recent beat slots (oldest first;
    True arrived, False missed, None before time 0: not seen), simulated seconds since the last
    beat received (None before any), and whether the cluster hears it now (it is in the partition
    whose view is the cluster's)."""

    strip: tuple[bool | None, ...]  # oldest first: True arrived, False missed, None not seen
    since_last: float | None  # seconds since the last beat the cluster received
    heard: bool


def since_beat(now: float, last: float) -> float:
    """Simulated seconds from a beat at `last` to the whole second the clock shows at `now`
    (`floor(now)`, as the header's `HH:MM:SS`; 0 for a beat within it), so that a silent node's
    age goes up with the header's clock, one a second. The plain gap jittered: ticks land a few
    milliseconds either side of a second, and after a beat at 170.4 s it read 14.98, then 16.02."""
    return max(0.0, math.floor(now) - last)


def heartbeat(engine: Engine, node: Node, slots: int) -> Heartbeat:
    """The last `slots` heartbeat slots of `node`, one per heartbeat interval (oldest first), and
    the simulated seconds since its last beat. Slots from before time 0 are None: no beat was
    seen then, received or missed (the strip fills in as time goes)."""
    membership = engine.membership
    last = membership.last_beat(node)
    since = None if last is None else since_beat(engine.now, last)
    strip: list[bool | None] = list(membership.beat_strip(node, slots))
    elapsed = math.floor(engine.now / membership.interval + 1e-9) + 1
    for i in range(max(0, slots - elapsed)):
        strip[i] = None
    return Heartbeat(tuple(strip), since, node.heard)


def heartbeat_mark(engine: Engine, node: Node, slots: int) -> Hashable:
    """A value that changes whenever `heartbeat(engine, node, slots)` may give another strip or
    another whole second since the last beat, cheaper than either: the node's state, whether it
    is heard, powered and voting, its last gap in the beats, the whole seconds since its last
    beat, and, while its strip moves with the clock (a gap in it, a node not heard: missed
    slots pass through it; slots from before time 0 still in it), the newest slot. A node
    beating steadily keeps one mark however the clock moves, once its strip is full."""
    membership = engine.membership
    last = membership.last_beat(node)
    since = None if last is None else int(since_beat(engine.now, last))
    gaps = node.beat_gaps
    newest = math.floor(engine.now / membership.interval + 1e-9)
    moving = bool(gaps) or not node.heard or newest + 1 < slots
    return (node.state, node.heard, node.powered, node.quorum_lost, len(gaps),
            gaps[-1] if gaps else None, since, newest if moving else None)


@dataclass(frozen=True, slots=True)
class Quorum:
    """The quorum vote where hosts vote (`voting`): votes held by the cluster's partition
    (`Membership.observed_partition`) and all votes (witness included); where they do not
    (vSphere HA, "How vSphere HA Works"), the hosts that partition hears and all hosts. Also
    whether some partition holds quorum, how many partitions there are, and what the votes are:
    the hosts in the cluster, the hosts whose vote counts now (fewer once dynamic quorum or the
    tie breaker set some aside), whether the cluster has a witness and whether it votes now."""

    held: int
    total: int
    ok: bool
    partitions: int
    voting: bool = True
    hosts: int = 0
    voters: int = 0
    witness: bool = False
    witness_votes: bool = False

    @property
    def votes_are(self) -> str:
        """What the votes are, when not one per host: `4 hosts + witness`, `1 of 2 hosts vote`,
        `3 of 4 hosts vote, witness idle`; empty when every host has one vote and there is no
        witness (or hosts do not vote)."""
        if not self.voting or (self.voters == self.hosts and not self.witness):
            return ""
        hosts = (f"{self.voters} {'host' if self.hosts == 1 else 'hosts'}"
                 if self.voters == self.hosts else f"{self.voters} of {self.hosts} hosts vote")
        if not self.witness:
            return hosts
        return f"{hosts} + witness" if self.witness_votes else f"{hosts}, witness idle"

    @property
    def text(self) -> str:
        """`quorum 5/5 ok (4 hosts + witness)` (votes) or `hosts 4/4 heard` (no votes), for the
        header and the heartbeats pane."""
        if not self.voting:
            return f"hosts {self.held}/{self.total} heard"
        votes = self.votes_are
        return (f"quorum {self.held}/{self.total} {'ok' if self.ok else 'LOST'}"
                + (f" ({votes})" if votes else ""))

    @property
    def short(self) -> str:
        """`text` for a narrow header: `q 5/5 ok 4h+w`, `q 1/1 ok 1/2h`, `hosts 4/4 heard`."""
        if not self.voting:
            return self.text
        state = "ok" if self.ok else "LOST"
        if not self.votes_are:
            return f"q {self.held}/{self.total} {state}"
        hosts = f"{self.voters}h" if self.voters == self.hosts else f"{self.voters}/{self.hosts}h"
        witness = ("+w" if self.witness_votes else "-w") if self.witness else ""
        return f"q {self.held}/{self.total} {state} {hosts}{witness}"


def quorum_lost_anywhere(engine: Engine) -> bool:
    """Some node's side of a partition lost the quorum vote."""
    return any(n.quorum_lost for n in engine.cluster.nodes.values())


def quorum_lost_anywhere_now(engine: Engine) -> bool:
    """`quorum_lost_anywhere`, kept while no node's condition changes (`Cluster.conditions`)."""
    return memo(engine, "quorum_lost_anywhere", engine.cluster.conditions,
                lambda: quorum_lost_anywhere(engine))


def quorum_now(engine: Engine) -> Quorum:
    """`quorum`, kept while its inputs hold (`Membership.quorum_marker`): the header, a pane's
    title and the alerts ask for it every tick."""
    return memo(engine, "quorum", engine.membership.quorum_marker(), lambda: quorum(engine))


def quorum(engine: Engine) -> Quorum:
    """The quorum vote now (`Membership.votes`, `has_quorum`, `partitions`)."""
    membership = engine.membership
    ok, partitions = membership.has_quorum(), len(membership.partitions())
    if not engine.cluster.settings.quorum.voting:
        heard = len(membership.observed_partition())
        return Quorum(heard, len(engine.cluster.nodes), ok, partitions, voting=False)
    held, total = membership.votes()
    voters, witness_votes = membership.vote_shares()
    return Quorum(held, total, ok, partitions, hosts=len(engine.cluster.nodes), voters=voters,
                  witness=engine.cluster.settings.quorum.witness,
                  witness_votes=bool(witness_votes))


def services_active_on(engine: Engine, node: str) -> list[str]:
    """Services whose active (or starting) member runs on `node`, by name."""
    found = []
    for service in engine.cluster.services.values():
        member = service.active or service.starting
        if member is not None and engine.cluster.vms[member].host == node:
            found.append(service.name)
    return sorted(found)


# -- VMs ---------------------------------------------------------------------------------------


def vm_cpu(engine: Engine, vm: Vm) -> float | None:
    """Fraction of the VM's vCPUs busy at `sampled_at` (0 when it is not running, paused
    included); None when nothing current is known of it (`vm_last_seen`, `vm_unread`)."""
    if engine.cluster.observed and (vm_last_seen(engine, vm) is not None
                                    or vm_unread(engine, vm)):
        return None
    if vm.state not in LOADED_STATES:
        return 0.0
    return engine.workloads.cpu(vm, sampled_at(engine)) / vm.vcpus if vm.vcpus else 0.0


def vm_cpu_all(engine: Engine) -> dict[str, float | None]:
    """`vm_cpu` of every VM by name, worked out once a sample (`sampled`): what a sort of
    40,000 VMs by CPU reads, rather than asking each VM."""

    def compute() -> dict[str, float | None]:
        now, cpu = sampled_at(engine), engine.workloads.cpu
        found: dict[str, float | None] = {
            name: (cpu(vm, now) / vm.vcpus if vm.vcpus else 0.0)
            if vm.state in LOADED_STATES else 0.0
            for name, vm in engine.cluster.vms.items()}
        for node in engine.cluster.nodes.values():
            if not host_answers(engine, node):
                found.update(dict.fromkeys(node.vms))
        if engine.cluster.observed:
            found.update(dict.fromkeys(name for name, vm in engine.cluster.vms.items()
                                       if vm_unread(engine, vm)))
        return found

    return memo(engine, "vm_cpu_all", sampled(engine), compute)


def vm_unread(engine: Engine, vm: Vm) -> bool:
    """Whether `vm`, a real VM that runs, has had no reading yet (its figures are not known:
    a big host's VMs are read in turn, console.sources.libvirt_stats); False for every
    simulated VM."""
    return (engine.cluster.observed and vm.workload is UNREAD
            and vm.state in LOADED_STATES)


def vm_last_seen(engine: Engine, vm: Vm) -> float | None:
    """When a real VM's state was last seen, where its host does not answer (`host_answers`):
    the simulated time its host was last heard; its state is as seen then, not current. None
    when its state is current (every simulated VM, and a real one whose host answers)."""
    host = engine.cluster.nodes.get(vm.host or "")
    if host is None or host_answers(engine, host):
        return None
    return host.silent_since if host.silent_since is not None else engine.now


def vm_uptime_all(engine: Engine) -> dict[str, float | None]:
    """`vm_uptime` of every VM by name, worked out once a sample (`sampled`)."""

    def compute() -> dict[str, float | None]:
        now = sampled_at(engine)
        return {name: max(0.0, now - vm.started_at) if vm.state in LOADED_STATES else None
                for name, vm in engine.cluster.vms.items()}

    return memo(engine, "vm_uptime_all", sampled(engine), compute)


def vm_cpu_history(engine: Engine, vm: Vm, points: int, step_s: float) -> list[float | None]:
    """The recorded CPU use of `vm` (fractions of its vCPUs, 0 while it did not run), wherever it
    ran: the last `points` points of the history level of step `step_s` seconds, oldest first,
    None before the first sample or before the VM existed. ValueError for a step that is no
    level's."""
    return engine.history.vm_cpu(vm.name, step_s, points)


def vm_demand(engine: Engine, vm: Vm) -> Demand | None:
    """The VM's workload demand at `sampled_at` (CPU, active memory, disk MB/s, dirty MB/s):
    none at all while it does not run (paused, stopped, ...: `NO_DEMAND`, as `vm_cpu` and its
    host's sums say); None when nothing current is known of it (`vm_last_seen`,
    `vm_unread`)."""
    if engine.cluster.observed and (vm_last_seen(engine, vm) is not None
                                    or vm_unread(engine, vm)):
        return None
    if vm.state not in LOADED_STATES:
        return NO_DEMAND
    return engine.workloads.demand(vm, sampled_at(engine))


def anti_affine(engine: Engine, vm: Vm) -> list[str]:
    """The VMs `vm` must not share a host with, by name."""
    return sorted(engine.cluster.anti_affine.get(vm.name, ()))


def vm_uptime(engine: Engine, vm: Vm) -> float | None:
    """Simulated seconds since the VM last started, at `sampled_at` (0 for a VM started since),
    or None when it is not running."""
    if vm.state not in LOADED_STATES:
        return None
    return max(0.0, sampled_at(engine) - vm.started_at)


def vm_downtime(engine: Engine, vm: Vm) -> float:
    """Seconds `vm` has been down in total by now, the outage still going on included."""
    return vm.downtime_until(engine.now)


def service_downtime(engine: Engine, service: Service) -> float:
    """Seconds `service` has been down in total by now, the outage still going on included."""
    return service.downtime_until(engine.now)


def vm_role(engine: Engine, vm: Vm) -> tuple[str, Role] | None:
    """(service, role) when the VM is a member of a clustered service."""
    service_name = engine.cluster.member_of.get(vm.name)
    if service_name is None:
        return None
    service = engine.cluster.services[service_name]
    return service_name, service.roles.get(vm.name, Role.OFFLINE)


def vm_where(vm: Vm) -> str:
    """Host, `A→C` while migrating, `-` while pending."""
    if vm.host is None:
        return "-"
    if vm.target is not None:
        return f"{vm.host}→{vm.target}"
    return vm.host


# -- services ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ServiceView:
    """A clustered service as the console shows it: state, active member and its host, the member
    starting, each member's (name, role, host), failovers within the failover period and the most
    allowed, and the failback rule (`delay Ns` for a delayed one, `HH-HHh` for a window)."""

    name: str
    kind: str
    state: ServiceState
    active: str | None
    active_host: str | None
    starting: str | None
    members: tuple[tuple[str, Role, str | None], ...]  # (member, role, host)
    failovers: int
    max_failovers: int
    failback: str


def service_view(engine: Engine, service: Service) -> ServiceView:
    """The `ServiceView` of `service` now."""
    vms = engine.cluster.vms
    members = tuple((m, service.roles.get(m, Role.OFFLINE), vms[m].host)
                    for m in service.members)
    active = service.active
    failback = service.failback
    if failback == "delayed":
        failback = f"delay {service.failback_delay_s:g}s"
    elif failback == "window" and service.failback_window is not None:
        failback = "{:02d}-{:02d}h".format(*service.failback_window)
    return ServiceView(service.name, service.kind, service.state, active,
                       vms[active].host if active else None, service.starting, members,
                       service.failovers_in_period(engine.now),
                       service.failover_threshold(len(engine.cluster.nodes)), failback)


# -- migrations --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MigrationView:
    """A live migration as the console shows it: VM, source and target hosts, why it runs, whether
    it is still queued, the pre-copy round, progress (0-1, an estimate while rounds continue), MB
    left in this round, estimated simulated seconds to finish (rough: `Migration.eta_s`; None
    while queued) and whether it is in its stop-and-copy switchover."""

    vm: str
    source: str
    target: str
    reason: str
    queued: bool
    round: int
    progress: float        # 0-1, an estimate while pre-copy rounds continue
    remaining_mb: float    # left in this round
    eta_s: float | None
    switchover: bool


def _started_first(migration: Migration) -> tuple[float, str]:
    """Sort key: start time (one not started yet counts as -inf, never as 0.0), then VM name."""
    started = migration.started_at
    return (-math.inf if started is None else started, migration.vm)


def migrations(engine: Engine) -> list[MigrationView]:
    """Running migrations (by start time), then the queued ones."""
    found = [_migration_view(engine, m, False) for m in
             sorted(engine.migrations.active.values(), key=_started_first)]
    found += [_migration_view(engine, m, True) for m in engine.migrations.queued]
    return found


def migration_counts(engine: Engine) -> tuple[int, int]:
    """(running migrations, queued ones)."""
    return len(engine.migrations.active), len(engine.migrations.queued)


def is_moving(engine: Engine, vm: str) -> bool:
    """`vm` is migrating or queued to."""
    return engine.migrations.is_moving(vm)


def arriving(engine: Engine, node: str) -> set[str]:
    """VMs migrating to `node` now (they show among its VMs)."""
    return {m.vm for m in engine.migrations.active.values() if m.target == node}


def _migration_view(engine: Engine, m: Migration, queued: bool) -> MigrationView:
    now = engine.now
    if queued or m.started_at is None:
        return MigrationView(m.vm, m.source, m.target, m.reason, True, 0, 0.0, m.round_mb,
                             None, False)
    vm = engine.cluster.vms[m.vm]
    dirty = engine.workloads.demand(vm, now).dirty_mbps
    eta = m.eta_s(now, dirty)
    sent = m.sent_now(now)
    left = eta * m.bandwidth_mbps
    progress = 1.0 if m.switchover else (sent / (sent + left) if sent + left > 0 else 0.0)
    return MigrationView(m.vm, m.source, m.target, m.reason, False, m.round,
                         min(progress, 1.0), m.remaining_now(now),
                         eta, m.switchover)


# -- migration targets (the `v` picker) --------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TargetOption:
    """One host in the migration target picker: why the VM may not move there (None: it may now),
    the projected CPU utilisation and allocated memory with the VM added (fractions of the host's
    cores and memory) and the host's state label."""

    node: str
    refusal: str | None    # None: the VM may move there now
    cpu_after: float       # projected CPU utilisation with the VM added
    memory_after: float    # projected allocated memory with the VM added
    state: str


def migration_targets(engine: Engine, vm: Vm) -> list[TargetOption]:
    """Every other host, the ones that fit first, each with its projected load."""
    options = []
    cpu_cores = engine.workloads.cpu(vm, sampled_at(engine))
    for node in engine.cluster.nodes.values():
        if node.name == vm.host:
            continue
        usage = node_usage(engine, node)
        refusal = engine.migrations.refusal(vm, node)
        cpu_after = (usage.cpu or 0.0) + (cpu_cores / node.cores if node.cores else 0.0)
        memory_after = ((node.used_memory_gb + vm.memory_gb) / node.memory_gb
                        if node.memory_gb else 0.0)
        options.append(TargetOption(node.name, refusal, cpu_after, memory_after,
                                    node_state_label(node)))
    options.sort(key=lambda o: (o.refusal is not None, max(o.cpu_after, o.memory_after), o.node))
    return options


# -- images ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ImageView:
    """An image as the console shows it: name, kind (base or layer), version, size in GB, label, the
    hosts holding its current version, the VMs using it, and of those the VMs still on an older
    version of this base."""

    name: str
    kind: str
    version: int
    size_gb: float
    label: str
    holders: tuple[str, ...]
    users: int      # VMs whose image includes it
    stale: int      # of those, VMs still on an older version of this base


def images(engine: Engine) -> list[ImageView]:
    """Every image, bases first then layers, each by name, with who holds and uses it."""
    cluster = engine.cluster
    users: dict[str, int] = {}
    stale: dict[str, int] = {}
    for vm in cluster.vms.values():
        for part in vm.image:
            users[part] = users.get(part, 0) + 1
        if vm.stale_image and vm.image:
            stale[vm.image[0]] = stale.get(vm.image[0], 0) + 1
    holders: dict[str, list[str]] = {}
    for node in cluster.nodes.values():
        for part, version in node.images.items():
            image = cluster.images.get(part)
            if image is not None and version == image.version:
                holders.setdefault(part, []).append(node.name)
    ordered = sorted(cluster.images.values(), key=lambda i: (i.kind != "base", i.name))
    return [ImageView(i.name, i.kind, i.version, i.size_gb, i.label,
                      tuple(holders.get(i.name, ())), users.get(i.name, 0),
                      stale.get(i.name, 0)) for i in ordered]


def images_saved_gb(engine: Engine) -> float:
    """Storage that sharing base images and layers saves, in GB."""
    return engine.images.saved_gb()


# -- alerts ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Alert:
    """One open alert: the line the console shows, and the subject an operator goes to from it
    (`subject_kind`'s `node`, `vm` or `service`, and its name; None for the cluster as a
    whole)."""

    text: str
    kind: str | None = None
    subject: str | None = None


def open_alerts(engine: Engine) -> list[Alert]:
    """What needs an operator's eye now, each with its subject: the quorum, nodes not healthy,
    services not online, VMs down or waiting (one alert, about the first of them), blocked
    evacuations and broken `must` rules."""
    return [*_cluster_alerts(engine, quorum(engine)), *_down_alerts(engine),
            *_blocked_alerts(engine), *_rule_alerts(engine)]


def open_alerts_now(engine: Engine) -> list[Alert]:
    """`open_alerts`, from the memo (see the module docstring): the alerts about VMs (down, broken
    rules: a scan of every VM) kept while the log does not grow, the others for the instant."""
    marker = instant(engine)

    def compute() -> list[Alert]:
        down = memo(engine, "down_alerts", log_length(engine), lambda: _down_alerts(engine))
        rules = memo(engine, "rule_alerts", log_length(engine), lambda: _rule_alerts(engine))
        return [*_cluster_alerts(engine, quorum_now(engine)), *down, *_blocked_alerts(engine),
                *rules]

    return memo(engine, "open_alerts", marker, compute)


def _cluster_alerts(engine: Engine, q: Quorum) -> list[Alert]:
    """The quorum, nodes not healthy, services not online."""
    cluster = engine.cluster
    found = []
    if not q.ok:
        unit = ("vote" if q.total == 1 else "votes") if q.voting else "hosts heard"
        held = f"{q.held} of {q.total} {unit}"
        found.append(Alert(f"the cluster has no quorum ({held})"))
    for node in cluster.nodes.values():
        if node.state not in HEALTHY_NODE_STATES or node.quorum_lost:
            found.append(Alert(f"node {node.name} is {node_state_label(node, q.voting)}", "node",
                               node.name))
    for service in cluster.services.values():
        if service.state is not ServiceState.ONLINE:
            found.append(Alert(f"service {service.name} is "
                               f"{service.state.value.replace('_', ' ')}", "service",
                               service.name))
    return found


def _down_alerts(engine: Engine) -> list[Alert]:
    """VMs down or waiting: one alert, about the first of them."""
    down = [vm for vm in engine.cluster.vms.values() if vm.state in DOWN_VM_STATES]
    if not down:
        return []
    names = ", ".join(vm.name for vm in down[:5]) + (" ..." if len(down) > 5 else "")
    return [Alert(f"{len(down)} VM(s) down or waiting for capacity: {names}", "vm",
                  down[0].name)]


def _blocked_alerts(engine: Engine) -> list[Alert]:
    """Evacuations blocked, by node."""
    return [Alert(f"evacuation of {node} blocked for {len(blocked)} VM(s)", "node", node)
            for node, blocked in sorted(engine.maintenance.blockers.items()) if blocked]


def _rule_alerts(engine: Engine) -> list[Alert]:
    """Broken `must` rules (none to look for without such a rule, a service or an
    anti-affinity list: no scan of every VM then; a VM's anti-affinity list is in the
    cluster's `anti_affine` pairs, so no scan of every VM to find one either)."""
    cluster = engine.cluster
    if (not cluster.services and all(rule.strength != "must" for rule in cluster.rules)
            and not cluster.anti_affine):
        return []
    return [Alert(broken.message, subject_kind(engine, broken.subject), broken.subject)
            for broken in placement.broken_rules(engine.cluster)]


def alerts(engine: Engine) -> list[str]:
    """The open alerts' lines (`open_alerts`); the header counts them."""
    return [alert.text for alert in open_alerts(engine)]


# -- events ------------------------------------------------------------------------------------


def is_reading(event: Event) -> bool:
    """A `reading` command's own event: one a second with --local, kept out of the events pane."""
    return event.kind == "command" and event.message.startswith("reading ")


def events_about(engine: Engine, name: str, start: int = 0) -> list[int]:
    """The log indices, from `start` on and oldest first, of the events whose subject is `name`
    (a node, VM or service), readings left out: that object's own history."""
    log = engine.log.events
    return [index for index in range(start, len(log))
            if log[index].subject == name and not is_reading(log[index])]


def names_for(engine: Engine, kind: str) -> Iterable[str]:
    """Names a command parameter of `kind` may take (for completion)."""
    cluster = engine.cluster
    if kind in ("node", "keyword-node"):
        return cluster.nodes.keys()
    if kind == "vm":
        return cluster.vms.keys()
    if kind == "service":
        return cluster.services.keys()
    if kind == "target":
        return [*cluster.nodes.keys(), *cluster.member_of.keys()]
    if kind == "image":
        return cluster.images.keys()
    if kind == "onoff":
        return ("on", "off")
    return ()


# -- balance -----------------------------------------------------------------------------------


def recommendations(engine: Engine) -> Sequence[Recommendation]:
    """The balancer's standing recommendations (manual or partial automation), best first."""
    return engine.balancer.recommendations


def live_recommendations(engine: Engine) -> list[Recommendation]:
    """The standing recommendations that can still be applied: the VM is still on the source
    and the model would accept the move now (`Migrations.refusal`); an applied or impossible
    one is not offered."""
    found = []
    for r in engine.balancer.recommendations:
        vm = engine.cluster.vms.get(r.vm)
        target = engine.cluster.nodes.get(r.target)
        if (vm is not None and target is not None and vm.host == r.source
                and engine.migrations.refusal(vm, target) is None):
            found.append(r)
    return found


def balancer_last_pass(engine: Engine) -> Pass | None:
    """The balancer's last pass (when, why, the moves applied and recommended), None before the
    first."""
    return engine.balancer.last_pass


def balancer_last_run(engine: Engine) -> float | None:
    """Simulated time of the balancer's last pass, None before the first."""
    return engine.balancer.last_run


def vm_total(engine: Engine) -> int:
    """How many VMs the cluster has (every state)."""
    return len(engine.cluster.vms)


def measure_imbalance(engine: Engine) -> float:
    """The balancer's imbalance score of the cluster now (0 = balanced; cost grows with the VMs:
    ~60 ms for 20,000). The session caches it for the header (console.session.Session)."""
    return engine.balancer.measure()


def last_imbalance(engine: Engine) -> float | None:
    """The imbalance the balancer measured at its last pass; None before the first (nothing
    was measured: not a balanced 0)."""
    if engine.balancer.last_pass is None:
        return None
    return engine.balancer.imbalance
