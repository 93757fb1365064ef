"""Cluster files: TOML in, a checked `model.Cluster` out, or one line naming file, line and key.

A cluster file is the only way a cluster enters the console, so it is checked the way a compiler
checks code: unknown keys are errors (a typo must not quietly fall back to a default), every value
is range-checked, every name the file refers to must exist, and the cluster must be runnable as
written. The first problem in file order is raised as a `ConfigError` whose `str()` is one line:

    seed.toml:23: nodes[2].memory_gb: must be a positive number, got -16

The reading and checking of TOML in general (the error type, key paths, line numbers, value
checkers) is `console.formats.toml`, shared with drill files; this module is the cluster schema.

Key paths count `[[nodes]]`, `[[vms]]`, `[[services]]`, `[[images]]`, `[[layers]]` and `[[rules]]`
entries from 0, as written in the file (an entry with `count` is one entry however many copies it
makes).

Schema
------
```toml
[cluster]                  # required
name = "seed"              # required name
description = "..."        # optional

[heartbeat]                # optional, as are all its keys -> model.settings.HeartbeatSettings
interval_s = 1.0           # > 0
suspect_after_missed = 3   # integer >= 1
failed_after_missed = 15   # integer > suspect_after_missed
datastore_heartbeat = true

[quorum]                   # -> QuorumSettings
witness = true
isolation_response = "power_off"   # leave_powered_on | power_off | shutdown
shutdown_s = 30.0          # > 0

[ha]                       # -> HaSettings
enabled = true
host_failures_to_tolerate = 1   # integer >= 0
admission_control = true
fence_s = 5.0              # >= 0
cpu_overcommit = 4.0       # > 0, vCPUs per physical core
memory_overcommit = 1.0    # > 0

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
interval_s = 300           # >= 0; 0 turns periodic balancing off
holddown_s = 3600          # >= 0: a moved VM stays put this long
max_moves = 8              # integer >= 1 per balancing pass

[workloads]
traces = "traces"          # required: a folder, relative to this file, of CPU traces in
                           # PlanetLab format (one file per VM, one CPU percent 0-100 per line,
                           # a line per 5 minutes: 288 for a day). Every file in it is loaded,
                           # named by its file name, except hidden files and README files.

[[images]]                 # a master base image (XenServer-style image streaming)
name = "win2008"           # required; unique among images and layers; no "+"
label = "Windows Server 2008 Standard"   # optional display name
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
name = "A"                 # required; unique among nodes and VMs; [A-Za-z0-9][A-Za-z0-9_.-]*
hypervisor = "esxi"        # required: esxi | hyperv | xenserver | kvm
cpus = 4                   # integer >= 1 (sockets)
cores_per_cpu = 4          # integer >= 1
mhz = 2400                 # integer >= 1
memory_gb = 16             # > 0
disks_gb = [300, 300, 300, 300, 300]   # non-empty, each > 0
nics_gbps = [1, 1, 1, 1]               # non-empty, each > 0
disk_mbps = 400            # > 0
boot_s = 120               # >= 0
count = 16                 # optional: 16 nodes named A01 .. A16
images = ["win2008"]       # optional: images and layers the host holds already (at their
                           # current version), so deploying them streams nothing

[[vms]]
name = "web01"             # required; unique among nodes and VMs
host = "A"                 # optional node name; without it the VM is placed at load time
                           # (model.placement.best_host, after every VM with a host) on the
                           # best host of any hypervisor that runs its guest OS
guest_os = "windows2008"   # a model.hypervisors.GUEST_OSES id; required without an image
image = "win2008+iis7"     # optional: a base image, then layers that fit it. The VM's guest OS
                           # is the base's (guest_os, if given, must match); vcpus, memory_gb
                           # and disk_gb default to the base's vCPUs, the base's plus the
                           # layers' memory and the parts' total size. Its host need not hold
                           # the parts (a running VM has its disk already).
vcpus = 2                  # integer >= 1
memory_gb = 4              # > 0
disk_gb = 40               # > 0
priority = "high"          # high | medium | low | disabled (HA restart order)
anti_affinity = ["web02"]  # VM names never to share a host with
boot_s = 30                # >= 0
state = "running"          # running | stopped
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
members = ["sql01", "sql02"]   # required: two or more distinct VMs, on different hosts
active = "sql01"           # optional running member; default: the first running preferred
                           # owner, else the first running member
preferred_owners = ["sql01"]   # members
failback = "never"         # never | immediate | delayed
failback_delay_s = 300     # >= 0
max_failovers = 3          # integer >= 1, per failover_period_s
failover_period_s = 21600  # > 0
failover_s = 20            # >= 0

[[rules]]                  # placement rules; `must` binds every placement, HA included, while
                           # `should` is a preference the balancer weighs
name = "web-apart"         # required; unique among rules
kind = "anti-affinity"     # required: affinity | anti-affinity | vm-host | vm-not-host
strength = "must"          # required: must | should; affinity is always "should" (a "must"
                           # would forbid evacuating either VM alone)
vms = ["web01", "web02"]   # required: known VMs, two or more for affinity and anti-affinity
hosts = ["A", "B"]         # known nodes: required for vm-host and vm-not-host, else not allowed
```

Checks run in passes, each in file order: every value of every section (trace files are read
here); then layers' bases and the images each node holds; then each VM's image, host,
anti-affinity, guest OS, size and trace; then each service's members, owners and active member;
then each rule's VMs and hosts, and whether a VM's own host breaks a `must` rule; then the load
on each host as VMs with a host are added; then placement of the VMs without one, which honours
every `must` rule and anti-affinity.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from console.formats.toml import ConfigError as ConfigError  # re-exported: callers catch it here
from console.formats.toml import (
    Key,
    Problem,
    at,
    bare,
    boolean,
    choice,
    entries,
    fraction,
    identifier,
    integer,
    list_of,
    listing,
    located,
    non_negative,
    parse_toml,
    positive,
    read_file,
    read_table,
    share,
    show,
    string,
)
from console.formats.toml import locate as locate  # re-exported
from console.model import placement
from console.model.cluster import Cluster
from console.model.entities import (
    FAILBACK_POLICIES,
    RULE_KINDS,
    SERVICE_KINDS,
    WORKLOAD_PROFILES,
    Image,
    Node,
    Priority,
    Role,
    Rule,
    Service,
    ServiceState,
    Vm,
    VmState,
    Workload,
)
from console.model.hypervisors import GUEST_OSES, HYPERVISORS, supported_guests
from console.model.images import ImageError, resolve
from console.model.settings import (
    AUTOMATION_LEVELS,
    ISOLATION_RESPONSES,
    BalancerSettings,
    HaSettings,
    HeartbeatSettings,
    MigrationSettings,
    QuorumSettings,
    Settings,
)
from console.model.workloads import TraceError, read_trace

RULE_STRENGTHS = ("must", "should")
HOST_RULES = ("vm-host", "vm-not-host")  # the rule kinds that name hosts
AUTO_TRACE = "auto"
MAX_COUNT = 100_000  # a typo of a few zeros should be an error, not an exhausted machine


# -- public API ---------------------------------------------------------------------------------


def load_cluster(path: str | Path) -> Cluster:
    """Read and check a cluster file; errors name the file as the caller spelt it."""
    return parse_cluster(read_file(path), str(path))


def parse_cluster(text: str, filename: str, base: str | Path | None = None,
                  traces: dict[str, tuple[float, ...]] | None = None) -> Cluster:
    """Check a cluster file's text and build its cluster; the first problem is a ConfigError.

    Folders the file names (`[workloads] traces`) are relative to `base`, by default the folder
    of `filename`. `traces` given (a recording embeds them) stand in for that folder's files.
    """
    document = parse_toml(text, filename)
    folder = Path(filename).parent if base is None else Path(base)
    with located(text, filename):
        return _build(_read_document(document, folder, traces))


def summarize(cluster: Cluster) -> str:
    """One line for `cluster-console validate`: what the file describes, in numbers."""
    kinds = Counter(node.hypervisor for node in cluster.nodes.values())
    if len(kinds) == 1:
        kind_text = next(iter(kinds))
    else:
        kind_text = ", ".join(f"{n} {kind}" for kind, n in kinds.items())
    states = Counter(vm.state for vm in cluster.vms.values())
    state_text = ", ".join(f"{states[s]} {s.value}" for s in VmState if states[s])
    extras = []
    bases = sum(1 for image in cluster.images.values() if image.kind == "base")
    if cluster.images:
        extras.append(f"{_plural(bases, 'base image')} + "
                      f"{_plural(len(cluster.images) - bases, 'layer')}")
    if cluster.rules:
        extras.append(_plural(len(cluster.rules), "rule"))
    if cluster.traces:
        extras.append(_plural(len(cluster.traces), "trace"))
    return (f"cluster {cluster.name!r}: {_plural(len(cluster.nodes), 'node')} ({kind_text}), "
            f"{_plural(len(cluster.vms), 'VM')}" + (f" ({state_text})" if state_text else "")
            + f", {_plural(len(cluster.services), 'service')}"
            + "".join(f", {extra}" for extra in extras))


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


# -- the schema: each table's keys and their checks (console.formats.toml) -------------------------


def _workload(value: Any) -> Workload:
    values = read_table(value, _WORKLOAD_KEYS)
    if values.get("profile") == "trace" and not values.get("trace"):
        raise Problem(".trace", 'required when profile is "trace"')
    if "trace" in values and values.get("profile") != "trace":
        raise Problem(".trace", 'only used with profile = "trace"')
    return Workload(**values)


_CLUSTER_KEYS = {"name": Key(identifier, required=True), "description": Key(string)}

_HEARTBEAT_KEYS = {
    "interval_s": Key(positive),
    "suspect_after_missed": Key(integer(1)),
    "failed_after_missed": Key(integer(1)),
    "datastore_heartbeat": Key(boolean),
}

_QUORUM_KEYS = {
    "witness": Key(boolean),
    "isolation_response": Key(choice(ISOLATION_RESPONSES)),
    "shutdown_s": Key(positive),
}

_HA_KEYS = {
    "enabled": Key(boolean),
    "host_failures_to_tolerate": Key(integer(0)),
    "admission_control": Key(boolean),
    "fence_s": Key(non_negative),
    "cpu_overcommit": Key(positive),
    "memory_overcommit": Key(positive),
}

_MIGRATION_KEYS = {
    "downtime_target_ms": Key(positive),
    "max_rounds": Key(integer(1)),
    "auto_converge": Key(boolean),
    "link_efficiency": Key(share),
    "limit_1g": Key(integer(1)),
    "limit_10g": Key(integer(1)),
}

_BALANCER_KEYS = {
    "automation": Key(choice(AUTOMATION_LEVELS)),
    "threshold": Key(integer(1, 5)),
    "interval_s": Key(non_negative),
    "holddown_s": Key(non_negative),
    "max_moves": Key(integer(1)),
}

_WORKLOADS_KEYS = {"traces": Key(string, required=True)}

_IMAGE_KEYS = {
    "name": Key(identifier, required=True),
    "label": Key(string),
    "size_gb": Key(positive, required=True),
    "version": Key(integer(1)),
    "guest_os": Key(choice(tuple(GUEST_OSES)), required=True),
    "vcpus": Key(integer(1)),
    "memory_gb": Key(positive),
}

_LAYER_KEYS = {
    "name": Key(identifier, required=True),
    "label": Key(string),
    "size_gb": Key(positive, required=True),
    "memory_gb": Key(non_negative),
    "bases": Key(list_of(string, non_empty=False)),
}

_NODE_KEYS = {
    "name": Key(identifier, required=True),
    "hypervisor": Key(choice(tuple(HYPERVISORS)), required=True),
    "cpus": Key(integer(1)),
    "cores_per_cpu": Key(integer(1)),
    "mhz": Key(integer(1)),
    "memory_gb": Key(positive),
    "disks_gb": Key(list_of(positive, non_empty=True)),
    "nics_gbps": Key(list_of(positive, non_empty=True)),
    "disk_mbps": Key(positive),
    "boot_s": Key(non_negative),
    "count": Key(integer(1, MAX_COUNT)),
    "images": Key(list_of(string, non_empty=False)),
}

_WORKLOAD_KEYS = {
    "cpu": Key(fraction),
    "memory": Key(fraction),
    "disk_mbps": Key(non_negative),
    "dirty_mbps": Key(non_negative),
    "profile": Key(choice(WORKLOAD_PROFILES)),
    "trace": Key(string),
}

_VM_KEYS = {
    "name": Key(identifier, required=True),
    "host": Key(string),
    "guest_os": Key(choice(tuple(GUEST_OSES))),  # required without an image
    "image": Key(string),
    "vcpus": Key(integer(1)),
    "memory_gb": Key(positive),
    "disk_gb": Key(positive),
    "priority": Key(choice(tuple(p.value for p in Priority), Priority)),
    "anti_affinity": Key(list_of(string, non_empty=False)),
    "boot_s": Key(non_negative),
    "state": Key(choice((VmState.RUNNING.value, VmState.STOPPED.value), VmState)),
    "count": Key(integer(1, MAX_COUNT)),
    "workload": Key(_workload),
}

_SERVICE_KEYS = {
    "name": Key(identifier, required=True),
    "kind": Key(choice(SERVICE_KINDS), required=True),
    "members": Key(list_of(string, non_empty=False), required=True),
    "active": Key(string),
    "preferred_owners": Key(list_of(string, non_empty=False)),
    "failback": Key(choice(FAILBACK_POLICIES)),
    "failback_delay_s": Key(non_negative),
    "max_failovers": Key(integer(1)),
    "failover_period_s": Key(positive),
    "failover_s": Key(non_negative),
}

_RULE_KEYS = {
    "name": Key(identifier, required=True),
    "kind": Key(choice(RULE_KINDS), required=True),
    "strength": Key(choice(RULE_STRENGTHS), required=True),
    "vms": Key(list_of(string, non_empty=False), required=True),
    "hosts": Key(list_of(string, non_empty=False)),
}


# -- sections -----------------------------------------------------------------------------------


@dataclass
class _VmEntry:
    """A VM as its entry declared it: which keys were written, and its image until resolved."""

    path: str
    vm: Vm
    given: frozenset[str]
    image: str | None


@dataclass
class _Draft:
    """The file's content with every value checked, before names are resolved.

    Entities are kept with the key path of the entry that declared them, for error messages.
    """

    base: Path = Path(".")  # the folder relative paths in the file start from
    name: str = ""
    description: str = ""
    settings: Settings = field(default_factory=Settings)
    nodes: list[tuple[str, Node]] = field(default_factory=list)
    held: dict[str, tuple[str, ...]] = field(default_factory=dict)  # node -> images, as written
    vms: list[_VmEntry] = field(default_factory=list)
    services: list[tuple[str, Service, str | None]] = field(default_factory=list)  # + `active`
    images: list[tuple[str, Image]] = field(default_factory=list)  # bases and layers
    rules: list[tuple[str, Rule]] = field(default_factory=list)
    traces: dict[str, tuple[float, ...]] = field(default_factory=dict)
    given_traces: dict[str, tuple[float, ...]] | None = None  # instead of reading the folder
    names: dict[str, str] = field(default_factory=dict)  # node and VM names -> declaring entry
    service_names: dict[str, str] = field(default_factory=dict)
    image_names: dict[str, str] = field(default_factory=dict)
    rule_names: dict[str, str] = field(default_factory=dict)


def _claim(owners: dict[str, str], name: str, path: str) -> None:
    """Reserve a name in a namespace; the second entry to use it is the one in error."""
    if name in owners:
        raise Problem(".name", f"duplicate name {show(name)} (already used by {owners[name]})")
    owners[name] = path


def _expand(name: str, count: int | None, width: int) -> list[str]:
    """An entry's names: itself, or `count` numbered copies (A01, A02 ... / web001 ...)."""
    if count is None:
        return [name]
    return [f"{name}{i:0{width}d}" for i in range(1, count + 1)]


