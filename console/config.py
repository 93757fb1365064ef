"""Cluster files: TOML in, a checked `model.Cluster` out, or one line naming file, line and key.

A cluster file is the only way a cluster enters the console, so it is checked the way a compiler
checks code: unknown keys are errors (a typo must not quietly fall back to a default), every value
is range-checked, every name the file refers to must exist, and the cluster must be runnable as
written. The first problem in file order is raised as a `ConfigError` whose `str()` is one line:

    seed.toml:23: nodes[2].memory_gb: must be a positive number, got -16

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
import json
import math
import re
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]

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


class ConfigError(Exception):
    """What is wrong with a cluster file, as one line: `file:line: key: message`."""

    def __init__(self, file: str, line: int | None, key: str, message: str) -> None:
        super().__init__(file, line, key, message)
        self.file = file
        self.line = line
        self.key = key
        self.message = message

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        return f"{where}: {self.key}: {self.message}" if self.key else f"{where}: {self.message}"


class _Problem(Exception):
    """A problem at a key path relative to the code that raised it.

    Checks deep down do not know where their value sits in the file; each level that does wraps
    them in `_at(...)`, which prefixes the path, so only `parse_cluster` needs the file's text.
    """

    def __init__(self, key: str, message: str) -> None:
        super().__init__(key, message)
        self.key = key
        self.message = message


@contextmanager
def _at(prefix: str) -> Iterator[None]:
    """Prefix the key path of any problem raised inside with `prefix`."""
    try:
        yield
    except _Problem as problem:
        raise _Problem(prefix + problem.key, problem.message) from None


# -- public API ---------------------------------------------------------------------------------


def load_cluster(path: str | Path) -> Cluster:
    """Read and check a cluster file; errors name the file as the caller spelt it."""
    filename = str(path)
    try:
        data = Path(path).read_bytes()
    except OSError as error:
        raise ConfigError(filename, None, "", f"cannot read: {error.strerror or error}") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise ConfigError(filename, line, "", "not UTF-8 text") from None
    return parse_cluster(text, filename)


def parse_cluster(text: str, filename: str, base: str | Path | None = None) -> Cluster:
    """Check a cluster file's text and build its cluster; the first problem is a ConfigError.

    Folders the file names (`[workloads] traces`) are relative to `base`, by default the folder
    of `filename`.
    """
    document = _toml(text, filename)
    folder = Path(filename).parent if base is None else Path(base)
    try:
        return _build(_read_document(document, folder))
    except _Problem as problem:
        line = locate(text, problem.key)
        raise ConfigError(filename, line, problem.key, problem.message) from None


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


# -- TOML and line numbers ----------------------------------------------------------------------

_PARSER_POSITION = re.compile(r"\s*\((?:at line (\d+), column (\d+)|at end of document)\)$")


def _toml(text: str, filename: str) -> dict[str, Any]:
    """Parse TOML, turning a syntax error into a ConfigError on the parser's line."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        message, line = str(error), None
        found = _PARSER_POSITION.search(message)
        if found:
            message = message[: found.start()]
            if found[1]:
                line, message = int(found[1]), f"{message} (column {found[2]})"
            else:
                line, message = max(1, len(text.splitlines())), f"{message} (at end of file)"
        raise ConfigError(filename, line, "", f"invalid TOML: {message}") from None


_HEADER = re.compile(r"\s*(\[\[?)\s*([A-Za-z0-9_.\-\"' ]+?)\s*\]\]?\s*(#.*)?$")
_PATH_PART = re.compile(r"([^.\[\]]+)(?:\[(\d+)\])?")


def locate(text: str, key: str) -> int | None:
    """The 1-based line that sets `key` (e.g. "nodes[2].memory_gb"), else its table's header.

    tomllib keeps no positions, so this re-reads the source: the i-th `[[nodes]]` header (or the
    `[ha]` header), then the `key =` line in that table's body, descending into sub-tables such
    as `[vms.workload]`. Keys inside inline tables and arrays resolve to the line of the outer key.
    """
    parts = _PATH_PART.findall(key)
    if not parts:
        return None
    lines = text.splitlines()
    top, index = parts[0]
    at = _find_header(lines, top, int(index) if index else None)
    if at is None:
        found = _find_key(lines, 0, top)  # a key above the first header, such as `nodes = [...]`
        return None if found is None else found + 1
    table = top
    for name, _ in parts[1:]:
        found = _find_key(lines, at + 1, name)
        if found is not None:
            return found + 1
        table = f"{table}.{name}"
        sub = _find_subtable(lines, at + 1, table, top)
        if sub is None:
            break
        at = sub
    return at + 1


