"""Where a VM may run, and which of those hosts is best.

One set of rules for every behaviour that places a VM (HA restart, power-on, deploy, migration,
maintenance, balancing), so that a VM HA would refuse to put somewhere is never put there by a
migration instead.
"""

from __future__ import annotations

from dataclasses import dataclass

from console.model import failover, host_order
from console.model.cluster import Cluster
from console.model.entities import CLOSED_STATES, CONSUMING_STATES, Node, NodeState, Rule, Vm
from console.model.hypervisors import HYPERVISORS


def usable(node: Node) -> bool:
    """Takes new VMs: online, heard by the cluster and on the side that holds quorum."""
    return node.state is NodeState.ONLINE and node.heard and not node.quorum_lost


def condition(node: Node) -> str:
    """What a refusal says of a host that is not `usable`: its state, and why an online one
    still takes nothing (`online, cut off from the quorum partition`, `online, not heard by the
    cluster`), so no refusal reads "D is online"."""
    state = node.state.value
    if node.state is not NodeState.ONLINE:
        return state
    if node.quorum_lost:
        return f"{state}, cut off from the quorum partition"
    if not node.heard:
        return f"{state}, not heard by the cluster"
    return state


def host_unavailable(cluster: Cluster, vm: Vm) -> str | None:
    """Why `vm`'s host cannot act on it now (`web01's host B is failed`), or None: a host that
    is not usable, unless it is only closed for maintenance."""
    host = cluster.nodes[vm.host] if vm.host else None
    if host is None or usable(host) or host.state in CLOSED_STATES:
        return None
    return f"{vm.name}'s host {host.name} is {condition(host)}"


def incompatibility(cluster: Cluster, vm: Vm, node: Node) -> str | None:
    """Why `node` cannot hold `vm` at all (its disk format, its guest OS), or None."""
    if compatible(cluster, vm, node):
        return None
    disks = cluster.vm_hypervisor.get(vm.name)
    if disks is not None and disks != node.hypervisor:
        return f"{vm.name}'s disks are {disks}; {node.name} runs {node.hypervisor}"
    return f"{node.name} ({node.hypervisor}) does not run {vm.guest_os}"


def compatible(cluster: Cluster, vm: Vm, node: Node) -> bool:
    """Same hypervisor as the VM's disks, and a guest OS that hypervisor runs. A VM not yet
    created (deploy, initial placement) has no disk format yet: any hypervisor running its guest
    OS will do."""
    return (cluster.vm_hypervisor.get(vm.name, node.hypervisor) == node.hypervisor
            and HYPERVISORS[node.hypervisor].supports(vm.guest_os))


def conflicts(cluster: Cluster, vm: Vm, node: Node) -> list[str]:
    """Anti-affine VMs that hold a place on `node` (running there or migrating to it)."""
    found = []
    for other_name in sorted(cluster.anti_affine.get(vm.name, ())):
        other = cluster.vms.get(other_name)
        if other is None or other.state not in CONSUMING_STATES:
            continue
        if node.name in (other.host, other.target):
            found.append(other_name)
    return found


def rule_refusal(cluster: Cluster, vm: Vm, node: Node, restart: bool = False) -> str | None:
    """A `must` VM-host rule that keeps `vm` off `node`, `node` being outside the VM's
    restricted HA group (Proxmox VE, "High Availability": Groups), or `node` being a dedicated
    failover host (which takes only HA restarts: `restart` True; vSphere "Dedicated Failover
    Hosts Admission Control"), as a reason."""
    for rule in cluster.rules_of(vm.name):
        if rule.strength != "must":
            continue
        if rule.kind == "affinity":
            together = _together(cluster, rule.vms, vm.name)
            if together and node.name not in together:
                host, other = min(together.items(), key=lambda kv: kv[1])
                return f"rule {rule.name}: {vm.name} must run with {other} on {host}"
            continue
        if rule.kind == "vm-host" and node.name not in rule.hosts:
            return f"rule {rule.name}: {vm.name} must run on {', '.join(rule.hosts)}"
        if rule.kind == "vm-not-host" and node.name in rule.hosts:
            return f"rule {rule.name}: {vm.name} must not run on {node.name}"
    group = cluster.groups.get(vm.group)
    if group is not None and group.restricted and node.name not in group.nodes:
        return (f"group {group.name} is restricted: {vm.name} may run only on "
                f"{', '.join(group.nodes)}")
    if not restart and failover.dedicated(cluster.settings.ha, node):
        return f"{node.name} is a dedicated failover host: it takes only HA restarts"
    return None