def _cluster_section(raw: Any, draft: _Draft) -> None:
    values = read_table(raw, _CLUSTER_KEYS)
    draft.name = values["name"]
    draft.description = values.get("description", "")


def _heartbeat_section(raw: Any, draft: _Draft) -> None:
    values = read_table(raw, _HEARTBEAT_KEYS)
    beat = HeartbeatSettings(**values)
    if beat.failed_after_missed <= beat.suspect_after_missed:
        key = "failed_after_missed" if "failed_after_missed" in values else "suspect_after_missed"
        failed, suspect = beat.failed_after_missed, beat.suspect_after_missed
        raise Problem(f".{key}", f"failed_after_missed ({failed}) must be greater than "
                                 f"suspect_after_missed ({suspect})")
    draft.settings.heartbeat = beat


def _quorum_section(raw: Any, draft: _Draft) -> None:
    draft.settings.quorum = QuorumSettings(**read_table(raw, _QUORUM_KEYS))


def _ha_section(raw: Any, draft: _Draft) -> None:
    draft.settings.ha = HaSettings(**read_table(raw, _HA_KEYS))


def _migration_section(raw: Any, draft: _Draft) -> None:
    draft.settings.migration = MigrationSettings(**read_table(raw, _MIGRATION_KEYS))


def _balancer_section(raw: Any, draft: _Draft) -> None:
    draft.settings.balancer = BalancerSettings(**read_table(raw, _BALANCER_KEYS))