def _header(line: str) -> tuple[bool, str] | None:
    """(is an array-of-tables header, dotted table name) when `line` opens a table."""
    match = _HEADER.match(line)
    if match is None:
        return None
    return match[1] == "[[", re.sub(r"[\s\"']", "", match[2])


def _find_header(lines: list[str], table: str, nth: int | None) -> int | None:
    """Index of the `[table]` header, or of the nth `[[table]]` one."""
    seen = 0
    for i, line in enumerate(lines):
        head = _header(line)
        if head is None or head[1] != table:
            continue
        if nth is None:
            return i
        if head[0]:
            if seen == nth:
                return i
            seen += 1
    return None


def _find_key(lines: list[str], start: int, key: str) -> int | None:
    """Index of the `key = ...` line in the table body that begins at `start`."""
    pattern = re.compile(rf"\s*([\"']?){re.escape(key)}\1\s*=")
    for i in range(start, len(lines)):
        if _header(lines[i]):
            return None
        if pattern.match(lines[i]):
            return i
    return None


def _find_subtable(lines: list[str], start: int, table: str, top: str) -> int | None:
    """Index of the `[table]` header among those still inside the current `top` entry."""
    for i in range(start, len(lines)):
        head = _header(lines[i])
        if head is None:
            continue
        if head[1] == table:
            return i
        if not head[1].startswith(f"{top}."):
            return None
    return None


# -- value checks: each returns the value as the model wants it, or raises _Problem -------------

_Check = Callable[[Any], Any]

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")