def _together(cluster: Cluster, names: tuple[str, ...], vm: str) -> dict[str, str]:
    """Host -> the first VM of a `must` affinity group (other than `vm`) that holds a place
    there, by name; hosts entering or in maintenance aside (their VMs are leaving, so the first
    to leave picks the host the rest follow)."""
    found: dict[str, str] = {}
    for name in sorted(names):
        other = cluster.vms.get(name)
        if name == vm or other is None or other.host is None or \
                other.state not in CONSUMING_STATES:
            continue
        host = other.target or other.host
        if cluster.nodes[host].state not in CLOSED_STATES:
            found.setdefault(host, name)
    return found


def group_rank(cluster: Cluster, vm: Vm, node: Node) -> int:
    """How far down `vm`'s HA group's priorities `node` is (`HaGroup.rank`): 0 for its
    highest-priority nodes and for every node of a VM without a group."""
    group = cluster.groups.get(vm.group)
    return 0 if group is None else group.rank(node.name)


def allowed(cluster: Cluster, vm: Vm, node: Node, restart: bool = False) -> bool:
    """May `vm` be placed on `node` now: usable, compatible, room, no anti-affinity clash, no
    `must` rule against it, not a dedicated failover host unless this is an HA `restart`?
    """
    return (usable(node) and compatible(cluster, vm, node) and cluster.fits(vm, node)
            and not conflicts(cluster, vm, node)
            and rule_refusal(cluster, vm, node, restart) is None)


def should_breaches(cluster: Cluster, vm: Vm, node: Node) -> list[str]:
    """The `should` rules that `vm` on `node` would break, by name. VM-VM rules look at the rule's
    other VMs that hold a place on a host (running, booting, migrating); a VM that is down
    counts nowhere."""
    broken = []
    for rule in cluster.rules_of(vm.name):
        if rule.strength != "should":
            continue
        if rule.kind in ("vm-host", "vm-not-host"):
            inside = node.name in rule.hosts
            if inside != (rule.kind == "vm-host"):
                broken.append(rule.name)
            continue
        others = set()
        for name in rule.vms:
            other = cluster.vms.get(name)
            if name != vm.name and other is not None and other.host is not None \
                    and other.state in CONSUMING_STATES:
                others.add(other.target or other.host)
        if (others - {node.name}) if rule.kind == "affinity" else node.name in others:
            broken.append(rule.name)
    return broken


def shape(cluster: Cluster, vm: Vm) -> tuple[object, ...] | None:
    """What `allowed` looks at in `vm`: size, guest OS and disk format, or None when the VM has
    constraints of its own (an HA group, anti-affinity, a `must` rule naming it). Within one
    pass in which hosts only fill up, a VM whose shape found no host leaves none for another of
    that shape: callers skip the search (a data centre of `count` VMs has a few shapes, many
    VMs)."""
    if vm.group or cluster.anti_affine.get(vm.name) or any(
            rule.strength == "must" for rule in cluster.rules_of(vm.name)):
        return None
    return vm.vcpus, vm.memory_gb, vm.guest_os, cluster.vm_hypervisor.get(vm.name)