def _workloads_section(raw: Any, draft: _Draft) -> None:
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
        try:
            traces[path.name] = read_trace(path)
        except TraceError as error:  # "<file name>:<line>: ..." -> "<folder>/<file name>:..."
            message = str(error)
            rest = message[len(path.name):] if message.startswith(path.name) else f": {message}"
            raise Problem("", f"{path}{rest}") from None
        except UnicodeDecodeError:
            raise Problem("", f"{path}: not UTF-8 text") from None
        except OSError as error:
            raise Problem("", f"{path}: cannot read: {error.strerror or error}") from None
    if not traces:
        raise Problem("", f"no trace files in {folder}")
    return traces


def _images_section(raw: Any, draft: _Draft) -> None:
    for i, entry in enumerate(entries(raw, "images")):
        path = f"images[{i}]"
        with at(f"[{i}]"):
            values = read_table(entry, _IMAGE_KEYS)
            _claim(draft.image_names, values["name"], path)
            draft.images.append((path, Image(kind="base", **values)))


def _layers_section(raw: Any, draft: _Draft) -> None:
    for i, entry in enumerate(entries(raw, "layers")):
        path = f"layers[{i}]"
        with at(f"[{i}]"):
            values = read_table(entry, _LAYER_KEYS)
            _claim(draft.image_names, values["name"], path)
            values.setdefault("memory_gb", 0.0)  # a layer adds nothing unless it says so
            draft.images.append((path, Image(kind="layer", **values)))