def _show(value: Any) -> str:
    """A value spelt as in TOML, for the "got ..." of a message."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    return str(value)


def _bare(key: str) -> str:
    """A key as a key path spells it: quoted when TOML would need quotes (keeps errors one line)."""
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else json.dumps(key)


def _number(value: Any, rule: str, ok: Callable[[float], bool]) -> float:
    """A finite int or float (not a bool, which Python counts as an int) that satisfies `ok`."""
    if (isinstance(value, bool) or not isinstance(value, (int, float))
            or not math.isfinite(value) or not ok(value)):
        raise _Problem("", f"must be {rule}, got {_show(value)}")
    return float(value)


def _positive(value: Any) -> float:
    return _number(value, "a positive number", lambda v: v > 0)


def _non_negative(value: Any) -> float:
    return _number(value, "a number >= 0", lambda v: v >= 0)


def _fraction(value: Any) -> float:
    return _number(value, "a number from 0 to 1", lambda v: 0 <= v <= 1)


def _share(value: Any) -> float:
    return _number(value, "a number above 0 and at most 1", lambda v: 0 < v <= 1)


def _integer(minimum: int, maximum: int | None = None) -> _Check:
    rule = f"an integer >= {minimum}"
    if maximum is not None:
        rule = f"an integer from {minimum} to {maximum}"

    def check(value: Any) -> int:
        if (isinstance(value, bool) or not isinstance(value, int) or value < minimum
                or (maximum is not None and value > maximum)):
            raise _Problem("", f"must be {rule}, got {_show(value)}")
        return value

    return check


def _boolean(value: Any) -> bool:
    if not isinstance(value, bool):
        raise _Problem("", f"must be true or false, got {_show(value)}")
    return value


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise _Problem("", f"must be a string, got {_show(value)}")
    return value


def _name(value: Any) -> str:
    if not isinstance(value, str) or not _NAME.fullmatch(value):
        raise _Problem("", "must be a name (a letter or digit, then letters, digits, '_', '.' "
                           f"or '-'), got {_show(value)}")
    return value


def _choice(options: tuple[str, ...], convert: Callable[[str], Any] = str) -> _Check:
    def check(value: Any) -> Any:
        if not isinstance(value, str) or value not in options:
            raise _Problem("", f"must be one of {', '.join(options)}; got {_show(value)}")
        return convert(value)

    return check


def _list_of(item: _Check, *, non_empty: bool) -> _Check:
    rule = "a non-empty array" if non_empty else "an array"

    def check(value: Any) -> tuple[Any, ...]:
        if not isinstance(value, list) or (non_empty and not value):
            raise _Problem("", f"must be {rule}, got {_show(value)}")
        items = []
        for i, element in enumerate(value):
            with _at(f"[{i}]"):
                items.append(item(element))
        return tuple(items)

    return check


@dataclass(frozen=True)
class _Key:
    check: _Check
    required: bool = False


def _read(raw: Any, keys: dict[str, _Key]) -> dict[str, Any]:
    """Check one table in file order: unknown keys and bad values, then missing required keys."""
    if not isinstance(raw, dict):
        raise _Problem("", f"must be a table, got {_show(raw)}")
    values = {}
    for key, value in raw.items():
        if key not in keys:
            raise _Problem(f".{_bare(key)}", f"unknown key (known: {', '.join(keys)})")
        with _at(f".{key}"):
            values[key] = keys[key].check(value)
    missing = [key for key, spec in keys.items() if spec.required and key not in raw]
    if missing:
        raise _Problem(f".{missing[0]}", "required key is missing")
    return values


def _workload(value: Any) -> Workload:
    values = _read(value, _WORKLOAD_KEYS)
    if values.get("profile") == "trace" and not values.get("trace"):
        raise _Problem(".trace", 'required when profile is "trace"')
    if "trace" in values and values.get("profile") != "trace":
        raise _Problem(".trace", 'only used with profile = "trace"')
    return Workload(**values)


_CLUSTER_KEYS = {"name": _Key(_name, required=True), "description": _Key(_text)}

_HEARTBEAT_KEYS = {
    "interval_s": _Key(_positive),
    "suspect_after_missed": _Key(_integer(1)),
    "failed_after_missed": _Key(_integer(1)),
    "datastore_heartbeat": _Key(_boolean),
}

_QUORUM_KEYS = {
    "witness": _Key(_boolean),
    "isolation_response": _Key(_choice(ISOLATION_RESPONSES)),
    "shutdown_s": _Key(_positive),
}

_HA_KEYS = {
    "enabled": _Key(_boolean),
    "host_failures_to_tolerate": _Key(_integer(0)),
    "admission_control": _Key(_boolean),
    "fence_s": _Key(_non_negative),
    "cpu_overcommit": _Key(_positive),
    "memory_overcommit": _Key(_positive),
}

_MIGRATION_KEYS = {
    "downtime_target_ms": _Key(_positive),
    "max_rounds": _Key(_integer(1)),
    "auto_converge": _Key(_boolean),
    "link_efficiency": _Key(_share),
    "limit_1g": _Key(_integer(1)),
    "limit_10g": _Key(_integer(1)),
}

_BALANCER_KEYS = {
    "automation": _Key(_choice(AUTOMATION_LEVELS)),
    "threshold": _Key(_integer(1, 5)),
    "interval_s": _Key(_non_negative),
    "holddown_s": _Key(_non_negative),
    "max_moves": _Key(_integer(1)),
}

_WORKLOADS_KEYS = {"traces": _Key(_text, required=True)}

_IMAGE_KEYS = {
    "name": _Key(_name, required=True),
    "label": _Key(_text),
    "size_gb": _Key(_positive, required=True),
    "version": _Key(_integer(1)),
    "guest_os": _Key(_choice(tuple(GUEST_OSES)), required=True),
    "vcpus": _Key(_integer(1)),
    "memory_gb": _Key(_positive),
}

_LAYER_KEYS = {
    "name": _Key(_name, required=True),
    "label": _Key(_text),
    "size_gb": _Key(_positive, required=True),
    "memory_gb": _Key(_non_negative),
    "bases": _Key(_list_of(_text, non_empty=False)),
}

_NODE_KEYS = {
    "name": _Key(_name, required=True),
    "hypervisor": _Key(_choice(tuple(HYPERVISORS)), required=True),
    "cpus": _Key(_integer(1)),
    "cores_per_cpu": _Key(_integer(1)),
    "mhz": _Key(_integer(1)),
    "memory_gb": _Key(_positive),
    "disks_gb": _Key(_list_of(_positive, non_empty=True)),
    "nics_gbps": _Key(_list_of(_positive, non_empty=True)),
    "disk_mbps": _Key(_positive),
    "boot_s": _Key(_non_negative),
    "count": _Key(_integer(1, MAX_COUNT)),
    "images": _Key(_list_of(_text, non_empty=False)),
}

_WORKLOAD_KEYS = {
    "cpu": _Key(_fraction),
    "memory": _Key(_fraction),
    "disk_mbps": _Key(_non_negative),
    "dirty_mbps": _Key(_non_negative),
    "profile": _Key(_choice(WORKLOAD_PROFILES)),
    "trace": _Key(_text),
}

_VM_KEYS = {
    "name": _Key(_name, required=True),
    "host": _Key(_text),
    "guest_os": _Key(_choice(tuple(GUEST_OSES))),  # required without an image
    "image": _Key(_text),
    "vcpus": _Key(_integer(1)),
    "memory_gb": _Key(_positive),
    "disk_gb": _Key(_positive),
    "priority": _Key(_choice(tuple(p.value for p in Priority), Priority)),
    "anti_affinity": _Key(_list_of(_text, non_empty=False)),
    "boot_s": _Key(_non_negative),
    "state": _Key(_choice((VmState.RUNNING.value, VmState.STOPPED.value), VmState)),
    "count": _Key(_integer(1, MAX_COUNT)),
    "workload": _Key(_workload),
}

_SERVICE_KEYS = {
    "name": _Key(_name, required=True),
    "kind": _Key(_choice(SERVICE_KINDS), required=True),
    "members": _Key(_list_of(_text, non_empty=False), required=True),
    "active": _Key(_text),
    "preferred_owners": _Key(_list_of(_text, non_empty=False)),
    "failback": _Key(_choice(FAILBACK_POLICIES)),
    "failback_delay_s": _Key(_non_negative),
    "max_failovers": _Key(_integer(1)),
    "failover_period_s": _Key(_positive),
    "failover_s": _Key(_non_negative),
}

_RULE_KEYS = {
    "name": _Key(_name, required=True),
    "kind": _Key(_choice(RULE_KINDS), required=True),
    "strength": _Key(_choice(RULE_STRENGTHS), required=True),
    "vms": _Key(_list_of(_text, non_empty=False), required=True),
    "hosts": _Key(_list_of(_text, non_empty=False)),
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
    names: dict[str, str] = field(default_factory=dict)  # node and VM names -> declaring entry
    service_names: dict[str, str] = field(default_factory=dict)
    image_names: dict[str, str] = field(default_factory=dict)
    rule_names: dict[str, str] = field(default_factory=dict)


def _claim(owners: dict[str, str], name: str, path: str) -> None:
    """Reserve a name in a namespace; the second entry to use it is the one in error."""
    if name in owners:
        raise _Problem(".name", f"duplicate name {_show(name)} (already used by {owners[name]})")
    owners[name] = path


def _expand(name: str, count: int | None, width: int) -> list[str]:
    """An entry's names: itself, or `count` numbered copies (A01, A02 ... / web001 ...)."""
    if count is None:
        return [name]
    return [f"{name}{i:0{width}d}" for i in range(1, count + 1)]


