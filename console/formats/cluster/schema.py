"""The cluster file's schema: its sections, the keys of each table and their value checks,
read into a `Draft` (every value checked, names not yet resolved; `checks` and `build` do
that).

Schema
------
The comments say what each number must be at least; every number has an upper bound too, and
README.md's "Limits" table lists each range with its unit and reason (a test keeps the table
and the checks below the same).

```toml
[cluster]                  # required
name = "seed"              # required name
description = "..."        # optional
truth = "simulated"        # simulated (default) | observed: real hosts (libvirt) whose VMs,
                           # states and load arrive as observations; no HA restarts, balancer
                           # manual, no fault injection, no workload model

[heartbeat]                # optional, as are all its keys -> model.settings.HeartbeatSettings
interval_s = 1.0           # 0.1 to 60 s
suspect_after_missed = 3   # integer >= 1
failed_after_missed = 15   # integer > suspect_after_missed
cross_subnet_failed_after_missed = 15   # integer > suspect_after_missed: for a node no heard
                           # node shares a subnet with (wsfc: 20)
datastore_heartbeat = true

[quorum]                   # -> QuorumSettings
voting = false             # hosts vote (wsfc, pve); false: vSphere HA's master and isolation
witness = false            # a witness vote (disk / file share witness, corosync qdevice)
dynamic_quorum = true      # a node declared lost gives up its vote (WSFC; pve: false)
dynamic_witness = false    # the witness votes only while the nodes' votes are even (wsfc: true)
tie_breaker = true         # an even split goes to the side of the lowest-named voter (pve: false)
isolation_response = "leave_powered_on"   # leave_powered_on | power_off | shutdown (the
                           # cluster default; a VM may set its own)
shutdown_s = 30.0          # > 0: a guest shutdown takes this long (vm-shutdown, isolation)
watchdog_s = 0             # >= 0: a host without quorum resets itself this long after (pve: 60)

[ha]                       # -> HaSettings
profile = "vsphere"        # vsphere | wsfc | pve: whose rules and defaults (model.profiles);
                           # default: the hosts' family (hyperv wsfc, kvm pve, else vsphere);
                           # every key of these settings sections overrides the profile's value
enabled = true
host_failures_to_tolerate = 1   # integer >= 0
admission_control = true   # vSphere HA admission control (model.failover); wsfc, pve: false
admission_policy = "host_failures"   # host_failures | percentage | failover_hosts
cpu_reserve_percent = 25   # 0 to 100: percentage policy, share of vCPU capacity kept free
memory_reserve_percent = 25   # 0 to 100: ... of memory capacity
failover_hosts = ["C"]     # failover_hosts policy: known nodes, at least one, kept for HA
                           # restarts (no power-on, deploy or migration lands there); only with
                           # that policy and admission control on, and not every node
fence_s = 5.0              # >= 0
cpu_overcommit = 4.0       # > 0, vCPUs per physical core
memory_overcommit = 1.0    # > 0
restart_retries = 5        # integer 0..100: starts tried again after a failed one (on another
                           # host when there is one) before HA gives up on the VM
maintenance_return = false # VMs a maintenance evacuation moved go back to the host when it
                           # leaves maintenance (pve: true); false: the balancer spreads
recover_stopped = false    # a fenced host's stopped HA VMs are moved to a live host (pve: true)

[migration]                # -> MigrationSettings (live migration: iterative pre-copy)
downtime_target_ms = 300   # > 0: switch over once the rest copies within this
max_rounds = 30            # integer >= 1 pre-copy rounds
auto_converge = false      # throttle a guest that dirties memory faster than the link
link_efficiency = 0.94     # above 0, at most 1: payload share of the wire
limit_1g = 4               # integer >= 1 concurrent migrations per host on 1 GbE
limit_10g = 8              # integer >= 1 ... on 10 GbE and faster

[balancer]                 # -> BalancerSettings (DRS-like; see model.balancer)
automation = "full"        # manual | partial | full
threshold = 3              # integer 1 (conservative) .. 5 (aggressive)
interval_s = 300           # 10 to 86400 s, or 0: periodic balancing off
holddown_s = 3600          # >= 0: a moved VM stays put this long
max_moves = 8              # integer >= 1 per balancing pass

[workloads]
traces = "traces"          # required: a folder, relative to this file, of CPU traces in
                           # PlanetLab format (one file per VM, one CPU percent 0-100 per line,
                           # a line per 5 minutes: 288 for a day). Every file in it is loaded,
                           # named by its file name, except hidden files and README files.

[[images]]                 # a master base image (XenServer-style image streaming)
name = "win2008"           # required; unique among images and layers; no "+"
label = "Windows Server 2008 Standard"   # optional display name: one printable line
size_gb = 20               # required, > 0: what streaming it to a host copies
version = 1                # integer >= 1
guest_os = "windows2008"   # required: a model.hypervisors.GUEST_OSES id
vcpus = 2                  # integer >= 1: default size of VMs built from it
memory_gb = 2              # > 0

[[layers]]                 # an application layer, streamed onto a base
name = "exchange2007"      # required; unique among images and layers
label = "Exchange 2007"    # optional
size_gb = 4                # required, > 0
memory_gb = 4              # >= 0: what the layer adds to the VM's memory (default 0)
bases = ["win2008"]        # base images it fits; optional, empty = any

[[nodes]]                  # at least one
name = "A"                 # required; unique among nodes and VMs; [A-Za-z0-9][A-Za-z0-9_.-]*,
                           # at most 64 characters (every name: console.model.names)
hypervisor = "esxi"        # required: esxi | hyperv | xenserver | kvm
cpus = 4                   # integer >= 1 (sockets)
cores_per_cpu = 4          # integer >= 1
mhz = 2400                 # integer >= 1
memory_gb = 16             # > 0
disks_gb = [300, 300, 300, 300, 300]   # non-empty, each > 0 (empty only in an observed
                                       # cluster: a real host that reports none, not known)
nics_gbps = [1, 1, 1, 1]               # non-empty, each > 0 (empty: as disks_gb)
disk_mbps = 400            # > 0
boot_s = 120               # >= 0
subnet = "site1"           # optional: its heartbeat subnet (multi-site clusters), a name
count = 16                 # optional: 16 nodes named A01 .. A16
images = ["win2008"]       # optional: images and layers the host holds already (at their
                           # current version), so deploying them streams nothing
powered = true             # false: the host starts powered off (offline, fenced, without its
                           # vote, as `power-off` leaves it); `power-on` boots it. Only stopped
                           # VMs may be on it, and VMs without a host are not placed on it
maintenance = false        # true: the host starts in maintenance (or enters it when it boots);
                           # only stopped VMs may be on it; `maintenance NODE off` ends it

[[vms]]
name = "web01"             # required; unique among nodes and VMs
host = "A"                 # optional node name; without it the VM is placed at load time
                           # (model.placement.best_host, after every VM with a host) on the
                           # best host of any hypervisor that runs its guest OS, honouring
                           # every `must` rule. A host given here may break a `must` rule or
                           # anti-affinity (a starting situation to repair): the run starts with
                           # a `rule_broken` event per broken rule and `validate` warns. Only
                           # what cannot be is an error: a hypervisor that does not run the
                           # guest, more than the host holds, a running VM on a host that is
                           # off or in maintenance
guest_os = "windows2008"   # a model.hypervisors.GUEST_OSES id; required without an image
image = "win2008+iis7"     # optional: a base image, then layers that fit it. The VM's guest OS
                           # is the base's (guest_os, if given, must match); vcpus, memory_gb
                           # and disk_gb default to the base's vCPUs, the base's plus the
                           # layers' memory and the parts' total size. Its host need not hold
                           # the parts (a running VM has its disk already).
vcpus = 2                  # integer >= 1
memory_gb = 4              # > 0
disk_gb = 40               # > 0
priority = "high"          # highest | high | medium | low | lowest | disabled (HA restart
                           # order, vSphere 6.5's five levels)
ha_state = "started"       # started | stopped | disabled | ignored: the state HA keeps it in
                           # (default: started, or stopped for a VM whose state is stopped);
                           # stopped and disabled VMs start off, a started one running
isolation_response = "power_off"   # optional: overrides [quorum] isolation_response for this
                           # VM; a VM whose priority is disabled is left powered on
group = "db-nodes"         # optional: a [[groups]] entry: the nodes it prefers, by priority
anti_affinity = ["web02"]  # VM names never to share a host with
boot_s = 30                # >= 0
state = "running"          # running | paused | stopped: how it starts (paused: suspended in
                           # memory, holding its place; vm-resume runs it)
count = 20                 # optional: 20 VMs named web001 .. web020; not with anti_affinity
workload = { cpu = 0.3, memory = 0.5, disk_mbps = 5, dirty_mbps = 20, profile = "steady" }
                           # or a [vms.workload] table: cpu and memory 0..1, disk_mbps and
                           # dirty_mbps >= 0, profile steady | diurnal | bursty | trace, and
                           # trace (required with profile "trace", allowed only with it): a
                           # file name in the [workloads] traces folder, or "auto": the VMs
                           # with "auto", in file order (copies of a `count` entry in number
                           # order), take the traces round-robin in sorted file-name order

[[services]]
name = "sql"               # required; unique among services
kind = "sql"               # required: sql | exchange | iis | generic
members = ["sql01", "sql02"]   # required: two or more distinct VMs, meant to be on different
                               # hosts (anti-affine); given hosts that put two together are
                               # a broken rule, as above
active = "sql01"           # optional running member; default: the first running preferred
                           # owner, else the first running member
preferred_owners = ["sql01"]   # members, most preferred first
failback = "never"         # never | immediate | window | delayed: whether and when a service
                           # that a failure or a maintenance drain moved off its preferred owner
                           # goes back; an operator's `failover` is never undone
failback_window = [22, 6]  # [start hour, end hour], integers 0..23 that differ: failback only
                           # from start to end (across midnight when start > end), simulated
                           # time of day (t = 0 is midnight); required with and only for
                           # failback = "window"
failback_delay_s = 300     # >= 0, for failback = "delayed"
max_failovers = 3          # integer >= 1, per failover_period_s
failover_period_s = 21600  # > 0
failover_s = 20            # >= 0
                           # failback, failback_delay_s, max_failovers and failover_period_s
                           # default to the profile's values (model.settings.ServiceDefaults:
                           # never, 300, 3 and 21600; wsfc: max_failovers = the nodes minus 1)

[[groups]]                 # Proxmox VE HA groups: where a VM naming it (`group`) runs
name = "db-nodes"          # required; unique among groups
nodes = ["pve01:2", "pve02:1", "pve03"]   # required: known nodes, once each, with an optional
                           # priority, an integer 0..1000 (default 0; higher first); or a table
                           # nodes = { pve01 = 2, pve02 = 1, pve03 = 0 }. HA recovery, power-on
                           # and evacuation pick the highest-priority usable node of the group
restricted = false         # true: its VMs run only on its nodes (else they wait); false: any
                           # node when none of its nodes can take them
nofailback = false         # false: a VM moves back (live migration) to a higher-priority group
                           # node when one comes online; true: it stays

[[rules]]                  # placement rules; `must` binds every placement, HA included, while
                           # `should` is a preference the balancer weighs; VMs given a host
                           # may break either at start (see [[vms]] host)
name = "web-apart"         # required; unique among rules
kind = "anti-affinity"     # required: affinity | anti-affinity | vm-host | vm-not-host
strength = "must"          # required: must | should; a "must" affinity keeps its VMs on one
                           # host: a VM follows the others, and moving one alone is refused
vms = ["web01", "web02"]   # required: known VMs, two or more for affinity and anti-affinity
hosts = ["A", "B"]         # known nodes: required for vm-host and vm-not-host, else not allowed
```
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from operator import itemgetter
from pathlib import Path
from typing import Any

from console.formats.timed import MAX_TIME_S
from console.formats.toml import (
    Between,
    ConfigError,
    Integer,
    Key,
    Problem,
    at,
    bare,
    boolean,
    choice,
    entries,
    fraction,
    identifier,
    label,
    list_of,
    read_file,
    read_table,
    read_tables,
    share,
    show,
    string,
)
from console.model.entities import (
    FAILBACK_POLICIES,
    KEPT_OFF,
    RULE_KINDS,
    SERVICE_KINDS,
    SERVICE_POLICY_FIELDS,
    WORKLOAD_PROFILES,
    HaGroup,
    HaState,
    Image,
    Node,
    Priority,
    Rule,
    Service,
    Vm,
    VmState,
    Workload,
)
from console.model.hypervisors import GUEST_OSES, HYPERVISORS
from console.model.names import MAX_NAME_LENGTH, display, text_problem
from console.model.profiles import PROFILES, default_profile, settings_for
from console.model.settings import (
    ADMISSION_POLICIES,
    AUTOMATION_LEVELS,
    ISOLATION_RESPONSES,
    Settings,
)
from console.model.workloads import TraceError, parse_trace
from console.model.world import start_node

RULE_STRENGTHS = ("must", "should")
HOST_RULES = ("vm-host", "vm-not-host")  # the rule kinds that name hosts
AUTO_TRACE = "auto"
MAX_COUNT = 100_000  # a typo of a few zeros should be an error, not an exhausted machine
#: The most nodes and VMs a cluster file may declare in all (every `count` expanded): four and
#: two and a half times a vCenter's 2,500 hosts and 40,000 VMs (vSphere 8 maximums).
MAX_NODES = 10_000
MAX_VMS = 100_000

# -- the limits of every number (the README's "Limits" table lists them, with the reasons) ------
#
# Each is what real systems allow, with room to spare, and small enough that no computation of
# the model overflows or stalls: vSphere 8 configuration maximums (a VM: 768 vCPUs, 24 TB of
# memory, 62 TB disks; a host: 896 logical CPUs, 24 TB of memory), HA's heartbeat and
# isolation settings (das.* advanced options: seconds to minutes), and 30 days for any period.

#: The most memory a host or VM may have, in GB (vSphere 8: 24 TB).
MAX_MEMORY_GB = 24_576
#: The largest disk or image, in GB (a 62 TB VMDK, rounded up to 64 TB).
MAX_DISK_GB = 65_536
#: The fastest disk throughput or dirty rate, in MB/s (100 GB/s: NVMe arrays).
MAX_MBPS = 100_000.0
#: The longest boot, shutdown, fence or failover, in seconds (an hour).
MAX_STEP_S = 3600.0
#: The most vCPUs of a VM or image (vSphere 8: 768).
MAX_VCPUS = 768
#: The most of a migration, balancer or failover count that means anything.
MAX_TIMES = 1000

_SECONDS = Between(0, MAX_STEP_S, "s")
_PERIOD = Between(0, MAX_TIME_S, "s")
_MEMORY = Between(0, MAX_MEMORY_GB, "GB", above=True)
_DISK = Between(0, MAX_DISK_GB, "GB", above=True)
_RATE = Between(0, MAX_MBPS, "MB/s")
_VCPUS = Integer(1, MAX_VCPUS)
_TIMES = Integer(1, MAX_TIMES)


# -- each table's keys and their checks (console.formats.toml) -------------------------------


def _workload(value: Any) -> Workload:
    return _workload_of(read_table(value, _WORKLOAD_KEYS))


def _workload_of(values: dict[str, Any]) -> Workload:
    """A workload table's checked values as a Workload; raises Problem for a trace without the
    "trace" profile or the other way round."""
    if "trace" in values or values.get("profile") == "trace":
        if values.get("profile") == "trace" and not values.get("trace"):
            raise Problem(".trace", 'required when profile is "trace"')
        if values.get("profile") != "trace":  # so "trace" is given
            raise Problem(".trace", 'only used with profile = "trace"')
    return Workload(**values)


def _workload_column(values: list[Any]) -> list[Workload] | None:
    """`[_workload(v) for v in values]`, or None when one of them is refused. A Workload is a
    value, so tables that are the same (keys in the same order, values of the same type and
    value) give one, checked once: 40,000 VMs of a few workload shapes make a few Workloads.

    Tables are grouped by their keys and values. Equal values of a number key give the same
    Workload (an int is read as the float it equals) but where one is 0 or 1: `true` equals 1
    and `false` 0 (refused), -0.0 equals 0.0 and 0 (a float of another sign). A group whose
    values hold one is told apart again by each table's `repr`, which spells type and
    sign."""
    if set(map(type, values)) - {dict}:
        return None
    try:
        keys = list(zip(map(tuple, values), map(tuple, map(dict.values, values)), strict=True))
        shared: dict[tuple[tuple[str, ...], tuple[Any, ...]], Workload | None] = \
            dict.fromkeys(keys)
    except TypeError:  # an unhashable value (an array, a table): refused by the checks
        return None
    try:
        for key in shared:
            if not any(map(_zero_or_one, key[1])):
                shared[key] = _workload(dict(zip(*key)))  # noqa: B905 (same length)
    except Problem:
        return None
    if None not in shared.values():
        return list(map(shared.__getitem__, keys))
    spelt: dict[str, Workload] = {}
    workloads = []
    for key, table in zip(keys, values):  # noqa: B905 (same length)
        workload = shared[key]
        if workload is None:
            try:
                text = repr(table)
            except ValueError:  # an integer of more digits than Python spells
                return None
            workload = spelt.get(text)
            if workload is None:
                try:
                    workload = spelt[text] = _workload(table)
                except Problem:
                    return None
        workloads.append(workload)
    return workloads


def _zero_or_one(value: Any) -> bool:
    """A value other values read differently are equal to: `true == 1 == 1.0`, `false == 0`,
    `0.0 == -0.0`."""
    return type(value) is not str and (value == 0 or value == 1)


_workload.column = _workload_column  # type: ignore[attr-defined]


#: Where a cluster's truth comes from: its own simulated hardware, or real hosts observed.
TRUTHS = ("simulated", "observed")

_CLUSTER_KEYS = {"name": Key(identifier, required=True), "description": Key(string),
                 "truth": Key(choice(TRUTHS))}

_HEARTBEAT_KEYS = {
    "interval_s": Key(Between(0.1, 60, "s")),
    "suspect_after_missed": Key(_TIMES),
    "failed_after_missed": Key(_TIMES),
    "cross_subnet_failed_after_missed": Key(_TIMES),
    "datastore_heartbeat": Key(boolean),
}

_QUORUM_KEYS = {
    "witness": Key(boolean),
    "isolation_response": Key(choice(ISOLATION_RESPONSES)),
    "shutdown_s": Key(Between(0, MAX_STEP_S, "s", above=True)),
    "voting": Key(boolean),
    "dynamic_quorum": Key(boolean),
    "dynamic_witness": Key(boolean),
    "tie_breaker": Key(boolean),
    "watchdog_s": Key(_SECONDS),
}

_HA_KEYS = {
    "profile": Key(choice(PROFILES)),
    "enabled": Key(boolean),
    "host_failures_to_tolerate": Key(Integer(0, MAX_COUNT)),
    "admission_control": Key(boolean),
    "admission_policy": Key(choice(ADMISSION_POLICIES)),
    "cpu_reserve_percent": Key(Between(0, 100, "%")),
    "memory_reserve_percent": Key(Between(0, 100, "%")),
    "failover_hosts": Key(list_of(identifier, non_empty=False)),
    "fence_s": Key(_SECONDS),
    "cpu_overcommit": Key(Between(0, 64, "vCPUs per core", above=True)),
    "memory_overcommit": Key(Between(0, 16, above=True)),
    "restart_retries": Key(Integer(0, 100)),
    "maintenance_return": Key(boolean),
    "recover_stopped": Key(boolean),
}

_MIGRATION_KEYS = {
    "downtime_target_ms": Key(Between(0, 60_000, "ms", above=True)),
    "max_rounds": Key(_TIMES),
    "auto_converge": Key(boolean),
    "link_efficiency": Key(share),
    "limit_1g": Key(Integer(1, 128)),
    "limit_10g": Key(Integer(1, 128)),
}

_BALANCER_KEYS = {
    "automation": Key(choice(AUTOMATION_LEVELS)),
    "threshold": Key(Integer(1, 5)),
    "interval_s": Key(Between(10, 86_400, "s", off=True)),
    "holddown_s": Key(_PERIOD),
    "max_moves": Key(_TIMES),
}

_WORKLOADS_KEYS = {"traces": Key(string, required=True)}

_IMAGE_KEYS = {
    "name": Key(identifier, required=True),
    "label": Key(label),
    "size_gb": Key(_DISK, required=True),
    "version": Key(Integer(1, 1_000_000)),
    "guest_os": Key(choice(tuple(GUEST_OSES)), required=True),
    "vcpus": Key(_VCPUS),
    "memory_gb": Key(_MEMORY),
}

_LAYER_KEYS = {
    "name": Key(identifier, required=True),
    "label": Key(label),
    "size_gb": Key(_DISK, required=True),
    "memory_gb": Key(Between(0, MAX_MEMORY_GB, "GB")),
    "bases": Key(list_of(string, non_empty=False)),
}

_NODE_KEYS = {
    "name": Key(identifier, required=True),
    "hypervisor": Key(choice(tuple(HYPERVISORS)), required=True),
    "cpus": Key(Integer(1, 64, "sockets")),
    "cores_per_cpu": Key(Integer(1, 1024)),
    "mhz": Key(Integer(1, 100_000, "MHz")),
    "memory_gb": Key(_MEMORY),
    "disks_gb": Key(list_of(_DISK, non_empty=False)),  # non-empty unless observed: build
    "nics_gbps": Key(list_of(Between(0, 1600, "Gb/s", above=True), non_empty=False)),
    "disk_mbps": Key(Between(0, MAX_MBPS, "MB/s", above=True)),
    "boot_s": Key(_SECONDS),
    "count": Key(Integer(1, MAX_COUNT)),
    "images": Key(list_of(string, non_empty=False)),
    "powered": Key(boolean),
    "maintenance": Key(boolean),
    "subnet": Key(identifier),
}

_WORKLOAD_KEYS = {
    "cpu": Key(fraction),
    "memory": Key(fraction),
    "disk_mbps": Key(_RATE),
    "dirty_mbps": Key(_RATE),
    "profile": Key(choice(WORKLOAD_PROFILES)),
    "trace": Key(string),
}

_VM_KEYS = {
    "name": Key(identifier, required=True),
    "host": Key(string),
    "guest_os": Key(choice(tuple(GUEST_OSES))),  # required without an image
    "image": Key(string),
    "vcpus": Key(_VCPUS),
    "memory_gb": Key(_MEMORY),
    "disk_gb": Key(_DISK),
    "priority": Key(choice(tuple(p.value for p in Priority), Priority)),
    "isolation_response": Key(choice(ISOLATION_RESPONSES)),
    "group": Key(identifier),
    "anti_affinity": Key(list_of(string, non_empty=False)),
    "boot_s": Key(_SECONDS),
    "state": Key(choice((VmState.RUNNING.value, VmState.PAUSED.value, VmState.STOPPED.value),
                        VmState)),
    "ha_state": Key(choice(tuple(s.value for s in HaState), HaState)),
    "count": Key(Integer(1, MAX_COUNT)),
    "workload": Key(_workload),
}

_SERVICE_KEYS = {
    "name": Key(identifier, required=True),
    "kind": Key(choice(SERVICE_KINDS), required=True),
    "members": Key(list_of(string, non_empty=False), required=True),
    "active": Key(string),
    "preferred_owners": Key(list_of(string, non_empty=False)),
    "failback": Key(choice(FAILBACK_POLICIES)),
    "failback_window": Key(list_of(Integer(0, 23, "h"), non_empty=True)),
    "failback_delay_s": Key(_PERIOD),
    "max_failovers": Key(_TIMES),
    "failover_period_s": Key(Between(0, MAX_TIME_S, "s", above=True)),
    "failover_s": Key(_SECONDS),
}

#: An HA group node's priority (Proxmox VE: higher runs the group's VMs first).
GROUP_PRIORITY = Integer(0, 1000)


def _group_nodes(value: Any) -> dict[str, int]:
    """`["pve01:2", "pve02"]` or `{ pve01 = 2, pve02 = 0 }` -> node -> priority (0 when none
    is given), in the order written. Raises Problem for a bad name or priority, or a node named
    twice."""
    found: dict[str, int] = {}
    if isinstance(value, dict):
        pairs = [(f".{bare(name)}", name, priority) for name, priority in value.items()]
    elif isinstance(value, list):
        pairs = []
        for i, item in enumerate(value):
            if not isinstance(item, str):
                raise Problem(f"[{i}]", f'must be "node" or "node:priority", got {show(item)}')
            name, _, priority = item.partition(":")
            if ":" in item and not priority.isdigit():
                raise Problem(f"[{i}]", f"priority must be an integer {GROUP_PRIORITY.text}, "
                                        f"got {show(priority)}")
            pairs.append((f"[{i}]", name, int(priority) if priority else 0))
    else:
        raise Problem("", f"must be an array of \"node:priority\" or a table of node = "
                          f"priority, got {show(value)}")
    if not pairs:
        raise Problem("", "a group needs at least one node")
    for key, name, priority in pairs:
        with at(key):
            identifier(name)
            GROUP_PRIORITY(priority)
            if name in found:
                raise Problem("", f"{show(name)} is listed twice")
            found[name] = priority
    return found


_group_nodes.item = GROUP_PRIORITY  # type: ignore[attr-defined]  # for the README's limits

_GROUP_KEYS = {
    "name": Key(identifier, required=True),
    "nodes": Key(_group_nodes, required=True),
    "restricted": Key(boolean),
    "nofailback": Key(boolean),
}

_RULE_KEYS = {
    "name": Key(identifier, required=True),
    "kind": Key(choice(RULE_KINDS), required=True),
    "strength": Key(choice(RULE_STRENGTHS), required=True),
    "vms": Key(list_of(string, non_empty=False), required=True),
    "hosts": Key(list_of(string, non_empty=False)),
}


# -- sections -----------------------------------------------------------------------------------


@dataclass(slots=True)
class VmEntry:
    """A VM as its entry declared it: which keys were written, and its image until resolved."""

    path: str
    vm: Vm
    given: frozenset[str]
    image: str | None


@dataclass
class Draft:
    """The file's content with every value checked, before names are resolved.

    Entities are kept with the key path of the entry that declared them, for error messages.
    """

    base: Path = Path(".")  # the folder relative paths in the file start from
    name: str = ""
    description: str = ""
    truth: str = "simulated"  # one of TRUTHS
    settings: Settings = field(default_factory=Settings)  # made once every section is read
    profile: str = ""  # [ha] profile, if the file names one
    explicit: dict[str, dict[str, Any]] = field(default_factory=dict)  # settings as written
    nodes: list[tuple[str, Node]] = field(default_factory=list)
    held: dict[str, tuple[str, ...]] = field(default_factory=dict)  # node -> images, as written
    vms: list[VmEntry] = field(default_factory=list)
    services: list[tuple[str, Service, str | None]] = field(default_factory=list)  # + `active`
    service_keys: dict[str, frozenset[str]] = field(default_factory=dict)  # path -> keys written
    images: list[tuple[str, Image]] = field(default_factory=list)  # bases and layers
    rules: list[tuple[str, Rule]] = field(default_factory=list)
    groups: list[tuple[str, HaGroup]] = field(default_factory=list)
    traces: dict[str, tuple[float, ...]] = field(default_factory=dict)
    given_traces: dict[str, tuple[float, ...]] | None = None  # instead of reading the folder
    names: dict[str, str] = field(default_factory=dict)  # node and VM names -> declaring entry
    service_names: dict[str, str] = field(default_factory=dict)
    image_names: dict[str, str] = field(default_factory=dict)
    rule_names: dict[str, str] = field(default_factory=dict)
    group_names: dict[str, str] = field(default_factory=dict)


def _claim(owners: dict[str, str], name: str, path: str) -> None:
    """Reserve a name in a namespace; the second entry to use it is the one in error."""
    if name in owners:
        raise Problem(".name", f"duplicate name {show(name)} (already used by {owners[name]})")
    owners[name] = path


def _expand(name: str, count: int | None, width: int) -> list[str]:
    """An entry's names: itself, or `count` numbered copies (A01, A02 ... / web001 ...).
    Raises Problem when the last copy's name is longer than a name may be."""
    if count is None:
        return [name]
    last = f"{name}{count:0{width}d}"
    if len(last) > MAX_NAME_LENGTH:
        raise Problem(".name", f"with count = {count} the last name is {show(last)}, longer "
                               f"than {MAX_NAME_LENGTH} characters")
    return [f"{name}{i:0{width}d}" for i in range(1, count + 1)]