def _nodes_section(raw: Any, draft: _Draft) -> None:
    for i, entry in enumerate(entries(raw, "nodes")):
        path = f"nodes[{i}]"
        with at(f"[{i}]"):
            values = read_table(entry, _NODE_KEYS)
            held = values.pop("images", ())
            for name in _expand(values.pop("name"), values.pop("count", None), width=2):
                _claim(draft.names, name, path)
                draft.nodes.append((path, Node(name=name, **values)))
                draft.held[name] = held


def _vms_section(raw: Any, draft: _Draft) -> None:
    for i, entry in enumerate(entries(raw, "vms")):
        path = f"vms[{i}]"
        with at(f"[{i}]"):
            values = read_table(entry, _VM_KEYS)
            image = values.pop("image", None)
            if image is None and "guest_os" not in values:
                raise Problem(".guest_os", "required key is missing (a VM without an image "
                                           "needs one)")
            count = values.pop("count", None)
            if count is not None and "anti_affinity" in values:
                raise Problem(".anti_affinity", "not allowed together with count")
            workload = values.pop("workload", Workload())
            host = values.pop("host", None)
            given = frozenset(values)
            for name in _expand(values.pop("name"), count, width=3):
                _claim(draft.names, name, path)
                vm = Vm(name=name, host=host, workload=replace(workload), **values)
                draft.vms.append(_VmEntry(path, vm, given, image))