def _entries(raw: Any, section: str) -> list[Any]:
    if not isinstance(raw, list):
        raise _Problem("", f"must be an array of tables ([[{section}]]), got {_show(raw)}")
    return raw


def _cluster_section(raw: Any, draft: _Draft) -> None:
    values = _read(raw, _CLUSTER_KEYS)
    draft.name = values["name"]
    draft.description = values.get("description", "")


def _heartbeat_section(raw: Any, draft: _Draft) -> None:
    values = _read(raw, _HEARTBEAT_KEYS)
    beat = HeartbeatSettings(**values)
    if beat.failed_after_missed <= beat.suspect_after_missed:
        key = "failed_after_missed" if "failed_after_missed" in values else "suspect_after_missed"
        failed, suspect = beat.failed_after_missed, beat.suspect_after_missed
        raise _Problem(f".{key}", f"failed_after_missed ({failed}) must be greater than "
                                  f"suspect_after_missed ({suspect})")
    draft.settings.heartbeat = beat


def _quorum_section(raw: Any, draft: _Draft) -> None:
    draft.settings.quorum = QuorumSettings(**_read(raw, _QUORUM_KEYS))


def _ha_section(raw: Any, draft: _Draft) -> None:
    draft.settings.ha = HaSettings(**_read(raw, _HA_KEYS))