def _check_total(total: int, most: int, what: str, count: int | None) -> None:
    """Refuse the entry that takes the file past `most` nodes or VMs in all."""
    if total > most:
        raise Problem(".count" if count is not None else "",
                      f"makes {total} {what} in all; a cluster file may declare at most {most}")


def _cluster_section(raw: Any, draft: Draft) -> None:
    values = read_table(raw, _CLUSTER_KEYS)
    draft.name = values["name"]
    draft.description = values.get("description", "")
    draft.truth = values.get("truth", "simulated")


def _settings_section(name: str, keys: dict[str, Key]) -> Callable[[Any, Draft], None]:
    """A reader that keeps a settings section's values as written; `_settings` lays them over
    the profile's once the whole file is read."""

    def read(raw: Any, draft: Draft) -> None:
        draft.explicit[name] = read_table(raw, keys)

    return read


def _ha_section(raw: Any, draft: Draft) -> None:
    values = read_table(raw, _HA_KEYS)
    if "profile" in values:
        draft.profile = values.pop("profile")
    draft.explicit["ha"] = values


def _settings(draft: Draft) -> Settings:
    """The profile's settings (named in `[ha]`, or the hosts' family's) with the file's values
    over them; raises Problem for values that contradict each other."""
    profile = draft.profile or default_profile(node.hypervisor for _, node in draft.nodes)
    settings = settings_for(profile, draft.explicit)
    beat = settings.heartbeat
    if beat.failed_after_missed <= beat.suspect_after_missed:
        written = draft.explicit.get("heartbeat", {})
        key = "failed_after_missed" if "failed_after_missed" in written else "suspect_after_missed"
        failed, suspect = beat.failed_after_missed, beat.suspect_after_missed
        raise Problem(f"heartbeat.{key}", f"failed_after_missed ({failed}) must be greater than "
                                          f"suspect_after_missed ({suspect})"
                                          + ("" if written else f" (profile {profile})"))
    _check_failover_hosts(settings, draft)
    if beat.cross_subnet_failed_after_missed <= beat.suspect_after_missed:
        raise Problem("heartbeat.cross_subnet_failed_after_missed",
                      f"must be greater than suspect_after_missed ({beat.suspect_after_missed})")
    return settings


