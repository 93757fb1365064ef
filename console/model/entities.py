"""The cluster's entities: nodes (hosts), virtual machines and clustered services.

Plain mutable records. Only the engine's components change them (a node's hardware truth only
`console.model.world`); the UI reads them. States are string enums so that events, JSON summaries
and the screen all spell them the same way. Units: GB, MHz, Gb/s, MB/s and simulated seconds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

#: Memory and image sizes are in GB, rates in MB/s: 1 GB is this many MB.
MB_PER_GB = 1024.0


class NodeState(str, Enum):
    """A host as the cluster (the side holding quorum) sees it."""

    ONLINE = "online"
    ENTERING_MAINTENANCE = "entering_maintenance"
    MAINTENANCE = "maintenance"
    SUSPECT = "suspect"
    FAILED = "failed"
    ISOLATED = "isolated"
    OFFLINE = "offline"
    BOOTING = "booting"


#: States in which the cluster has written a node off: its VMs are restarted elsewhere.
LOST_STATES = frozenset({NodeState.FAILED, NodeState.ISOLATED, NodeState.OFFLINE})
#: Host states of maintenance (entering it, in it): no VM may be placed on the host or migrate
#: to it.
CLOSED_STATES = frozenset({NodeState.ENTERING_MAINTENANCE, NodeState.MAINTENANCE})


class VmState(str, Enum):
    """A VM's state in the cluster's registry: which states hold capacity is CONSUMING_STATES."""

    RUNNING = "running"
    PAUSED = "paused"  # suspended in memory (vm-suspend): holds its host and memory, no CPU
    DEPLOYING = "deploying"  # image layers streaming to its host, then boot
    MIGRATING = "migrating"
    RESTARTING = "restarting"
    PENDING_RESTART = "pending_restart"
    STOPPED = "stopped"
    FAILED = "failed"


class ServiceState(str, Enum):
    """A clustered service's state as a whole (each member has its own `Role`)."""

    ONLINE = "online"
    FAILING_OVER = "failing_over"
    OFFLINE = "offline"
    FAILED = "failed"


class Priority(str, Enum):
    """HA restart priority, vSphere 6.5's five levels (lowest .. highest; "Virtual Machine
    Options": VM restart priority, vSphere Availability); `disabled` VMs stay down when their
    host is lost."""

    HIGHEST = "highest"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    LOWEST = "lowest"
    DISABLED = "disabled"

    @property
    def rank(self) -> int:
        """Restart order: 0 (highest) first, 5 (disabled) last."""
        return _PRIORITY_RANK[self]


_PRIORITY_RANK = {priority: rank for rank, priority in enumerate(Priority)}


class HaState(str, Enum):
    """The state the operator asks HA to keep a VM in (Proxmox VE's HA request state: "High
    Availability", Proxmox VE Administration Guide, resource states). `started`: HA keeps it
    running and restarts it after a failure; `stopped`: HA keeps it off; `disabled`: off and out
    of HA's hands; `ignored`: HA neither starts, stops nor restarts it (it may run)."""

    STARTED = "started"
    STOPPED = "stopped"
    DISABLED = "disabled"
    IGNORED = "ignored"


#: Request states in which HA keeps a VM off: a VM in one of them never holds a place.
KEPT_OFF = frozenset({HaState.STOPPED, HaState.DISABLED})

#: VM states that hold CPU and memory on their host (their reservation: a paused VM keeps its
#: place, as libvirt keeps a suspended domain's vCPUs and memory allocated; it loads no CPU).
CONSUMING_STATES = frozenset({VmState.RUNNING, VmState.MIGRATING, VmState.RESTARTING,
                              VmState.DEPLOYING, VmState.PAUSED})


#: Workload profiles: how a VM's demand varies over time (see console.model.workloads).
WORKLOAD_PROFILES = ("steady", "diurnal", "bursty", "trace")