def registration_host(cluster: Cluster, vm: Vm, exclude: tuple[str, ...] = (), *,
                      live_only: bool = True) -> Node | None:
    """The host a VM that is off should be registered on: compatible with its disks, allowed by
    its `must` rules, usable (or, when `live_only` is False, preferably usable), of the best
    priority class of its HA group, then the one with the most free memory; ties by name. An
    off VM needs no room and clashes with no one.

    Found as `best_host` finds its host: the hosts that may rank apart one by one, the others
    from the roomiest end of the host order (the same host `registration_host_by_scan`
    finds)."""
    marked, confined = _marked_hosts(cluster, vm, spare=False)
    best: Node | None = None
    best_key: tuple[bool, int, float, str] | None = None
    for name in marked:
        node = cluster.nodes[name]
        if name in exclude or not _registrable(cluster, vm, node, live_only):
            continue
        key = _registration_key(cluster, vm, node)
        if best_key is None or key < best_key:
            best, best_key = node, key
    if confined:
        return best
    order = host_order.caught_up(cluster)
    roomiest_usable: float | None = None  # -free GB of the roomiest usable candidate seen
    nodes = cluster.nodes
    for room in order.roomiest(kinds_for(cluster, vm)):
        node = nodes[room[2]]
        if room != host_order.room_key(cluster, node):  # charged behind the cluster's back
            cluster.host_order = None
            return registration_host(cluster, vm, exclude, live_only=live_only)
        if roomiest_usable is not None and room[0] != roomiest_usable:
            break  # past the roomiest usable candidate and its ties (decided by name)
        if node.name in marked or node.name in exclude or \
                not _registrable(cluster, vm, node, live_only):
            continue
        if roomiest_usable is None and usable(node):
            roomiest_usable = room[0]
        key = _registration_key(cluster, vm, node)
        if best_key is None or key < best_key:
            best, best_key = node, key
    return best


def _registrable(cluster: Cluster, vm: Vm, node: Node, live_only: bool) -> bool:
    """May off `vm` be registered on `node`: compatible, no `must` rule against it, and usable
    when `live_only`."""
    return (compatible(cluster, vm, node) and rule_refusal(cluster, vm, node) is None
            and (usable(node) or not live_only))


def registration_host_by_scan(cluster: Cluster, vm: Vm, exclude: tuple[str, ...] = (), *,
                              live_only: bool = True) -> Node | None:
    """`registration_host` worked out by weighing every host: the plain statement of its
    answer, kept for the tests that compare the two."""
    candidates = [n for n in cluster.nodes.values() if n.name not in exclude
                  and _registrable(cluster, vm, n, live_only)]
    return min(candidates, default=None, key=lambda n: _registration_key(cluster, vm, n))


def _registration_key(cluster: Cluster, vm: Vm, node: Node) -> tuple[bool, int, float, str]:
    """`registration_host`'s ranking of a candidate `node` for `vm`: smaller is better."""
    return (not usable(node), group_rank(cluster, vm, node), -free_memory(cluster, node),
            node.name)


def free_memory(cluster: Cluster, node: Node) -> float:
    """GB of VM memory `node` can still take (capacity with overcommit, minus what it holds)."""
    return cluster.memory_capacity(node) - node.used_memory_gb


def best_host(cluster: Cluster, vm: Vm, exclude: tuple[str, ...] = (),
              restart: bool = False) -> Node | None:
    """The allowed host of the highest priority in the VM's HA group (Proxmox VE, "High
    Availability": Groups; any node when the group is unrestricted and none of its nodes can),
    then the one that breaks the fewest `should` rules (vSphere HA and Proxmox VE honour
    them when they can, and fall back when no such host has room); among those, for an HA
    `restart`, a dedicated failover host first; then the most free memory, then vCPUs; ties by
    name (determinism).

    The hosts that could rank apart (`_marked_hosts`: the VM's group, hosts its rules name or
    its rules' other VMs hold, dedicated failover hosts) are weighed one by one; every other
    host ranks alike but for room, so of those only the roomiest allowed one counts, found by
    walking the cluster's host order (console.model.host_order) from its roomiest end: the
    same host `best_host_by_scan` finds among all hosts."""
    best, marked, confined = weigh_marked(cluster, vm, exclude, restart)
    if confined:
        return best
    order = host_order.caught_up(cluster)
    need = vm.memory_gb - ROOM_MARGIN_GB
    nodes = cluster.nodes
    for room in order.roomiest(kinds_for(cluster, vm)):
        node = nodes[room[2]]
        if room != host_order.room_key(cluster, node):  # charged behind the cluster's back
            cluster.host_order = None
            return best_host(cluster, vm, exclude, restart)
        if -room[0] < need:
            break  # no host from here on has the memory
        if node.name in marked or node.name in exclude or \
                not allowed(cluster, vm, node, restart):
            continue
        return better(cluster, vm, best, node, restart)
    return best