def _check_failover_hosts(settings: Settings, draft: Draft) -> None:
    """`[ha] failover_hosts` names known nodes; it is given exactly when admission_policy is
    "failover_hosts" (vSphere's dedicated failover hosts are a choice of admission control
    policy, "Admission Control Policies", vSphere Availability, whose API holds the list in
    `ClusterFailoverHostAdmissionControlPolicy` only: under another policy, or with
    admission control off, the list would be silently ignored); and it leaves at least one
    node for the VMs (a failover host holds no VM, running or stopped, but HA restarts)."""
    ha = settings.ha
    nodes = {node.name for _, node in draft.nodes}
    for i, name in enumerate(ha.failover_hosts):
        if name not in nodes:
            raise Problem(f"ha.failover_hosts[{i}]", f"no node named {show(name)}")
    if ha.admission_policy == "failover_hosts" and not ha.failover_hosts:
        raise Problem("ha.admission_policy", 'admission_policy "failover_hosts" needs '
                                             "failover_hosts: the nodes kept for HA restarts")
    if ha.failover_hosts and ha.admission_policy != "failover_hosts":
        raise Problem("ha.failover_hosts", "applies only with admission_policy = "
                                           f'"failover_hosts" (the policy is '
                                           f'"{ha.admission_policy}"): set the policy or '
                                           "remove the list")
    if ha.failover_hosts and not ha.admission_control:
        written = "admission_control" in draft.explicit.get("ha", {})
        raise Problem("ha.failover_hosts", "applies only with admission control on "
                                           "(admission_control = false"
                                           + ("" if written else f", profile {settings.profile}")
                                           + "): turn it on or remove the list")
    if draft.vms and nodes <= set(ha.failover_hosts):
        raise Problem("ha.failover_hosts", "every node is a failover host, which holds no VM "
                                           "but HA restarts, yet the file declares VMs: keep "
                                           "at least one node out of the list")