@dataclass(frozen=True, slots=True)
class Workload:
    """Steady demand of a VM as fractions of its own allocation; profiles vary it over time.

    A value (frozen): the VMs of one shape share one, and a change is a new one
    (`dataclasses.replace`)."""

    cpu: float = 0.2          # fraction of the VM's vCPUs busy
    memory: float = 0.5       # fraction of the VM's memory actively used
    disk_mbps: float = 5.0    # disk I/O, MB/s
    dirty_mbps: float = 20.0  # memory dirtied per second while running, MB/s
    profile: str = "steady"   # steady | diurnal | bursty | trace
    trace: str = ""           # trace name, for profile "trace"


@dataclass(slots=True)
class Node:
    """A hypervisor host.

    `powered` and `connected` are the hardware's truth, written only by `console.model.world`;
    `state`, `fenced`, `has_vote`, `quorum_lost` and the beat record are what the cluster
    believes, kept by membership and HA. They differ between a crash and its detection, which is
    exactly what the heartbeat pane is there to show. `heard`: the partition holding quorum (the
    cluster) receives its heartbeats; a cut-off host that wins a tie is heard, the connected
    rest is not (kept by membership, `Membership.quorum_partition`).
    """

    name: str
    hypervisor: str
    cpus: int = 4
    cores_per_cpu: int = 4
    mhz: int = 2400
    memory_gb: float = 16.0
    disks_gb: tuple[float, ...] = (300.0,) * 5
    nics_gbps: tuple[float, ...] = (1.0,) * 4
    disk_mbps: float = 400.0  # aggregate disk throughput, for disk utilisation
    boot_s: float = 120.0
    subnet: str = ""  # heartbeat subnet of a multi-site cluster; "" = the cluster's one
    state: NodeState = NodeState.ONLINE
    powered: bool = True
    connected: bool = True
    maintenance: bool = False  # operator's intent; survives power cycles
    has_vote: bool = True      # dynamic quorum: a declared-lost node's vote is removed
    vms: set[str] = field(default_factory=set)
    used_vcpus: int = 0
    used_memory_gb: float = 0.0
    silent_since: float | None = None  # last beat time once the node has gone quiet
    beat_gaps: list[tuple[float, float | None]] = field(default_factory=list)
    images: dict[str, int] = field(default_factory=dict)  # image/layer held locally -> version
    fenced: bool = False       # confirmed powered off by the quorum side (or a clean shutdown)
    quorum_lost: bool = False  # this node sits in a partition without quorum
    heard: bool = True         # in the partition the cluster's belief comes from (membership)
    epoch: int = 0             # bumped on every power or network change; stale timers compare it
    local: bool = False  # the real machine (--local); readings arrive as commands

    @property
    def cores(self) -> int:
        """Physical cores: CPUs times cores per CPU."""
        return self.cpus * self.cores_per_cpu

    @property
    def disk_total_gb(self) -> float:
        """Local disk, GB, all disks together."""
        return sum(self.disks_gb)

    @property
    def link_gbps(self) -> float:
        """Fastest NIC: the migration link's speed."""
        return max(self.nics_gbps) if self.nics_gbps else 1.0


@dataclass(slots=True)
class Vm:
    """A virtual machine: its size (vCPUs, GB of memory and disk), guest OS, image, HA priority,
    workload, and where the cluster has it (`host`, `target` while migrating, `state`).

    Times are simulated seconds; `epoch` lets stale timers tell the VM changed state since.
    """

    name: str
    host: str | None
    vcpus: int = 1
    memory_gb: float = 1.0
    disk_gb: float = 20.0
    guest_os: str = "windows2008"
    image: tuple[str, ...] = ()   # base image first, then application layers
    priority: Priority = Priority.MEDIUM
    ha_state: HaState = HaState.STARTED  # what the operator asks HA to keep it in
    isolation_response: str = ""  # per-VM override of the cluster's; "" = the cluster default
    group: str = ""  # HA group (`HaGroup`) whose nodes it prefers; "" = none
    anti_affinity: tuple[str, ...] = ()
    boot_s: float = 30.0
    workload: Workload = Workload()
    state: VmState = VmState.RUNNING
    target: str | None = None        # destination while migrating
    down_since: float | None = None  # when an unplanned outage began
    downtime_s: float = 0.0
    started_at: float = 0.0          # for uptime
    stale_image: bool = False
    last_migrated_at: float | None = None  # for the balancer's hold-down
    epoch: int = 0  # bumped on every state change; stale timers compare it

    def downtime_until(self, now: float) -> float:
        """Seconds down in total by simulated time `now`: the ended outages and the one still
        going on (since `down_since`)."""
        return self.downtime_s + (now - self.down_since if self.down_since is not None else 0.0)


