"""Cluster-wide settings, with defaults modelled on vSphere HA and Windows failover clustering.

Defaults (documented in README):
* heartbeats every 1 s; a node is suspect after 3 missed beats and declared failed after 15 s of
  silence (vSphere HA's failure detection time);
* a second, datastore heartbeat channel tells an isolated host (still writing) from a dead one;
* no quorum voting among hosts (vSphere HA: the hosts on the heartbeat network carry on, a
  cut-off host declares itself isolated); profiles that vote (`console.model.profiles`) use node
  majority with an optional witness vote, dynamic quorum, dynamic witness and a tie breaker;
* isolation response `leave_powered_on` (vSphere HA's default, "Disabled"), per VM overridable;
  fencing a lost host takes 5 s;
* admission control reserves room for one host failure (policy `host_failures`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

ISOLATION_RESPONSES = ("leave_powered_on", "power_off", "shutdown")
#: vSphere HA's admission control policies ("Admission Control Policies", vSphere Availability):
#: room for N host failures (a cluster resource percentage computed from N), a fixed percentage
#: of CPU and memory, or dedicated failover hosts.
ADMISSION_POLICIES = ("host_failures", "percentage", "failover_hosts")


@dataclass(slots=True)
class HeartbeatSettings:
    """Network heartbeats: one every `interval_s` seconds; suspect after
    `suspect_after_missed` missed beats, failed (or isolated) after `failed_after_missed`, or
    after `cross_subnet_failed_after_missed` for a node none of the cluster's heard nodes shares
    a subnet with (Windows failover clustering's CrossSubnetThreshold; `Node.subnet`).
    """

    interval_s: float = 1.0
    suspect_after_missed: int = 3
    failed_after_missed: int = 15
    cross_subnet_failed_after_missed: int = 15
    datastore_heartbeat: bool = True


@dataclass(slots=True)
class QuorumSettings:
    """Quorum and what a host without it does (vSphere HA's host isolation response).

    `voting`: hosts vote (node majority, Windows failover clustering and corosync); off, the
    hosts on the heartbeat network carry on and each cut-off host declares itself isolated
    (vSphere HA). `witness`: a witness vote (disk or file share witness; corosync's qdevice).
    `dynamic_quorum`: a node the quorum side declares lost gives up its vote; `dynamic_witness`:
    the witness votes only while the nodes' votes are even; `tie_breaker`: while the votes are
    even the highest-named voter's vote is set aside, so the lowest-named keeps its vote and no
    split is even (Windows Server 2012 R2's tie breaker); off, an even split leaves neither side
    quorum (corosync). `watchdog_s`: a host that lost quorum resets itself
    this long after (Proxmox VE's watchdog; 0: never). The isolation response is the cluster
    default; a VM may name its own (`Vm.isolation_response`).
    """

    witness: bool = False
    isolation_response: str = "leave_powered_on"
    shutdown_s: float = 30.0  # guest shutdown time (`shutdown` isolation response, vm-shutdown)
    voting: bool = False
    dynamic_quorum: bool = True
    dynamic_witness: bool = False
    tie_breaker: bool = True
    watchdog_s: float = 0.0


@dataclass(slots=True)
class HaSettings:
    """vSphere HA-like restart: admission control (on or off, and its policy: N host failures,
    a percentage of CPU and memory, or dedicated failover hosts; see `console.model.failover`),
    fencing time in seconds, overcommit ratios, and how many times a VM whose start failed is
    tried again (on another host when there is one) before HA gives up: vSphere's
    das.maxvmrestartcount (5), Proxmox VE's max_relocate (1). Before restarting a lost host's
    VMs the quorum side powers it off out of band, taking `fence_s`, or, where hosts reset
    themselves (`QuorumSettings.watchdog_s`, Proxmox VE), waits for the host's HA lock to
    expire, `fence_s` after its last renewal (its last heartbeat the quorum side heard).
    `maintenance_return`: when a host leaves maintenance, the VMs its evacuation moved migrate
    back to it (Proxmox VE's `ha-manager crm-command node-maintenance disable`:
    "High Availability", Node Maintenance); off, the balancer spreads the load (vSphere leaves it
    to DRS). `recover_stopped`: the stopped HA VMs of a fenced host are moved to a live one, so
    they can be started (Proxmox VE, "High Availability": Recover Fenced Services).
    """

    enabled: bool = True
    host_failures_to_tolerate: int = 1
    admission_control: bool = True
    admission_policy: str = "host_failures"  # one of ADMISSION_POLICIES
    cpu_reserve_percent: float = 25.0     # percentage policy: share of vCPU capacity kept free
    memory_reserve_percent: float = 25.0  # ... of memory capacity
    failover_hosts: tuple[str, ...] = ()  # failover_hosts policy: hosts kept for HA restarts
    fence_s: float = 5.0
    cpu_overcommit: float = 4.0     # vCPUs per physical core
    memory_overcommit: float = 1.0  # memory is not overcommitted by default
    restart_retries: int = 5        # further starts of a VM after a failed one, then give up
    maintenance_return: bool = False  # VMs maintenance moved away go back when it ends
    recover_stopped: bool = False     # a fenced host's stopped VMs move to a live host


@dataclass(slots=True)
class MigrationSettings:
    """Live migration, modelled on VMotion/XenMotion pre-copy."""

    downtime_target_ms: float = 300.0
    max_rounds: int = 30
    auto_converge: bool = False   # throttle the guest when it dirties memory too fast
    link_efficiency: float = 0.94  # payload share of the wire (TCP/IP and framing overhead)
    limit_1g: int = 4              # concurrent migrations per host on 1 GbE
    limit_10g: int = 8             # ... on 10 GbE and faster


AUTOMATION_LEVELS = ("manual", "partial", "full")


@dataclass(slots=True)
class BalancerSettings:
    """DRS-like balancing; see console.model.balancer for what each threshold means."""

    automation: str = "full"
    threshold: int = 3       # 1 conservative (mandatory moves only) .. 5 aggressive
    interval_s: float = 300.0
    holddown_s: float = 3600.0  # a moved VM stays put at least this long
    max_moves: int = 8           # per balancing pass


@dataclass(slots=True)
class ServiceDefaults:
    """What a `[[services]]` entry that does not say gets (`entities.Service`'s fields of the
    same names): the failback policy and its delay or window of hours, and the failover
    threshold (`max_failovers`; None: the cluster's nodes minus one, WSFC's default) per
    `failover_period_s` seconds. A profile picks them (`profiles.PROFILE_VALUES`); the cluster
    file sets them per service only. Microsoft Learn, "Failover Clustering": failover and
    failback settings; the FailoverThreshold and FailoverPeriod group properties."""

    failback: str = "never"
    failback_delay_s: float = 300.0
    failback_window: tuple[int, int] | None = None
    max_failovers: int | None = 3
    failover_period_s: float = 6 * 3600.0


@dataclass(slots=True)
class Settings:
    """Every cluster-wide setting, one section per behaviour (the cluster file's sections of
    the same names; `service_defaults` has none: each `[[services]]` entry overrides it), and
    the HA profile (`console.model.profiles`) that chose their defaults."""

    profile: str = "vsphere"
    heartbeat: HeartbeatSettings = field(default_factory=HeartbeatSettings)
    quorum: QuorumSettings = field(default_factory=QuorumSettings)
    ha: HaSettings = field(default_factory=HaSettings)
    migration: MigrationSettings = field(default_factory=MigrationSettings)
    balancer: BalancerSettings = field(default_factory=BalancerSettings)
    service_defaults: ServiceDefaults = field(default_factory=ServiceDefaults)