def _workloads_section(raw: Any, draft: Draft) -> None:
    values = read_table(raw, _WORKLOADS_KEYS)
    with at(".traces"):
        if draft.given_traces is not None:
            draft.traces = dict(draft.given_traces)
        else:
            draft.traces = _load_traces(draft.base / values["traces"])


def _load_traces(folder: Path) -> dict[str, tuple[float, ...]]:
    """Every trace file in `folder`, by file name, in name order; the first bad line is an error
    that names the trace file and line."""
    if not folder.exists():
        raise Problem("", f"no such folder: {folder}")
    if not folder.is_dir():
        raise Problem("", f"not a folder: {folder}")
    traces = {}
    for path in sorted(folder.iterdir(), key=lambda p: p.name):
        if not path.is_file() or path.name.startswith(".") or path.stem.upper() == "README":
            continue
        problem = text_problem(path.name)
        if problem is not None:  # a name from bytes that are not UTF-8: no recording holds it
            raise Problem("", f"{display(path.name)} in {folder}: the file name is not UTF-8 "
                              f"({problem}); rename it")
        try:
            traces[path.name] = parse_trace(read_file(path), str(path))
        except (TraceError, ConfigError) as error:  # already "<folder>/<file>[:<line>]: ..."
            raise Problem("", str(error)) from None
    if not traces:
        raise Problem("", f"no trace files in {folder}")
    return traces