def _services_section(raw: Any, draft: _Draft) -> None:
    for i, entry in enumerate(entries(raw, "services")):
        path = f"services[{i}]"
        with at(f"[{i}]"):
            values = read_table(entry, _SERVICE_KEYS)
            _claim(draft.service_names, values["name"], path)
            active = values.pop("active", None)
            draft.services.append((path, Service(**values), active))


def _rules_section(raw: Any, draft: _Draft) -> None:
    for i, entry in enumerate(entries(raw, "rules")):
        path = f"rules[{i}]"
        with at(f"[{i}]"):
            values = read_table(entry, _RULE_KEYS)
            _claim(draft.rule_names, values["name"], path)
            rule = Rule(**values)
            _check_rule_shape(rule, has_hosts="hosts" in values)
            draft.rules.append((path, rule))


def _check_rule_shape(rule: Rule, has_hosts: bool) -> None:
    """What a rule of its kind must say, before any name in it is looked up."""
    if rule.kind == "affinity" and rule.strength == "must":
        raise Problem(".strength", 'VM-VM affinity is always "should": a "must" would forbid '
                                   "evacuating either VM alone")
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


#: Top-level sections and their readers, in the order the schema documents them. A new section
#: is one reader and one entry here.
_SECTIONS: dict[str, Callable[[Any, _Draft], None]] = {
    "cluster": _cluster_section,
    "heartbeat": _heartbeat_section,
    "quorum": _quorum_section,
    "ha": _ha_section,
    "migration": _migration_section,
    "balancer": _balancer_section,
    "workloads": _workloads_section,
    "images": _images_section,
    "layers": _layers_section,
    "nodes": _nodes_section,
    "vms": _vms_section,
    "services": _services_section,
    "rules": _rules_section,
}

#: The top-level sections a cluster file may have, in schema order (a drill file that embeds its
#: cluster may have these too).
SECTIONS: tuple[str, ...] = tuple(_SECTIONS)


def _read_document(document: dict[str, Any], base: Path,
                   traces: dict[str, tuple[float, ...]] | None = None) -> _Draft:
    """Read every section in file order, then insist on the ones a cluster cannot do without."""
    draft = _Draft(base=base, given_traces=traces)
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
    return draft