@dataclass(slots=True)
class HaGroup:
    """A Proxmox VE HA group ("High Availability", Proxmox VE Administration Guide: Groups):
    its nodes with a priority each (higher runs the VM first; `nodes` maps node name to
    priority), `restricted` (its VMs run only on its nodes, else they wait), `nofailback` (a VM
    stays where recovery put it when a higher-priority node comes back)."""

    name: str
    nodes: dict[str, int]
    restricted: bool = False
    nofailback: bool = False

    def rank(self, node: str) -> int:
        """0 for the group's highest-priority nodes, 1 for the next class, ...; a node outside
        the group ranks after every member."""
        levels = sorted(set(self.nodes.values()), reverse=True)
        if node not in self.nodes:
            return len(levels)
        return levels.index(self.nodes[node])



def ha_managed(vm: Vm) -> bool:
    """Is `vm` in HA's hands: its restart priority is not disabled and its HA request state is
    started or stopped (Proxmox VE, "High Availability": an ignored or disabled resource is not
    managed, and its node's watchdog does not guard it)."""
    return vm.priority is not Priority.DISABLED and vm.ha_state in (HaState.STARTED,
                                                                   HaState.STOPPED)

@dataclass(slots=True)
class Image:
    """A master base image or an application layer streamed onto one (XenServer-style).

    A base carries the guest OS and the VM's default size; a layer adds memory and names the
    bases it fits (empty: any)."""

    name: str
    kind: str            # base | layer
    size_gb: float
    label: str = ""
    version: int = 1
    guest_os: str = ""   # bases only
    vcpus: int = 1       # bases only
    memory_gb: float = 0.0  # a base's memory, or what a layer adds
    bases: tuple[str, ...] = ()  # layers only


RULE_KINDS = ("affinity", "anti-affinity", "vm-host", "vm-not-host")


@dataclass(frozen=True, slots=True)
class Rule:
    """A placement rule. `must` rules bind every placement (HA included); `should` rules are
    preferences placement keeps when it can and the balancer repairs. A `must` VM-VM affinity
    keeps its VMs on one host: each follows the others, moving one alone is refused, and the VMs
    of a host entering maintenance leave one after the other to one host."""

    name: str
    kind: str       # affinity | anti-affinity | vm-host | vm-not-host
    strength: str   # must | should
    vms: tuple[str, ...]
    hosts: tuple[str, ...] = ()


class Role(str, Enum):
    """What one member of a clustered service is doing."""

    ACTIVE = "active"
    STARTING = "starting"  # being brought online by a failover
    PASSIVE = "passive"
    OFFLINE = "offline"    # its VM is down


SERVICE_KINDS = ("sql", "exchange", "iis", "generic")
#: When a service that a failure (or a maintenance drain) moved off its preferred owner goes
#: back: `never` (WSFC's default, "prevent failback"), `immediate`, `window` (only within
#: `failback_window`, WSFC's "failback between" hours) or `delayed` (once the preferred owner
#: has been able to take it for `failback_delay_s`; the model's own, not a WSFC policy).
FAILBACK_POLICIES = ("never", "immediate", "window", "delayed")
#: Simulated seconds in a day: the failback window's hours are of `t mod DAY_S` (t = 0 is
#: midnight).
DAY_S = 86_400.0
#: The service fields a cluster's `Settings.service_defaults` supplies where an entry is silent.
SERVICE_POLICY_FIELDS = ("failback", "failback_delay_s", "failback_window", "max_failovers",
                         "failover_period_s")