#: Entries of an array of tables whose values are checked together (`read_tables`, a key at a
#: time): a bad entry late in a 40,000-VM file costs one chunk read entry by entry, not all.
CHUNK = 1000


def _each_entry(raw: Any, section: str, keys: dict[str, Key],
                read: Callable[[int, dict[str, Any]], None],
                read_chunk: Callable[[int, list[dict[str, Any]]], bool] | None = None) -> None:
    """`read(i, values)` for each entry `i` of the array of tables `section`, in file order,
    `values` its checked values (as `read_table` returns them); a Problem from either names the
    entry (`[i]` before its key). The values are checked a chunk of entries at a time, and a
    chunk where any is refused is read again entry by entry, so the problem raised is the
    first in file order, with `read_table`'s message.

    `read_chunk(start, values)`, given, is first offered a chunk whose values all passed (the
    first entry's index, each entry's values): it reads them all as `read` would one by one
    and says True, or says False having changed nothing (a chunk it does not read at once, or
    with a problem), and `read` reads them one by one."""
    tables = entries(raw, section)
    for start in range(0, len(tables), CHUNK):
        chunk = tables[start:start + CHUNK]
        checked = read_tables(chunk, keys)
        if checked is not None and read_chunk is not None and read_chunk(start, checked):
            continue
        i = start
        try:
            if checked is None:
                for i, table in enumerate(chunk, start):
                    read(i, read_table(table, keys))
            else:
                for i, values in enumerate(checked, start):
                    read(i, values)
        except Problem as problem:
            raise Problem(f"[{i}]{problem.key}", problem.message) from None