# -- cross-checks: names, compatibility, size ---------------------------------------------------


class _HostIndex:
    """What the cluster's hosts offer, worked out once per file rather than once per VM: a
    20,000-VM file would otherwise scan every host for every VM."""

    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster
        self.kinds = list(dict.fromkeys(node.hypervisor for node in cluster.nodes.values()))
        self._largest: dict[str, tuple[float, float]] = {}

    def kinds_for(self, guest_os: str) -> list[str]:
        """Hypervisor kinds present that run `guest_os`, in file order."""
        return [kind for kind in self.kinds if HYPERVISORS[kind].supports(guest_os)]

    def largest(self, guest_os: str) -> tuple[float, float]:
        """The most vCPUs and the most GB any host that runs `guest_os` can hold."""
        if guest_os not in self._largest:
            hosts = [n for n in self.cluster.nodes.values()
                     if HYPERVISORS[n.hypervisor].supports(guest_os)]
            self._largest[guest_os] = (max(self.cluster.vcpu_capacity(n) for n in hosts),
                                       max(self.cluster.memory_capacity(n) for n in hosts))
        return self._largest[guest_os]


def _check_vm(vm: Vm, vms: dict[str, Vm], cluster: Cluster, hosts: _HostIndex) -> None:
    if vm.host is not None and vm.host not in cluster.nodes:
        raise Problem(".host", f"unknown node {show(vm.host)} "
                               f"(nodes: {listing(list(cluster.nodes))})")
    _check_anti_affinity(vm, vms)
    _check_guest(vm, cluster, hosts)
    _check_size(vm, hosts)


def _check_anti_affinity(vm: Vm, vms: dict[str, Vm]) -> None:
    for k, other in enumerate(vm.anti_affinity):
        key = f".anti_affinity[{k}]"
        if other == vm.name:
            raise Problem(key, f"{vm.name} cannot be anti-affine with itself")
        if other not in vms:
            raise Problem(key, f"unknown VM {show(other)}")
        if vm.host is not None and vms[other].host == vm.host:
            raise Problem(key, f"{vm.name} and {other} are anti-affine but both on host "
                               f"{vm.host}")


def _check_guest(vm: Vm, cluster: Cluster, hosts: _HostIndex) -> None:
    """The guest OS must run somewhere in the cluster, and on the VM's own host if it has one."""
    if not hosts.kinds_for(vm.guest_os):
        raise Problem(".guest_os", f"no node in the cluster runs {vm.guest_os} "
                                   f"(hypervisors here: {', '.join(hosts.kinds)})")
    if vm.host is None:
        return
    kind = cluster.nodes[vm.host].hypervisor
    if not HYPERVISORS[kind].supports(vm.guest_os):
        runs = ", ".join(supported_guests(kind))
        raise Problem(".guest_os", f"host {vm.host} runs {kind}, which does not run "
                                   f"{vm.guest_os} ({kind} runs {runs})")


def _check_size(vm: Vm, hosts: _HostIndex) -> None:
    """A VM bigger than every host that could run it can never start: say so now."""
    most_vcpus, most_memory = hosts.largest(vm.guest_os)
    if vm.vcpus > most_vcpus:
        raise Problem(".vcpus", f"{vm.name} needs {vm.vcpus} vCPUs, more than any host that runs "
                                f"{vm.guest_os} can hold (at most {most_vcpus:g})")
    if vm.memory_gb > most_memory + 1e-9:
        raise Problem(".memory_gb", f"{vm.name} needs {vm.memory_gb:g} GB, more than any "
                                    f"host that runs {vm.guest_os} can hold "
                                    f"(at most {most_memory:g} GB)")


def _check_service(service: Service, active: str | None, vms: dict[str, Vm]) -> None:
    _check_members(service, vms)
    for k, owner in enumerate(service.preferred_owners):
        with at(f".preferred_owners[{k}]"):
            _check_member(service, owner, vms)
    if active is not None:
        with at(".active"):
            _check_member(service, active, vms)
            if vms[active].state is not VmState.RUNNING:
                raise Problem("", f"{active} is {vms[active].state.value}; "
                                  "the active member must be running")


def _check_members(service: Service, vms: dict[str, Vm]) -> None:
    """Two or more distinct VMs, on different hosts (members are implicitly anti-affine)."""
    if len(service.members) < 2:
        raise Problem(".members", f"a service needs at least two members, "
                                  f"got {len(service.members)}")
    hosts: dict[str, str] = {}
    for k, member in enumerate(service.members):
        key = f".members[{k}]"
        if member not in vms:
            raise Problem(key, f"unknown VM {show(member)}")
        if member in service.members[:k]:
            raise Problem(key, f"{show(member)} is listed twice")
        host = vms[member].host
        if host is not None and host in hosts:
            raise Problem(key, f"{member} is on host {host} with {hosts[host]}; members of a "
                               "service must be on different hosts")
        if host is not None:
            hosts[host] = member