def weigh_marked(cluster: Cluster, vm: Vm, exclude: tuple[str, ...] = (),
                 restart: bool = False) -> tuple[Node | None, dict[str, None], bool]:
    """`best_host`'s first half: the best allowed host among the hosts that could rank apart
    (`_marked_hosts`) or None, those hosts (dict keys, in the order met), and whether `vm` may
    go only to one of them."""
    spare = restart and bool(cluster.settings.ha.failover_hosts)
    marked, confined = _marked_hosts(cluster, vm, spare)
    best: Node | None = None
    best_key: tuple[int, int, bool, float, float, str] | None = None
    for name in marked:
        node = cluster.nodes[name]
        if name in exclude or not allowed(cluster, vm, node, restart):
            continue
        key = _placement_key(cluster, vm, node, spare)
        if best_key is None or key < best_key:
            best, best_key = node, key
    return best, marked, confined


def better(cluster: Cluster, vm: Vm, best: Node | None, roomiest: Node,
           restart: bool = False) -> Node:
    """`best_host`'s second half: of `best` (`weigh_marked`'s host, or None) and `roomiest`
    (the roomiest allowed host outside the marked ones), the one that ranks first for `vm`."""
    if best is None:
        return roomiest
    spare = restart and bool(cluster.settings.ha.failover_hosts)
    if _placement_key(cluster, vm, roomiest, spare) < _placement_key(cluster, vm, best, spare):
        return roomiest
    return best


#: GB below a VM's memory at which a host surely cannot take it (`Cluster.fits` allows 1e-9 GB
#: of rounding; free memory is worked out in another order, so keep well clear of it).
ROOM_MARGIN_GB = 1e-6


def best_host_by_scan(cluster: Cluster, vm: Vm, exclude: tuple[str, ...] = (),
                      restart: bool = False) -> Node | None:
    """`best_host` worked out by weighing every host: the plain statement of its answer, kept
    for the tests that compare the two."""
    best: Node | None = None
    best_key: tuple[int, int, bool, float, float, str] | None = None
    spare = restart and bool(cluster.settings.ha.failover_hosts)
    for node in cluster.nodes.values():
        if node.name in exclude or not allowed(cluster, vm, node, restart):
            continue
        key = _placement_key(cluster, vm, node, spare)
        if best_key is None or key < best_key:
            best, best_key = node, key
    return best


def _placement_key(cluster: Cluster, vm: Vm, node: Node,
                   spare: bool) -> tuple[int, int, bool, float, float, str]:
    """`best_host`'s ranking of an allowed `node` for `vm`: smaller is better."""
    return (group_rank(cluster, vm, node),
            len(should_breaches(cluster, vm, node)),
            spare and not failover.dedicated(cluster.settings.ha, node),
            -free_memory(cluster, node), node.used_vcpus - cluster.vcpu_capacity(node),
            node.name)


def kinds_for(cluster: Cluster, vm: Vm) -> list[str]:
    """The hypervisor kinds `vm` could run on: its disks' format, else every kind that runs
    its guest OS."""
    disks = cluster.vm_hypervisor.get(vm.name)
    if disks is not None:
        return [disks]
    kinds = _KINDS_FOR_GUEST.get(vm.guest_os)
    if kinds is None:
        kinds = [kind for kind, hypervisor in HYPERVISORS.items()
                 if hypervisor.supports(vm.guest_os)]
        _KINDS_FOR_GUEST[vm.guest_os] = kinds
    return kinds


#: Guest OS -> the hypervisor kinds that run it (`kinds_for`), as they are asked for.
_KINDS_FOR_GUEST: dict[str, list[str]] = {}