def _named_entries(raw: Any, section: str, keys: dict[str, Key], names: dict[str, str],
                   read: Callable[[str, dict[str, Any]], None]) -> None:
    """Read each entry of the array of tables `section`: check it against `keys`, claim its
    name in the namespace `names`, and hand its key path and values to `read`; a problem
    `read` raises names the entry."""

    def claim_and_read(i: int, values: dict[str, Any]) -> None:
        path = f"{section}[{i}]"
        _claim(names, values["name"], path)
        read(path, values)

    _each_entry(raw, section, keys, claim_and_read)


def _images_section(raw: Any, draft: Draft) -> None:
    def read(path: str, values: dict[str, Any]) -> None:
        draft.images.append((path, Image(kind="base", **values)))

    _named_entries(raw, "images", _IMAGE_KEYS, draft.image_names, read)


def _layers_section(raw: Any, draft: Draft) -> None:
    def read(path: str, values: dict[str, Any]) -> None:
        values.setdefault("memory_gb", 0.0)  # a layer adds nothing unless it says so
        draft.images.append((path, Image(kind="layer", **values)))

    _named_entries(raw, "layers", _LAYER_KEYS, draft.image_names, read)


def _nodes_section(raw: Any, draft: Draft) -> None:
    def read(i: int, values: dict[str, Any]) -> None:
        path = f"nodes[{i}]"
        held = values.pop("images", ())
        powered = values.pop("powered", True)
        maintenance = values.pop("maintenance", False)
        count = values.pop("count", None)
        _check_total(len(draft.nodes) + (count or 1), MAX_NODES, "nodes", count)
        for name in _expand(values.pop("name"), count, width=2):
            _claim(draft.names, name, path)
            node = Node(name=name, **values)
            start_node(node, powered=powered, maintenance=maintenance)
            draft.nodes.append((path, node))
            draft.held[name] = held

    _each_entry(raw, "nodes", _NODE_KEYS, read)


