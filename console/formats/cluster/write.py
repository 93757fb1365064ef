"""Writing a cluster file: `cluster_text(cluster)` is TOML that `parse_cluster` reads back into an
equal cluster (the schema is `console.formats.cluster.schema`).

What a cluster file says is a cluster's starting point, so that is what is written: its name and
description; each settings section's values where they differ from the HA profile's (and the
profile where it is not the hosts' family's); images and layers; every node with its hardware,
subnet, held images, and whether it starts powered off or in maintenance; every VM with its
host (none: placed at load), guest OS, image, size, and each other key where it differs from
the default (priority, starting state, HA state, workload, ...); services (their active member
and each policy key the profile does not supply); rules and HA groups. A run's passing state
(a failed host, a migrating VM, a service's failover count) is not a starting point and is not
written; a VM in a state a file cannot start it in is refused (`starting_state`).

Values: names and strings are TOML basic strings (control characters escaped), floats Python's
shortest exact representation, so every value reads back the same. The settings are written
field by field from their dataclasses (`console.model.settings`), so a new field needs no change
here. The order of everything is the cluster's, so the copy runs exactly as the original: its
event log is the same.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import fields
from enum import Enum
from typing import Any

from console.formats.cluster.schema import HOST_RULES, SECTIONS
from console.model.cluster import Cluster
from console.model.entities import (
    SERVICE_POLICY_FIELDS,
    HaGroup,
    HaState,
    Image,
    Node,
    Role,
    Rule,
    Service,
    Vm,
    VmState,
    Workload,
)
from console.model.names import printable
from console.model.profiles import default_profile, settings_for

#: The Node fields a `[[nodes]]` table always says (its hardware), in the order written.
NODE_FIELDS = ("hypervisor", "cpus", "cores_per_cpu", "mhz", "memory_gb", "disks_gb",
               "nics_gbps", "disk_mbps", "boot_s")

#: The VM states a cluster file can start a VM in (`[[vms]] state`), and the word for each. A new
#: starting state is one entry here (and one in the schema).
STARTING_STATES = {VmState.RUNNING: "running", VmState.PAUSED: "paused",
                   VmState.STOPPED: "stopped"}

_VM_DEFAULTS = Vm(name="", host=None)
_WORKLOAD_DEFAULTS = Workload()
_SERVICE_DEFAULTS = Service(name="", kind="", members=())
_GROUP_DEFAULTS = HaGroup(name="", nodes={})
_IMAGE_DEFAULTS = Image(name="", kind="base", size_gb=0.0)

#: TOML basic-string escapes for the characters that have a short one.
_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f",
            "\r": "\\r"}


def cluster_text(cluster: Cluster, *, header: str = "", traces_folder: str = "traces") -> str:
    """The cluster file of `cluster`, as text that `parse_cluster` reads back into an equal
    cluster (see the module docstring for what is written).

    `header` comes first as a comment block, each of its lines a `#` comment (unprintable
    characters escaped). A cluster driven by CPU traces names `traces_folder` in
    `[workloads] traces` (relative to where the file goes): the traces themselves are not
    written, so read the text back with `parse_cluster(..., traces=cluster.traces)` or beside
    that folder. Raises ValueError for a VM in a state a file cannot start it in (migrating,
    restarting, ...: `STARTING_STATES`) and for a value a file cannot hold (None).
    """
    blocks = [_comment(header)] if header else []
    blocks.append(_table("[cluster]", _cluster_pairs(cluster)))
    blocks += _settings_tables(cluster)
    if cluster.traces:
        blocks.append(_table("[workloads]", [("traces", traces_folder)]))
    blocks += [image_table(image) for image in cluster.images.values()]
    blocks += [node_table(node) for node in cluster.nodes.values()]
    blocks += [vm_table(vm) for vm in cluster.vms.values()]
    defaults = cluster.settings.service_defaults
    blocks += [_table("[[services]]", _service_pairs(service, defaults))
               for service in cluster.services.values()]
    blocks += [_table("[[rules]]", _rule_pairs(rule)) for rule in cluster.rules]
    blocks += [_table("[[groups]]", _group_pairs(group)) for group in cluster.groups.values()]
    return "\n".join(blocks)


def node_table(node: Node) -> str:
    """A `[[nodes]]` table that a cluster file parses back into the same host: its hardware
    always, its subnet and held images when it has them, `powered = false` and
    `maintenance = true` when it starts so (as `--local` embeds the machine it runs on)."""
    pairs: list[tuple[str, Any]] = [("name", node.name)]
    pairs += [(key, getattr(node, key)) for key in NODE_FIELDS]
    if node.subnet:
        pairs.append(("subnet", node.subnet))
    if node.images:
        pairs.append(("images", list(node.images)))
    if not node.powered:
        pairs.append(("powered", False))
    if node.maintenance:
        pairs.append(("maintenance", True))
    return _table("[[nodes]]", pairs)


def vm_table(vm: Vm) -> str:
    """A `[[vms]]` table that a cluster file parses back into the same VM: its name, host (when
    it has one), guest OS, image (when built from one) and size always, every other key where
    it differs from the default. Raises ValueError as `cluster_text`."""
    pairs: list[tuple[str, Any]] = [("name", vm.name)]
    if vm.host is not None:
        pairs.append(("host", vm.host))
    pairs.append(("guest_os", vm.guest_os))
    if vm.image:
        pairs.append(("image", "+".join(vm.image)))
    pairs += [("vcpus", vm.vcpus), ("memory_gb", vm.memory_gb), ("disk_gb", vm.disk_gb)]
    pairs += _differing(vm, _VM_DEFAULTS, ("priority", "isolation_response", "group",
                                           "anti_affinity", "boot_s"))
    pairs += _state_pairs(vm)
    workload = _differing(vm.workload, _WORKLOAD_DEFAULTS,
                          tuple(f.name for f in fields(Workload)))
    if workload:
        pairs.append(("workload", _InlineTable(workload)))
    return _table("[[vms]]", pairs)


def image_table(image: Image) -> str:
    """An `[[images]]` table for a base image, a `[[layers]]` table for a layer: name and size
    always, the other keys of its kind where they differ from the default."""
    name_and_size = [("name", image.name), ("size_gb", image.size_gb)]
    if image.kind == "base":
        return _table("[[images]]", [*name_and_size, ("guest_os", image.guest_os),
                                     *_differing(image, _IMAGE_DEFAULTS,
                                                 ("label", "version", "vcpus", "memory_gb"))])
    return _table("[[layers]]", [*name_and_size, *_differing(image, _IMAGE_DEFAULTS,
                                                             ("label", "memory_gb", "bases"))])


def starting_state(vm: Vm) -> str:
    """The `[[vms]] state` word of `vm`'s state (`STARTING_STATES`); raises ValueError for a
    state a cluster file cannot start a VM in."""
    word = STARTING_STATES.get(vm.state)
    if word is None:
        raise ValueError(f"VM {vm.name} is {vm.state.value}: a cluster file starts a VM "
                         f"{' or '.join(STARTING_STATES.values())}")
    return word


def toml_value(value: object) -> str:
    """`value` as a TOML value: booleans, integers and floats (shortest exact representation,
    `inf` and `nan` included), strings and enums as basic strings, sequences as arrays. Raises
    ValueError for a value TOML cannot hold (None)."""
    if isinstance(value, Enum):
        value = value.value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return basic_string(value)
    if isinstance(value, _InlineTable):
        return "{ " + ", ".join(f"{key} = {toml_value(v)}" for key, v in value.pairs) + " }"
    if isinstance(value, (tuple, list)):
        return "[" + ", ".join(map(toml_value, value)) + "]"
    raise ValueError(f"a cluster file cannot hold {value!r}")


def basic_string(text: str) -> str:
    """`text` as a TOML basic string: quotes, backslashes and control characters (which TOML
    does not allow as they are, DEL included) escaped."""
    return '"' + "".join(_ESCAPES.get(c) or (f"\\u{ord(c):04x}" if c < " " or c == "\x7f" else c)
                         for c in text) + '"'


# -- pieces ---------------------------------------------------------------------------------


class _InlineTable:
    """Key-value pairs written as one TOML inline table (a VM's workload)."""

    def __init__(self, pairs: list[tuple[str, Any]]) -> None:
        self.pairs = pairs


def _table(heading: str, pairs: Iterable[tuple[str, Any]]) -> str:
    """A table: its heading line, then a `key = value` line per pair."""
    return "\n".join([heading, *(f"{key} = {toml_value(value)}" for key, value in pairs)]) + "\n"


def _comment(header: str) -> str:
    """Each line of `header` as a TOML comment (a line already one kept as it is)."""
    lines = (printable(line) for line in header.splitlines())
    return "\n".join(line if line.startswith("#") else f"# {line}".rstrip()
                     for line in lines) + "\n"


def _differing(item: object, defaults: object, keys: tuple[str, ...]) -> list[tuple[str, Any]]:
    """The pairs of `item`'s `keys` whose values a file would write differently from those of
    `defaults` (so 1 and 1.0, a list and a tuple of the same values, are the same)."""
    return [(key, getattr(item, key)) for key in keys
            if _written(getattr(item, key)) != _written(getattr(defaults, key))]


def _written(value: object) -> str | None:
    """`value` as a file writes it; None (which no file holds) for None."""
    return None if value is None else toml_value(value)


def _cluster_pairs(cluster: Cluster) -> list[tuple[str, Any]]:
    """The `[cluster]` section's keys (a new key of that section is one more pair here)."""
    pairs: list[tuple[str, Any]] = [("name", cluster.name)]
    if cluster.description:
        pairs.append(("description", cluster.description))
    if cluster.observed:
        pairs.append(("truth", "observed"))
    return pairs


def _settings_tables(cluster: Cluster) -> list[str]:
    """A table per settings section (in schema order) with the fields whose values differ from
    the profile's, and `[ha] profile` where the hosts' family would pick another; sections
    with nothing to say are left out."""
    settings = cluster.settings
    profiles = settings_for(settings.profile)
    hosts_profile = default_profile(node.hypervisor for node in cluster.nodes.values())
    sections = {f.name for f in fields(settings)}
    tables = []
    for section in SECTIONS:
        if section not in sections:
            continue
        ours = getattr(settings, section)
        pairs = [("profile", settings.profile)] if (
            section == "ha" and settings.profile != hosts_profile) else []
        pairs += _differing(ours, getattr(profiles, section), tuple(f.name for f in fields(ours)))
        if pairs:
            tables.append(_table(f"[{section}]", pairs))
    return tables


def _state_pairs(vm: Vm) -> list[tuple[str, Any]]:
    """A VM's `state` (not written for a running VM with the HA state that goes with it) and
    `ha_state` (written when it is not the one that goes with the state)."""
    state = starting_state(vm)
    usual = HaState.STOPPED if vm.state is VmState.STOPPED else HaState.STARTED
    if vm.ha_state is not usual:
        return [("state", state), ("ha_state", vm.ha_state)]
    return [] if vm.state is VmState.RUNNING else [("state", state)]


def _service_pairs(service: Service, defaults: object) -> list[tuple[str, Any]]:
    """A `[[services]]` entry: name, kind, members, its active member (when one runs),
    preferred owners when it has any, and each policy key the profile's defaults do not give
    (failback with its window, written together: a window needs failback = "window")."""
    pairs: list[tuple[str, Any]] = [("name", service.name), ("kind", service.kind),
                                    ("members", service.members)]
    active = [m for m, role in service.roles.items() if role is Role.ACTIVE]
    if active:
        pairs.append(("active", active[0]))
    if service.preferred_owners:
        pairs.append(("preferred_owners", service.preferred_owners))
    policy = dict(_differing(service, defaults, SERVICE_POLICY_FIELDS))
    if "failback" in policy or "failback_window" in policy:
        policy["failback"] = service.failback
        policy.pop("failback_window", None)
        if service.failback == "window":
            policy["failback_window"] = service.failback_window
    pairs += policy.items()
    pairs += _differing(service, _SERVICE_DEFAULTS, ("failover_s",))
    return pairs


def _rule_pairs(rule: Rule) -> list[tuple[str, Any]]:
    """A `[[rules]]` entry; hosts for the kinds that name them."""
    pairs: list[tuple[str, Any]] = [("name", rule.name), ("kind", rule.kind),
                                    ("strength", rule.strength), ("vms", rule.vms)]
    if rule.kind in HOST_RULES:
        pairs.append(("hosts", rule.hosts))
    return pairs


def _group_pairs(group: HaGroup) -> list[tuple[str, Any]]:
    """A `[[groups]]` entry; its nodes as `"node:priority"` (`"node"` for priority 0), in
    order."""
    nodes = [f"{name}:{priority}" if priority else name for name, priority in group.nodes.items()]
    return [("name", group.name), ("nodes", nodes),
            *_differing(group, _GROUP_DEFAULTS, ("restricted", "nofailback"))]

