"""Where a VM may run, and which of those hosts is best.

One set of rules for every behaviour that places a VM (HA restart, power-on, deploy, migration,
maintenance, balancing), so that a VM HA would refuse to put somewhere is never put there by a
migration instead.
"""

from __future__ import annotations

from console.model.cluster import Cluster
from console.model.entities import CONSUMING_STATES, Node, NodeState, Vm
from console.model.hypervisors import HYPERVISORS


def usable(node: Node) -> bool:
    """Takes new VMs: online, heard by the cluster and on the side that holds quorum."""
    return node.state is NodeState.ONLINE and node.heard and not node.quorum_lost


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