def _migration_section(raw: Any, draft: _Draft) -> None:
    draft.settings.migration = MigrationSettings(**_read(raw, _MIGRATION_KEYS))


def _balancer_section(raw: Any, draft: _Draft) -> None:
    draft.settings.balancer = BalancerSettings(**_read(raw, _BALANCER_KEYS))


def _workloads_section(raw: Any, draft: _Draft) -> None:
    values = _read(raw, _WORKLOADS_KEYS)
    with _at(".traces"):
        draft.traces = _load_traces(draft.base / values["traces"])


def _load_traces(folder: Path) -> dict[str, tuple[float, ...]]:
    """Every trace file in `folder`, by file name, in name order; the first bad line is an error
    that names the trace file and line."""
    if not folder.exists():
        raise _Problem("", f"no such folder: {folder}")
    if not folder.is_dir():
        raise _Problem("", f"not a folder: {folder}")
    traces = {}
    for path in sorted(folder.iterdir(), key=lambda p: p.name):
        if not path.is_file() or path.name.startswith(".") or path.stem.upper() == "README":
            continue
        try:
            traces[path.name] = read_trace(path)
        except TraceError as error:  # "<file name>:<line>: ..." -> "<folder>/<file name>:..."
            message = str(error)
            rest = message[len(path.name):] if message.startswith(path.name) else f": {message}"
            raise _Problem("", f"{path}{rest}") from None
        except UnicodeDecodeError:
            raise _Problem("", f"{path}: not UTF-8 text") from None
        except OSError as error:
            raise _Problem("", f"{path}: cannot read: {error.strerror or error}") from None
    if not traces:
        raise _Problem("", f"no trace files in {folder}")
    return traces


def _images_section(raw: Any, draft: _Draft) -> None:
    for i, entry in enumerate(_entries(raw, "images")):
        path = f"images[{i}]"
        with _at(f"[{i}]"):
            values = _read(entry, _IMAGE_KEYS)
            _claim(draft.image_names, values["name"], path)
            draft.images.append((path, Image(kind="base", **values)))


def _layers_section(raw: Any, draft: _Draft) -> None:
    for i, entry in enumerate(_entries(raw, "layers")):
        path = f"layers[{i}]"
        with _at(f"[{i}]"):
            values = _read(entry, _LAYER_KEYS)
            _claim(draft.image_names, values["name"], path)
            values.setdefault("memory_gb", 0.0)  # a layer adds nothing unless it says so
            draft.images.append((path, Image(kind="layer", **values)))


def _nodes_section(raw: Any, draft: _Draft) -> None:
    for i, entry in enumerate(_entries(raw, "nodes")):
        path = f"nodes[{i}]"
        with _at(f"[{i}]"):
            values = _read(entry, _NODE_KEYS)
            held = values.pop("images", ())
            for name in _expand(values.pop("name"), values.pop("count", None), width=2):
                _claim(draft.names, name, path)
                draft.nodes.append((path, Node(name=name, **values)))
                draft.held[name] = held


def _vms_section(raw: Any, draft: _Draft) -> None:
    for i, entry in enumerate(_entries(raw, "vms")):
        path = f"vms[{i}]"
        with _at(f"[{i}]"):
            values = _read(entry, _VM_KEYS)
            image = values.pop("image", None)
            if image is None and "guest_os" not in values:
                raise _Problem(".guest_os", "required key is missing (a VM without an image "
                                            "needs one)")
            count = values.pop("count", None)
            if count is not None and "anti_affinity" in values:
                raise _Problem(".anti_affinity", "not allowed together with count")
            workload = values.pop("workload", Workload())
            host = values.pop("host", None)
            given = frozenset(values)
            for name in _expand(values.pop("name"), count, width=3):
                _claim(draft.names, name, path)
                vm = Vm(name=name, host=host, workload=replace(workload), **values)
                draft.vms.append(_VmEntry(path, vm, given, image))