def _check_member(service: Service, name: str, vms: dict[str, Vm]) -> None:
    if name not in vms:
        raise Problem("", f"unknown VM {show(name)}")
    if name not in service.members:
        raise Problem("", f"{name} is not a member of service {service.name} "
                          f"(members: {', '.join(service.members)})")


def _register_images(draft: _Draft, cluster: Cluster) -> None:
    """Register bases and layers, then check that each layer's bases are base images."""
    for _, image in draft.images:
        cluster.images[image.name] = image
    bases = [name for name, image in cluster.images.items() if image.kind == "base"]
    for path, image in draft.images:
        for k, base in enumerate(image.bases):
            key = f"{path}.bases[{k}]"
            if base not in cluster.images:
                known = f"base images: {listing(bases)}" if bases else "no [[images]] are defined"
                raise Problem(key, f"unknown base image {show(base)} ({known})")
            if cluster.images[base].kind != "base":
                raise Problem(key, f"{base} is a layer, not a base image")
            if base in image.bases[:k]:
                raise Problem(key, f"{show(base)} is listed twice")


def _hold_images(draft: _Draft, cluster: Cluster) -> None:
    """The parts each host holds already, at their current version."""
    for path, node in draft.nodes:
        held = draft.held[node.name]
        for k, part in enumerate(held):
            key = f"{path}.images[{k}]"
            if part not in cluster.images:
                raise Problem(key, f"unknown image or layer {show(part)} ({_known(cluster)})")
            if part in held[:k]:
                raise Problem(key, f"{show(part)} is listed twice")
            node.images[part] = cluster.images[part].version


def _known(cluster: Cluster) -> str:
    if not cluster.images:
        return "no [[images]] or [[layers]] are defined"
    return f"known: {listing(list(cluster.images))}"


def _apply_image(entry: _VmEntry, cluster: Cluster) -> None:
    """A VM built from an image runs the base's guest OS and is sized from its parts."""
    if entry.image is None:
        return
    vm = entry.vm
    with at(".image"):
        parts = _resolve(cluster, entry.image)
    base, layers = parts[0], parts[1:]
    if "guest_os" in entry.given and vm.guest_os != base.guest_os:
        raise Problem(".guest_os", f"image {base.name} runs {base.guest_os}, not {vm.guest_os} "
                                   "(leave guest_os out to take the base's)")
    vm.image = tuple(part.name for part in parts)
    vm.guest_os = base.guest_os
    if "vcpus" not in entry.given:
        vm.vcpus = base.vcpus
    if "memory_gb" not in entry.given:
        vm.memory_gb = base.memory_gb + sum(layer.memory_gb for layer in layers)
    if "disk_gb" not in entry.given:
        vm.disk_gb = sum(part.size_gb for part in parts)


def _resolve(cluster: Cluster, spec: str) -> list[Image]:
    """`base+layer+...` -> its parts, read exactly as `deploy` reads them."""
    try:
        return resolve(cluster.images, spec)
    except ImageError as error:
        raise Problem("", str(error)) from None


def _assign_trace(vm: Vm, cluster: Cluster, auto: Iterator[str]) -> None:
    """A trace-driven VM's trace must be loaded; "auto" takes the next one round-robin."""
    workload = vm.workload
    if workload.profile != "trace":
        return
    if not cluster.traces:
        raise Problem(".workload.trace", "no traces are loaded (set traces = \"folder\" "
                                         "in [workloads])")
    if workload.trace == AUTO_TRACE:
        workload.trace = next(auto)
    elif workload.trace not in cluster.traces:
        raise Problem(".workload.trace", f"unknown trace {show(workload.trace)} "
                                         f"(traces: {listing(sorted(cluster.traces), 4)})")


def _check_rule(rule: Rule, vms: dict[str, Vm], cluster: Cluster) -> None:
    for k, name in enumerate(rule.vms):
        key = f".vms[{k}]"
        if name not in vms:
            raise Problem(key, f"unknown VM {show(name)}")
        if name in rule.vms[:k]:
            raise Problem(key, f"{show(name)} is listed twice")
    for k, host in enumerate(rule.hosts):
        key = f".hosts[{k}]"
        if host not in cluster.nodes:
            raise Problem(key, f"unknown node {show(host)} "
                               f"(nodes: {listing(list(cluster.nodes))})")
        if host in rule.hosts[:k]:
            raise Problem(key, f"{show(host)} is listed twice")
    if rule.strength == "must":
        _check_pinned(rule, vms)