def _marked_hosts(cluster: Cluster, vm: Vm, spare: bool) -> tuple[dict[str, None], bool]:
    """The hosts `best_host` must weigh one by one for `vm` (every other host has the same
    group rank, `should` breaches and failover standing), as dict keys in the order met, and
    whether `vm` may go only to one of them (a restricted group, a `must` VM-host rule, a
    `must` affinity whose VMs already run). Hosts the VM's group names, hosts its rules name,
    hosts its rules' other VMs hold a place on, and for an HA restart the dedicated failover
    hosts."""
    marked: dict[str, None] = {}
    rules = cluster.rules_of(vm.name)
    if not (vm.group or rules or spare):
        return marked, False
    confined = False
    group = cluster.groups.get(vm.group)
    if group is not None:
        marked.update(dict.fromkeys(group.nodes))
        confined = group.restricted
    for rule in rules:
        marked.update(dict.fromkeys(rule.hosts))
        if rule.strength == "must" and rule.kind == "vm-host":
            confined = True
        if rule.kind in ("affinity", "anti-affinity"):
            for name in rule.vms:
                other = cluster.vms.get(name)
                if name == vm.name or other is None or other.host is None:
                    continue
                marked[other.host] = None
                if other.target is not None:
                    marked[other.target] = None
            if rule.strength == "must" and rule.kind == "affinity" and \
                    _together(cluster, rule.vms, vm.name):
                confined = True
    if spare:
        marked.update(dict.fromkeys(cluster.settings.ha.failover_hosts))
    return {name: None for name in marked if name in cluster.nodes}, confined


def why_not(cluster: Cluster, vm: Vm, exclude: tuple[str, ...] = (),
            restart: bool = False) -> str:
    """Explain, in one line, why no host can take `vm`."""
    return unplaceable(cluster, vm, exclude, restart)[0]


def unplaceable(cluster: Cluster, vm: Vm, exclude: tuple[str, ...] = (),
                restart: bool = False) -> tuple[str, bool]:
    """Why no host can take `vm`, and whether room (memory, vCPUs) is the cause: False when
    hosts with room exist but rules keep `vm` off them (the reason then names the rule)."""
    candidates = [n for n in cluster.nodes.values() if n.name not in exclude]
    up = [n for n in candidates if usable(n)]
    if not up:
        return "no host is online", True
    fitting_kind = [n for n in up if compatible(cluster, vm, n)]
    if not fitting_kind:
        kind = cluster.vm_hypervisor.get(vm.name, "")
        return f"no online {kind + ' ' if kind else ''}host runs {vm.guest_os}", True
    roomy = [n for n in fitting_kind if cluster.fits(vm, n)]
    if not roomy:
        most = max(fitting_kind, key=lambda n: (free_memory(cluster, n), n.name))
        free_vcpus = cluster.vcpu_capacity(most) - most.used_vcpus
        return (f"no room: needs {vcpus(vm.vcpus)} and {vm.memory_gb:g} GB, the most free is "
                f"{free_memory(cluster, most):g} GB and {vcpus(free_vcpus)} on {most.name}"), True
    ruled = [n for n in roomy if rule_refusal(cluster, vm, n, restart) is None]
    if not ruled:
        why = rule_refusal(cluster, vm, roomy[0], restart) or "placement rules"
        return why, False
    blocked = {n.name: conflicts(cluster, vm, n) for n in ruled}
    names = sorted({_apart_rule(cluster, vm.name, other)
                    for clash in blocked.values() for other in clash})
    hosts = ", ".join(f"{name} (with {', '.join(c)})" for name, c in blocked.items() if c)
    return f"{' and '.join(names)} keep{'s' if len(names) == 1 else ''} it off {hosts}", False


@dataclass(frozen=True, slots=True)
class BrokenRule:
    """A `must` constraint broken by where VMs run: the subject an event names (a VM, or a
    service), a VM whose placement breaks it (the subject, or a member), and one line saying
    how."""

    subject: str
    vm: str
    message: str