def _services_section(raw: Any, draft: _Draft) -> None:
    for i, entry in enumerate(_entries(raw, "services")):
        path = f"services[{i}]"
        with _at(f"[{i}]"):
            values = _read(entry, _SERVICE_KEYS)
            _claim(draft.service_names, values["name"], path)
            active = values.pop("active", None)
            draft.services.append((path, Service(**values), active))


def _rules_section(raw: Any, draft: _Draft) -> None:
    for i, entry in enumerate(_entries(raw, "rules")):
        path = f"rules[{i}]"
        with _at(f"[{i}]"):
            values = _read(entry, _RULE_KEYS)
            _claim(draft.rule_names, values["name"], path)
            rule = Rule(**values)
            _check_rule_shape(rule, has_hosts="hosts" in values)
            draft.rules.append((path, rule))


def _check_rule_shape(rule: Rule, has_hosts: bool) -> None:
    """What a rule of its kind must say, before any name in it is looked up."""
    if rule.kind == "affinity" and rule.strength == "must":
        raise _Problem(".strength", 'VM-VM affinity is always "should": a "must" would forbid '
                                    "evacuating either VM alone")
    least = 1 if rule.kind in HOST_RULES else 2
    if len(rule.vms) < least:
        article = "an" if rule.kind[0] in "aeiou" else "a"
        wanted = "one VM" if least == 1 else "two VMs"
        raise _Problem(".vms", f"{article} {rule.kind} rule needs at least {wanted}, "
                               f"got {len(rule.vms)}")
    if rule.kind in HOST_RULES:
        if not has_hosts:
            raise _Problem(".hosts", f"required for a {rule.kind} rule")
        if not rule.hosts:
            raise _Problem(".hosts", f"a {rule.kind} rule needs at least one host, got 0")
    elif has_hosts:
        raise _Problem(".hosts", f"only for {' and '.join(HOST_RULES)} rules, not {rule.kind}")


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


def _read_document(document: dict[str, Any], base: Path) -> _Draft:
    """Read every section in file order, then insist on the ones a cluster cannot do without."""
    draft = _Draft(base=base)
    for section, raw in document.items():
        reader = _SECTIONS.get(section)
        if reader is None:
            raise _Problem(_bare(section), f"unknown section (known: {', '.join(_SECTIONS)})")
        with _at(section):
            reader(raw, draft)
    if "cluster" not in document:
        raise _Problem("cluster", "required section [cluster] is missing")
    if not draft.nodes:
        raise _Problem("nodes", "at least one [[nodes]] entry is required")
    return draft


# -- cross-checks: names, compatibility, size ---------------------------------------------------


def _kinds(cluster: Cluster) -> list[str]:
    """Hypervisor kinds present, in file order."""
    return list(dict.fromkeys(node.hypervisor for node in cluster.nodes.values()))


def _kinds_for(cluster: Cluster, vm: Vm) -> list[str]:
    """Hypervisor kinds present that run the VM's guest OS, in file order."""
    return [kind for kind in _kinds(cluster) if HYPERVISORS[kind].supports(vm.guest_os)]


def _listing(names: list[str], limit: int = 8) -> str:
    """Names for a message, cut short when there are many."""
    if len(names) <= limit:
        return ", ".join(names)
    return f"{', '.join(names[:limit])}, ... ({len(names)} in all)"


def _check_vm(vm: Vm, vms: dict[str, Vm], cluster: Cluster) -> None:
    if vm.host is not None and vm.host not in cluster.nodes:
        raise _Problem(".host", f"unknown node {_show(vm.host)} "
                                f"(nodes: {_listing(list(cluster.nodes))})")
    _check_anti_affinity(vm, vms)
    _check_guest(vm, cluster)
    _check_size(vm, cluster)


def _check_anti_affinity(vm: Vm, vms: dict[str, Vm]) -> None:
    for k, other in enumerate(vm.anti_affinity):
        key = f".anti_affinity[{k}]"
        if other == vm.name:
            raise _Problem(key, f"{vm.name} cannot be anti-affine with itself")
        if other not in vms:
            raise _Problem(key, f"unknown VM {_show(other)}")
        if vm.host is not None and vms[other].host == vm.host:
            raise _Problem(key, f"{vm.name} and {other} are anti-affine but both on host "
                                f"{vm.host}")


