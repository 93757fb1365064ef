"""Where a VM may run, and which of those hosts is best.

One set of rules for every behaviour that places a VM (HA restart, power-on, deploy, migration,
maintenance, balancing), so that a VM HA would refuse to put somewhere is never put there by a
migration instead.
"""

from __future__ import annotations

from dataclasses import dataclass

from console.model.cluster import Cluster
from console.model.entities import CONSUMING_STATES, Node, NodeState, Rule, Vm
from console.model.hypervisors import HYPERVISORS


def usable(node: Node) -> bool:
    """Takes new VMs: online, heard by the cluster and on the side that holds quorum."""
    return node.state is NodeState.ONLINE and node.beating and not node.quorum_lost


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


def rule_refusal(cluster: Cluster, vm: Vm, node: Node) -> str | None:
    """A `must` VM-host rule that keeps `vm` off `node`, as a reason."""
    for rule in cluster.rules:
        if rule.strength != "must" or vm.name not in rule.vms:
            continue
        if rule.kind == "vm-host" and node.name not in rule.hosts:
            return f"rule {rule.name}: {vm.name} must run on {', '.join(rule.hosts)}"
        if rule.kind == "vm-not-host" and node.name in rule.hosts:
            return f"rule {rule.name}: {vm.name} must not run on {node.name}"
    return None


def allowed(cluster: Cluster, vm: Vm, node: Node) -> bool:
    """May `vm` be placed on `node` now: usable, compatible, room, no anti-affinity clash, no
    `must` rule against it?
    """
    return (usable(node) and compatible(cluster, vm, node) and cluster.fits(vm, node)
            and not conflicts(cluster, vm, node) and rule_refusal(cluster, vm, node) is None)


def shape(cluster: Cluster, vm: Vm) -> tuple[object, ...] | None:
    """What `allowed` looks at in `vm`: size, guest OS and disk format, or None when the VM has
    constraints of its own (anti-affinity, a `must` rule naming it). Within one pass in which
    hosts only fill up, a VM whose shape found no host leaves none for another of that shape:
    callers skip the search (a data centre of `count` VMs has a few shapes, many VMs)."""
    if cluster.anti_affine.get(vm.name) or any(
            rule.strength == "must" and vm.name in rule.vms for rule in cluster.rules):
        return None
    return vm.vcpus, vm.memory_gb, vm.guest_os, cluster.vm_hypervisor.get(vm.name)


def free_memory(cluster: Cluster, node: Node) -> float:
    """GB of VM memory `node` can still take (capacity with overcommit, minus what it holds)."""
    return cluster.memory_capacity(node) - node.used_memory_gb


def best_host(cluster: Cluster, vm: Vm, exclude: tuple[str, ...] = ()) -> Node | None:
    """The allowed host with the most free memory, then vCPUs; ties by name (determinism)."""
    best: Node | None = None
    best_key: tuple[float, float, str] | None = None
    for node in cluster.nodes.values():
        if node.name in exclude or not allowed(cluster, vm, node):
            continue
        key = (-free_memory(cluster, node), node.used_vcpus - cluster.vcpu_capacity(node),
               node.name)
        if best_key is None or key < best_key:
            best, best_key = node, key
    return best


def why_not(cluster: Cluster, vm: Vm, exclude: tuple[str, ...] = ()) -> str:
    """Explain, in one line, why no host can take `vm`."""
    candidates = [n for n in cluster.nodes.values() if n.name not in exclude]
    up = [n for n in candidates if usable(n)]
    if not up:
        return "no host is online"
    fitting_kind = [n for n in up if compatible(cluster, vm, n)]
    if not fitting_kind:
        kind = cluster.vm_hypervisor.get(vm.name, "")
        return f"no online {kind + ' ' if kind else ''}host runs {vm.guest_os}"
    roomy = [n for n in fitting_kind if cluster.fits(vm, n)]
    if not roomy:
        most = max(fitting_kind, key=lambda n: (free_memory(cluster, n), n.name))
        return (f"no room: needs {vm.vcpus} vCPU / {vm.memory_gb:g} GB, most free is "
                f"{free_memory(cluster, most):g} GB on {most.name}")
    ruled = [n for n in roomy if rule_refusal(cluster, vm, n) is None]
    if not ruled:
        return rule_refusal(cluster, vm, roomy[0]) or "placement rules"
    blocked = {n.name: conflicts(cluster, vm, n) for n in ruled}
    rules = ", ".join(f"{name} (with {', '.join(c)})" for name, c in blocked.items() if c)
    return f"anti-affinity rules out {rules}"


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
    where: dict[str, str] = {name: vm.host for name, vm in cluster.vms.items()
                             if vm.state in CONSUMING_STATES and vm.host is not None}
    found: list[BrokenRule | None] = [_rule_breach(rule, where) for rule in cluster.rules
                                      if rule.strength == "must"]
    for vm in cluster.vms.values():
        if vm.anti_affinity and vm.name in where:
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
    else:
        return None
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