@dataclass(slots=True)
class Service:
    """An active/passive clustered service (SQL, Exchange, IIS) over member VMs, after a Windows
    Server failover clustering group (Microsoft Learn, "Failover Clustering": preferred owners,
    failover threshold and period, failback settings). Its members are its possible owners.

    Each member has its own role rather than the service holding one "active" pointer: split brain
    is two members that both believe they are active, and only per-member roles can show it.

    Failback follows only a move the cluster made (a failure, a maintenance drain): such a move
    sets `failback_armed`; an operator's `failover` clears it, so the operator's choice sticks.
    After a drain, failback also waits for the drained host (`drained_from`) to leave
    maintenance.
    """

    name: str
    kind: str
    members: tuple[str, ...]
    preferred_owners: tuple[str, ...] = ()
    failback: str = "never"  # one of FAILBACK_POLICIES
    failback_delay_s: float = 300.0
    failback_window: tuple[int, int] | None = None  # (start hour, end hour) for `window`
    max_failovers: int | None = 3  # None: the cluster's nodes minus one (WSFC's default)
    failover_period_s: float = 6 * 3600.0
    failover_s: float = 20.0
    state: ServiceState = ServiceState.ONLINE
    roles: dict[str, Role] = field(default_factory=dict)
    last_lost: str | None = None   # the member whose loss the service is recovering from
    failover_times: list[float] = field(default_factory=list)  # unplanned ones only
    failback_armed: bool = False   # a failure or a drain moved it; failback may bring it home
    drained_from: str | None = None  # the host a maintenance drain moved it off
    down_since: float | None = None
    downtime_s: float = 0.0
    epoch: int = 0
    stalled: bool = False  # no member could take over; said once, not every pass

    @property
    def active(self) -> str | None:
        """The member that is active, or None."""
        return next((m for m, r in self.roles.items() if r is Role.ACTIVE), None)

    @property
    def starting(self) -> str | None:
        """The member being brought online by a failover, or None."""
        return next((m for m, r in self.roles.items() if r is Role.STARTING), None)

    def failovers_in_period(self, now: float) -> int:
        """Unplanned failovers within the last `failover_period_s` before `now`."""
        return sum(1 for t in self.failover_times if now - t <= self.failover_period_s)

    def failover_threshold(self, nodes: int) -> int:
        """The most unplanned failovers allowed in `failover_period_s` in a cluster of `nodes`
        hosts: `max_failovers`, or, when it is None, the nodes minus one (at least 1): WSFC's
        FailoverThreshold default (Microsoft Learn, "FailoverThreshold" group property)."""
        if self.max_failovers is not None:
            return self.max_failovers
        return max(1, nodes - 1)

    def in_failback_window(self, now: float) -> bool:
        """Is simulated time `now` (seconds; t = 0 is midnight) inside `failback_window`? The
        window runs from its start hour to its end hour, across midnight when the start is the
        later (WSFC's FailbackWindowStart / FailbackWindowEnd); no window means any time."""
        if self.failback_window is None:
            return True
        start, end = self.failback_window
        hour = int((now % DAY_S) // 3600)
        return start <= hour < end if start < end else hour >= start or hour < end

    def seconds_to_failback_window(self, now: float) -> float:
        """Simulated seconds from `now` to the next start of `failback_window` (0 inside it)."""
        if self.in_failback_window(now):
            return 0.0
        start = self.failback_window[0] * 3600.0  # type: ignore[index]
        return (start - now % DAY_S) % DAY_S

    def downtime_until(self, now: float) -> float:
        """Seconds down in total by simulated time `now`: the ended outages and the one still
        going on (since `down_since`)."""
        return self.downtime_s + (now - self.down_since if self.down_since is not None else 0.0)