def _check_guest(vm: Vm, cluster: Cluster) -> None:
    """The guest OS must run somewhere in the cluster, and on the VM's own host if it has one."""
    if not _kinds_for(cluster, vm):
        raise _Problem(".guest_os", f"no node in the cluster runs {vm.guest_os} "
                                    f"(hypervisors here: {', '.join(_kinds(cluster))})")
    if vm.host is None:
        return
    kind = cluster.nodes[vm.host].hypervisor
    if not HYPERVISORS[kind].supports(vm.guest_os):
        runs = ", ".join(supported_guests(kind))
        raise _Problem(".guest_os", f"host {vm.host} runs {kind}, which does not run "
                                    f"{vm.guest_os} ({kind} runs {runs})")


def _check_size(vm: Vm, cluster: Cluster) -> None:
    """A VM bigger than every host that could run it can never start: say so now."""
    hosts = [n for n in cluster.nodes.values() if HYPERVISORS[n.hypervisor].supports(vm.guest_os)]
    most_vcpus = max(cluster.vcpu_capacity(n) for n in hosts)
    if vm.vcpus > most_vcpus:
        raise _Problem(".vcpus", f"{vm.name} needs {vm.vcpus} vCPUs, more than any host that runs "
                                 f"{vm.guest_os} can hold (at most {most_vcpus:g})")
    most_memory = max(cluster.memory_capacity(n) for n in hosts)
    if vm.memory_gb > most_memory + 1e-9:
        raise _Problem(".memory_gb", f"{vm.name} needs {vm.memory_gb:g} GB, more than any "
                                     f"host that runs {vm.guest_os} can hold "
                                     f"(at most {most_memory:g} GB)")


def _check_service(service: Service, active: str | None, vms: dict[str, Vm]) -> None:
    _check_members(service, vms)
    for k, owner in enumerate(service.preferred_owners):
        with _at(f".preferred_owners[{k}]"):
            _check_member(service, owner, vms)
    if active is not None:
        with _at(".active"):
            _check_member(service, active, vms)
            if vms[active].state is not VmState.RUNNING:
                raise _Problem("", f"{active} is {vms[active].state.value}; "
                                   "the active member must be running")


def _check_members(service: Service, vms: dict[str, Vm]) -> None:
    """Two or more distinct VMs, on different hosts (members are implicitly anti-affine)."""
    if len(service.members) < 2:
        raise _Problem(".members", f"a service needs at least two members, "
                                   f"got {len(service.members)}")
    hosts: dict[str, str] = {}
    for k, member in enumerate(service.members):
        key = f".members[{k}]"
        if member not in vms:
            raise _Problem(key, f"unknown VM {_show(member)}")
        if member in service.members[:k]:
            raise _Problem(key, f"{_show(member)} is listed twice")
        host = vms[member].host
        if host is not None and host in hosts:
            raise _Problem(key, f"{member} is on host {host} with {hosts[host]}; members of a "
                                "service must be on different hosts")
        if host is not None:
            hosts[host] = member