def _vms_section(raw: Any, draft: Draft) -> None:
    givens: dict[tuple[str, ...], frozenset[str]] = {}  # one set per shape of entry, shared

    def given(written: tuple[str, ...]) -> frozenset[str]:
        found = givens.get(written)
        if found is None:
            found = givens[written] = frozenset(written)
        return found

    def read(i: int, values: dict[str, Any]) -> None:
        path = f"vms[{i}]"
        image = values.pop("image", None)
        if image is None and "guest_os" not in values:
            raise Problem(".guest_os", "required key is missing (a VM without an image "
                                       "needs one)")
        count = values.pop("count", None)
        if count is not None and "anti_affinity" in values:
            raise Problem(".anti_affinity", "not allowed together with count")
        _check_total(len(draft.vms) + (count or 1), MAX_VMS, "VMs", count)
        host = values.pop("host", None)
        _power_and_request(values)
        written = given(tuple(key for key in values if key != "workload"))
        for name in _expand(values.pop("name"), count, width=3):
            _claim(draft.names, name, path)
            draft.vms.append(VmEntry(path, Vm(name=name, host=host, **values), written, image))

    def read_chunk(start: int, tables: list[dict[str, Any]]) -> bool:
        """`read` for each of `tables` at once when each entry is one VM (no count) with a
        guest OS and no image, its `state` and `ha_state` agree and its name is new: True;
        else False, and nothing read. (A Workload is a value: VMs of one share it.)"""
        keys = list(map(tuple, tables))
        shapes = {shape: _plain_vm_shape(shape) for shape in dict.fromkeys(keys)}
        if None in shapes.values() or len(draft.vms) + len(tables) > MAX_VMS:
            return False
        if any("state" in shape or "ha_state" in shape for shape in shapes):
            try:
                for table in tables:
                    if "state" in table or "ha_state" in table:
                        _power_and_request(table)  # (fills in the other)
            except Problem:
                return False
        names = list(map(_NAME, tables))
        if len(set(names)) < len(names) or not draft.names.keys().isdisjoint(names):
            return False  # a name used twice: `read` says which, where
        paths = [f"vms[{i}]" for i in range(start, start + len(tables))]
        draft.names.update(zip(names, paths))  # noqa: B905 (same length)
        plans = {shape: (given(plan[0]), plan[1])
                 for shape, plan in shapes.items() if plan is not None}
        for path, shape, table in zip(paths, keys, tables):  # noqa: B905 (same length)
            written, defaults = plans[shape]
            draft.vms.append(VmEntry(path, Vm(**defaults, **table), written, None))
        return True

    _each_entry(raw, "vms", _VM_KEYS, read, read_chunk)


_NAME = itemgetter("name")


def _plain_vm_shape(keys: tuple[str, ...]) -> tuple[tuple[str, ...], dict[str, Any]] | None:
    """For the keys of a `[[vms]]` entry (in file order) that gives its guest OS and neither
    an image nor a count: the keys `_vms_section` notes as written (in its order: `state` or
    `ha_state` filled in last) and the values `Vm` takes that the entry does not give (no
    host; the `ha_state` of the default state when it gives neither). None for any other."""
    if "guest_os" not in keys or "image" in keys or "count" in keys:
        return None
    written = tuple(key for key in keys if key not in ("host", "workload"))
    defaults: dict[str, Any] = {} if "host" in keys else {"host": None}
    if "ha_state" in keys:
        return (written if "state" in keys else (*written, "state")), defaults
    if "state" in keys:
        return (*written, "ha_state"), defaults
    return (*written, "ha_state"), {**defaults, "ha_state": HaState.STARTED}