def _check_pinned(rule: Rule, vms: dict[str, Vm]) -> None:
    """A VM given a host in the file must not sit where a `must` rule forbids it."""
    seen: dict[str, str] = {}  # host -> the rule's first VM on it
    for k, name in enumerate(rule.vms):
        host = vms[name].host
        if host is None:
            continue
        key = f".vms[{k}]"
        if rule.kind == "vm-host" and host not in rule.hosts:
            raise Problem(key, f"{name} is on host {host}, which this rule forbids: it must "
                               f"run on {', '.join(rule.hosts)}")
        if rule.kind == "vm-not-host" and host in rule.hosts:
            raise Problem(key, f"{name} is on host {host}, which this rule forbids")
        if rule.kind == "anti-affinity" and host in seen:
            raise Problem(key, f"{name} is on host {host} with {seen[host]}, which this rule "
                               "forbids")
        seen.setdefault(host, name)


# -- building -----------------------------------------------------------------------------------


def _build(draft: _Draft) -> Cluster:
    """Resolve names, check the cluster can run as written, and register everything."""
    cluster = Cluster(name=draft.name, settings=draft.settings, description=draft.description)
    for _, node in draft.nodes:
        cluster.add_node(node)
    _register_images(draft, cluster)
    _hold_images(draft, cluster)
    cluster.traces = draft.traces
    vms = {entry.vm.name: entry.vm for entry in draft.vms}
    auto = itertools.cycle(sorted(cluster.traces))
    hosts = _HostIndex(cluster)
    for entry in draft.vms:
        with at(entry.path):
            _apply_image(entry, cluster)
            _check_vm(entry.vm, vms, cluster, hosts)
            _assign_trace(entry.vm, cluster, auto)
    for path, service, active in draft.services:
        with at(path):
            _check_service(service, active, vms)
    for path, rule in draft.rules:
        with at(path):
            _check_rule(rule, vms, cluster)
    unplaced = [(entry.path, entry.vm) for entry in draft.vms if entry.vm.host is None]
    for entry in draft.vms:
        if entry.vm.host is not None:
            with at(entry.path):
                _add_on_host(cluster, entry.vm)
    for _, service, active in draft.services:
        _set_roles(service, active, vms)
        cluster.add_service(service)
    # Every rule must be known before the first placement: queue all host-less VMs (their disk
    # format still open, so any hypervisor that runs the guest will do), add the rules, place.
    for _, vm in unplaced:
        cluster.add_vm(vm, None)
    for _, rule in draft.rules:
        cluster.add_rule(rule)
    for path, vm in unplaced:
        with at(path):
            _place(cluster, vm)
    return cluster


def _add_on_host(cluster: Cluster, vm: Vm) -> None:
    """Register a VM on its configured host, refusing to overload the host."""
    node = cluster.nodes[vm.host]  # type: ignore[index]
    cluster.add_vm(vm, node.hypervisor)
    vcpus, memory = cluster.vcpu_capacity(node), cluster.memory_capacity(node)
    if node.used_vcpus > vcpus or node.used_memory_gb > memory + 1e-9:
        raise Problem(".host", f"host {node.name} is over capacity at load: its running VMs need "
                               f"{node.used_vcpus} vCPUs / {node.used_memory_gb:g} GB, it has "
                               f"{vcpus:g} vCPUs / {memory:g} GB")


def _place(cluster: Cluster, vm: Vm) -> None:
    """Put a host-less VM on the best allowed host; its disk format is that host's."""
    host = placement.best_host(cluster, vm)
    if host is None:
        raise Problem("", f"no host can take {vm.name}: {placement.why_not(cluster, vm)}")
    cluster.vm_hypervisor[vm.name] = host.hypervisor
    cluster.set_host(vm, host.name)


def _set_roles(service: Service, active: str | None, vms: dict[str, Vm]) -> None:
    """Active member as configured (or chosen), the other running members passive."""
    running = [m for m in service.members if vms[m].state is VmState.RUNNING]
    if active is None:
        owners = [m for m in service.preferred_owners if m in running]
        active = (owners or running or [None])[0]
    service.roles = {m: Role.ACTIVE if m == active else Role.PASSIVE if m in running
                     else Role.OFFLINE for m in service.members}
    service.state = ServiceState.ONLINE if active is not None else ServiceState.OFFLINE