def _check_member(service: Service, name: str, vms: dict[str, Vm]) -> None:
    if name not in vms:
        raise _Problem("", f"unknown VM {_show(name)}")
    if name not in service.members:
        raise _Problem("", f"{name} is not a member of service {service.name} "
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
                known = f"base images: {_listing(bases)}" if bases else "no [[images]] are defined"
                raise _Problem(key, f"unknown base image {_show(base)} ({known})")
            if cluster.images[base].kind != "base":
                raise _Problem(key, f"{base} is a layer, not a base image")
            if base in image.bases[:k]:
                raise _Problem(key, f"{_show(base)} is listed twice")


def _hold_images(draft: _Draft, cluster: Cluster) -> None:
    """The parts each host holds already, at their current version."""
    for path, node in draft.nodes:
        held = draft.held[node.name]
        for k, part in enumerate(held):
            key = f"{path}.images[{k}]"
            if part not in cluster.images:
                raise _Problem(key, f"unknown image or layer {_show(part)} ({_known(cluster)})")
            if part in held[:k]:
                raise _Problem(key, f"{_show(part)} is listed twice")
            node.images[part] = cluster.images[part].version


def _known(cluster: Cluster) -> str:
    if not cluster.images:
        return "no [[images]] or [[layers]] are defined"
    return f"known: {_listing(list(cluster.images))}"


def _apply_image(entry: _VmEntry, cluster: Cluster) -> None:
    """A VM built from an image runs the base's guest OS and is sized from its parts."""
    if entry.image is None:
        return
    vm = entry.vm
    with _at(".image"):
        parts = _resolve(cluster, entry.image)
    base, layers = parts[0], parts[1:]
    if "guest_os" in entry.given and vm.guest_os != base.guest_os:
        raise _Problem(".guest_os", f"image {base.name} runs {base.guest_os}, not {vm.guest_os} "
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
        raise _Problem("", str(error)) from None


def _assign_trace(vm: Vm, cluster: Cluster, auto: Iterator[str]) -> None:
    """A trace-driven VM's trace must be loaded; "auto" takes the next one round-robin."""
    workload = vm.workload
    if workload.profile != "trace":
        return
    if not cluster.traces:
        raise _Problem(".workload.trace", "no traces are loaded (set traces = \"folder\" "
                                          "in [workloads])")
    if workload.trace == AUTO_TRACE:
        workload.trace = next(auto)
    elif workload.trace not in cluster.traces:
        raise _Problem(".workload.trace", f"unknown trace {_show(workload.trace)} "
                                          f"(traces: {_listing(sorted(cluster.traces), 4)})")


def _check_rule(rule: Rule, vms: dict[str, Vm], cluster: Cluster) -> None:
    for k, name in enumerate(rule.vms):
        key = f".vms[{k}]"
        if name not in vms:
            raise _Problem(key, f"unknown VM {_show(name)}")
        if name in rule.vms[:k]:
            raise _Problem(key, f"{_show(name)} is listed twice")
    for k, host in enumerate(rule.hosts):
        key = f".hosts[{k}]"
        if host not in cluster.nodes:
            raise _Problem(key, f"unknown node {_show(host)} "
                                f"(nodes: {_listing(list(cluster.nodes))})")
        if host in rule.hosts[:k]:
            raise _Problem(key, f"{_show(host)} is listed twice")
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
            raise _Problem(key, f"{name} is on host {host}, which this rule forbids: it must "
                                f"run on {', '.join(rule.hosts)}")
        if rule.kind == "vm-not-host" and host in rule.hosts:
            raise _Problem(key, f"{name} is on host {host}, which this rule forbids")
        if rule.kind == "anti-affinity" and host in seen:
            raise _Problem(key, f"{name} is on host {host} with {seen[host]}, which this rule "
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
    for entry in draft.vms:
        with _at(entry.path):
            _apply_image(entry, cluster)
            _check_vm(entry.vm, vms, cluster)
            _assign_trace(entry.vm, cluster, auto)
    for path, service, active in draft.services:
        with _at(path):
            _check_service(service, active, vms)
    for path, rule in draft.rules:
        with _at(path):
            _check_rule(rule, vms, cluster)
    unplaced = [(entry.path, entry.vm) for entry in draft.vms if entry.vm.host is None]
    for entry in draft.vms:
        if entry.vm.host is not None:
            with _at(entry.path):
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
        with _at(path):
            _place(cluster, vm)
    return cluster


def _add_on_host(cluster: Cluster, vm: Vm) -> None:
    """Register a VM on its configured host, refusing to overload the host."""
    node = cluster.nodes[vm.host]  # type: ignore[index]
    cluster.add_vm(vm, node.hypervisor)
    vcpus, memory = cluster.vcpu_capacity(node), cluster.memory_capacity(node)
    if node.used_vcpus > vcpus or node.used_memory_gb > memory + 1e-9:
        raise _Problem(".host", f"host {node.name} is over capacity at load: its running VMs need "
                                f"{node.used_vcpus} vCPUs / {node.used_memory_gb:g} GB, it has "
                                f"{vcpus:g} vCPUs / {memory:g} GB")


def _place(cluster: Cluster, vm: Vm) -> None:
    """Put a host-less VM on the best allowed host; its disk format is that host's."""
    host = placement.best_host(cluster, vm)
    if host is None:
        raise _Problem("", f"no host can take {vm.name}: {placement.why_not(cluster, vm)}")
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