def _power_and_request(values: dict[str, Any]) -> None:
    """A VM's `state` and `ha_state` agree: each defaults from the other, and a pair HA would
    undo at once (stopped but started, running but stopped or disabled) is a Problem."""
    state, request = values.get("state"), values.get("ha_state")
    if request is None:
        values["ha_state"] = HaState.STOPPED if state is VmState.STOPPED else HaState.STARTED
    elif state is None:
        values["state"] = VmState.STOPPED if request in KEPT_OFF else VmState.RUNNING
    elif (state is VmState.STOPPED) != (request in KEPT_OFF) and request is not HaState.IGNORED:
        raise Problem(".ha_state", f"HA state {request.value} does not go with state "
                                   f"{state.value}: HA would "
                                   f"{'start' if state is VmState.STOPPED else 'stop'} it at once")


def _services_section(raw: Any, draft: Draft) -> None:
    def read(path: str, values: dict[str, Any]) -> None:
        active = values.pop("active", None)
        _check_failback_window(values)
        draft.service_keys[path] = frozenset(values)
        draft.services.append((path, Service(**values), active))

    _named_entries(raw, "services", _SERVICE_KEYS, draft.service_names, read)


def _check_failback_window(values: dict[str, Any]) -> None:
    """`failback_window` is two different hours, given with `failback = "window"` only."""
    window = values.get("failback_window")
    if values.get("failback") == "window" and window is None:
        raise Problem(".failback_window", 'required when failback is "window"')
    if window is None:
        return
    if values.get("failback") != "window":
        raise Problem(".failback_window", 'only used with failback = "window"')
    if len(window) != 2:
        raise Problem(".failback_window", f"must be [start hour, end hour], got {len(window)} "
                                          "values")
    if window[0] == window[1]:
        raise Problem(".failback_window", "start and end hour must differ (for any hour, use "
                                          'failback = "immediate")')
    values["failback_window"] = (window[0], window[1])


def _apply_service_defaults(draft: Draft) -> None:
    """Give each service the profile's value (`Settings.service_defaults`) of every policy key
    its entry does not write."""
    defaults = draft.settings.service_defaults
    for path, service, _ in draft.services:
        for name in SERVICE_POLICY_FIELDS:
            if name not in draft.service_keys[path]:
                setattr(service, name, getattr(defaults, name))


def _rules_section(raw: Any, draft: Draft) -> None:
    def read(path: str, values: dict[str, Any]) -> None:
        rule = Rule(**values)
        _check_rule_shape(rule, has_hosts="hosts" in values)
        draft.rules.append((path, rule))

    _named_entries(raw, "rules", _RULE_KEYS, draft.rule_names, read)


def _check_rule_shape(rule: Rule, has_hosts: bool) -> None:
    """What a rule of its kind must say, before any name in it is looked up."""
    least = 1 if rule.kind in HOST_RULES else 2
    if len(rule.vms) < least:
        article = "an" if rule.kind[0] in "aeiou" else "a"
        wanted = "one VM" if least == 1 else "two VMs"
        raise Problem(".vms", f"{article} {rule.kind} rule needs at least {wanted}, "
                              f"got {len(rule.vms)}")
    if rule.kind in HOST_RULES:
        if not has_hosts:
            raise Problem(".hosts", f"required for a {rule.kind} rule")
        if not rule.hosts:
            raise Problem(".hosts", f"a {rule.kind} rule needs at least one host, got 0")
    elif has_hosts:
        raise Problem(".hosts", f"only for {' and '.join(HOST_RULES)} rules, not {rule.kind}")


def _groups_section(raw: Any, draft: Draft) -> None:
    def read(path: str, values: dict[str, Any]) -> None:
        draft.groups.append((path, HaGroup(**values)))

    _named_entries(raw, "groups", _GROUP_KEYS, draft.group_names, read)


#: Top-level sections and their readers, in the order the schema documents them. A new section
#: is one reader and one entry here.
_SECTIONS: dict[str, Callable[[Any, Draft], None]] = {
    "cluster": _cluster_section,
    "heartbeat": _settings_section("heartbeat", _HEARTBEAT_KEYS),
    "quorum": _settings_section("quorum", _QUORUM_KEYS),
    "ha": _ha_section,
    "migration": _settings_section("migration", _MIGRATION_KEYS),
    "balancer": _settings_section("balancer", _BALANCER_KEYS),
    "workloads": _workloads_section,
    "images": _images_section,
    "layers": _layers_section,
    "nodes": _nodes_section,
    "vms": _vms_section,
    "services": _services_section,
    "rules": _rules_section,
    "groups": _groups_section,
}

#: The top-level sections a cluster file may have, in schema order (a drill file that embeds its
#: cluster may have these too).
SECTIONS: tuple[str, ...] = tuple(_SECTIONS)


def read_document(document: dict[str, Any], base: Path,
                   traces: dict[str, tuple[float, ...]] | None = None) -> Draft:
    """Read every section in file order, then insist on the ones a cluster cannot do without.
    Folders the file names are relative to `base`; `traces` given stand in for the trace
    folder. Raises `Problem` (absolute key path) for the first bad value."""
    draft = Draft(base=base, given_traces=traces)
    for section, raw in document.items():
        reader = _SECTIONS.get(section)
        if reader is None:
            raise Problem(bare(section), f"unknown section (known: {', '.join(_SECTIONS)})")
        with at(section):
            reader(raw, draft)
    if "cluster" not in document:
        raise Problem("cluster", "required section [cluster] is missing")
    if not draft.nodes:
        raise Problem("nodes", "at least one [[nodes]] entry is required")
    draft.settings = _settings(draft)
    _apply_service_defaults(draft)
    return draft