def broken_rules(cluster: Cluster) -> list[BrokenRule]:
    """Every `must` constraint broken now by where VMs run (hold a place: running, booting,
    migrating away), one per constraint, in cluster order: each `must` rule (subject: its first
    VM that breaks it), each VM's own anti-affinity list (the VM), each service whose members
    share a host (the service). Placement never breaks them; a cluster file may start with them
    broken, for the balancer or HA to repair. As vSphere Resource Management ("Using VM-Host
    Affinity Rules": DRS, HA and DPM never act to violate a required rule, and an alarm can
    report a VM that violates one; "DRS Rules Violated")."""
    musts = [rule for rule in cluster.rules if rule.strength == "must"]
    apart = [vm for vm in cluster.vms.values() if vm.anti_affinity]
    named = {name for rule in musts for name in rule.vms}
    named.update(name for vm in apart for name in (vm.name, *vm.anti_affinity))
    named.update(name for service in cluster.services.values() for name in service.members)
    where: dict[str, str] = {}  # the host of each VM named above that holds a place
    for name in named:
        vm = cluster.vms.get(name)
        if vm is not None and vm.state in CONSUMING_STATES and vm.host is not None:
            where[name] = vm.host
    found: list[BrokenRule | None] = [_rule_breach(rule, where) for rule in musts]
    for vm in apart:
        if vm.name in where:
            together = [o for o in vm.anti_affinity if where.get(o) == where[vm.name]]
            if together:
                found.append(BrokenRule(vm.name, vm.name,
                                        f"{vm.name}'s anti-affinity is broken: it runs on "
                                        f"{where[vm.name]} with {', '.join(together)}"))
    for service in cluster.services.values():
        shared = _sharing(service.members, where)
        if shared:
            found.append(BrokenRule(service.name, _first_sharing(service.members, where),
                                    f"service {service.name}'s members must be on different "
                                    f"hosts: {shared}"))
    return [breach for breach in found if breach is not None]


def _rule_breach(rule: Rule, where: dict[str, str]) -> BrokenRule | None:
    """A `must` rule's breach, about its first breaking VM, or None when it holds."""
    head = f"rule {rule.name} (must {rule.kind}) is broken"
    running = [name for name in rule.vms if name in where]
    if rule.kind == "anti-affinity":
        shared = _sharing(rule.vms, where)
        if not shared:
            return None
        first = _first_sharing(rule.vms, where)
        return BrokenRule(first, first, f"{head}: {shared}")
    if rule.kind == "vm-host":
        off = [name for name in running if where[name] not in rule.hosts]
        allowed_text = f"it must run on {', '.join(rule.hosts)}"
    elif rule.kind == "vm-not-host":
        off = [name for name in running if where[name] in rule.hosts]
        allowed_text = f"it must not run on {', '.join(rule.hosts)}"
    else:  # affinity: every running VM of the rule on the first one's host
        if len(_hosts_of(rule.vms, where)) < 2:
            return None
        first = running[0]
        off = [name for name in running if where[name] != where[first]]
        allowed_text = f"they must run together with {first} on {where[first]}"
    if not off:
        return None
    runs = ", ".join(f"{name} runs on {where[name]}" for name in off)
    return BrokenRule(off[0], off[0], f"{head}: {runs}; {allowed_text}")


def _hosts_of(names: tuple[str, ...], where: dict[str, str]) -> dict[str, list[str]]:
    """Which of `names` run on each host, in the order of `names`."""
    by_host: dict[str, list[str]] = {}
    for name in names:
        if name in where:
            by_host.setdefault(where[name], []).append(name)
    return by_host


def _sharing(names: tuple[str, ...], where: dict[str, str]) -> str:
    """`a and b run together on A; ...` for the hosts that run two or more of `names`, or ''."""
    parts = [f"{', '.join(group[:-1])} and {group[-1]} run together on {host}"
             for host, group in _hosts_of(names, where).items() if len(group) > 1]
    return "; ".join(parts)


def _first_sharing(names: tuple[str, ...], where: dict[str, str]) -> str:
    """The first of `names` that shares its host with another of them (one must)."""
    shared = {host for host, group in _hosts_of(names, where).items() if len(group) > 1}
    return next(name for name in names if where.get(name) in shared)


def vcpus(count: float) -> str:
    """`1 vCPU`, `4 vCPUs`: a vCPU count with its unit."""
    return f"{count:g} vCPU{'' if count == 1 else 's'}"


def _apart_rule(cluster: Cluster, vm: str, other: str) -> str:
    """What keeps `vm` and `other` apart, in words: a `must` anti-affinity rule by name, their
    clustered service, or `vm`'s own anti_affinity list."""
    for rule in cluster.rules:
        if rule.kind == "anti-affinity" and rule.strength == "must" and \
                {vm, other} <= set(rule.vms):
            return f"rule {rule.name}"
    service = cluster.member_of.get(vm)
    if service is not None and service == cluster.member_of.get(other):
        return f"service {service} (members stay apart)"
    return f"{vm}'s anti-affinity"
