"""The cluster's invariants as a check that lists every violation: every VM is in exactly one
place, on a host that can run its disks; no host runs over its capacity; no service is active on
two members; a host in maintenance holds no VM and none is in flight to it; and a VM the
operator asked HA to keep off (HA state stopped or disabled) is off; a VM of a restricted HA
group runs only on the group's nodes.

Tests call it after every step; a drill can call it at every event. It recomputes everything from
the raw entities, trusting none of the running totals it is there to audit.
"""

from __future__ import annotations

from collections import Counter

from console.model.cluster import Cluster
from console.model.entities import (
    CLOSED_STATES,
    CONSUMING_STATES,
    KEPT_OFF,
    NodeState,
    Role,
    VmState,
)


def violations(cluster: Cluster) -> list[str]:
    """Every violation of the invariants (placement, capacity, split brain, maintenance, HA
    request states) in `cluster` now, one line each (an empty list when all hold).
    """
    return [*_placement(cluster), *_capacity(cluster), *split_brain(cluster),
            *maintenance(cluster), *requests(cluster), *restricted_groups(cluster)]


def restricted_groups(cluster: Cluster) -> list[str]:
    """6. A VM of a restricted HA group holds a place only on the group's nodes (Proxmox VE,
    "High Availability": Groups)."""
    found = []
    for name, vm in cluster.vms.items():
        group = cluster.groups.get(vm.group)
        if group is None or not group.restricted or vm.state not in CONSUMING_STATES:
            continue
        for where in (vm.host, vm.target):
            if where is not None and where not in group.nodes:
                found.append(f"{name} is {vm.state.value} on {where}, outside its restricted "
                             f"group {group.name}")
    return found


def _placement(cluster: Cluster) -> list[str]:
    """1. Every VM is in exactly one place: on one host, in flight between two, or pending."""
    found = []
    listed = Counter(name for node in cluster.nodes.values() for name in node.vms)
    pending = Counter(cluster.pending)
    for name, vm in cluster.vms.items():
        places = listed[name] + pending[name]
        if places != 1:
            found.append(f"{name} is in {places} places")
        if vm.host is None and vm.state is not VmState.PENDING_RESTART:
            found.append(f"{name} has no host but is {vm.state.value}")
        if vm.host is not None and name not in cluster.nodes[vm.host].vms:
            found.append(f"{name} names host {vm.host}, which does not list it")
        if (vm.target is not None) != (vm.state is VmState.MIGRATING):
            found.append(f"{name} is {vm.state.value} with target {vm.target}")
        disks = cluster.vm_hypervisor.get(name)
        for where in (vm.host, vm.target):
            node = cluster.nodes.get(where or "")
            if node is not None and disks is not None and node.hypervisor != disks:
                found.append(f"{name}'s disks are {disks} but it is on {node.name} "
                             f"({node.hypervisor})")
    return found


def _capacity(cluster: Cluster) -> list[str]:
    """2. No host runs more than its capacity allows; the running totals are right."""
    found = []
    vcpus: Counter[str] = Counter()
    memory: Counter[str] = Counter()
    for vm in cluster.vms.values():
        if vm.state in CONSUMING_STATES:
            for host in (vm.host, vm.target):
                if host is not None:
                    vcpus[host] += vm.vcpus
                    memory[host] += vm.memory_gb
    for name, node in cluster.nodes.items():
        if vcpus[name] != node.used_vcpus or abs(memory[name] - node.used_memory_gb) > 1e-6:
            found.append(f"{name}'s running totals drifted: {node.used_vcpus} vCPUs and "
                         f"{node.used_memory_gb:g} GB recorded, {vcpus[name]} vCPUs and "
                         f"{memory[name]:g} GB actual")
        if vcpus[name] > cluster.vcpu_capacity(node):
            found.append(f"{name} runs {vcpus[name]} vCPUs, over its "
                         f"{cluster.vcpu_capacity(node):g} vCPUs")
        if memory[name] > cluster.memory_capacity(node) + 1e-6:
            found.append(f"{name} holds {memory[name]:g} GB, over its "
                         f"{cluster.memory_capacity(node):g} GB")
    return found


def split_brain(cluster: Cluster) -> list[str]:
    """3. No clustered service is active on two members at once.

    A member counts as active if it believes so and its VM is actually running, whatever the
    rest of the cluster thinks: that is what a client on either side of a partition would see.
    """
    found = []
    for service in cluster.services.values():
        live = [m for m, role in service.roles.items()
                if role is Role.ACTIVE and cluster.vms[m].state in CONSUMING_STATES
                and cluster.vms[m].host is not None
                and cluster.nodes[cluster.vms[m].host].powered]  # type: ignore[index]
        if len(live) > 1:
            found.append(f"{service.name} is active on {', '.join(live)}")
    return found


def maintenance(cluster: Cluster) -> list[str]:
    """4. A host in maintenance holds no VM, and none is in flight to it.

    As vSphere's maintenance mode ("Place an ESXi Host in Maintenance Mode", vSphere Resource
    Management): a host reaches `maintenance` only once every running VM has left it, and no VM
    is placed on or migrated to a host entering or in maintenance. "Holds" means holds a place
    there (running, deploying, restarting, or migrating away); a powered-off VM may stay
    registered on it, as vSphere allows. A migration to a host entering maintenance is a
    violation too: it would land on a host being emptied.
    """
    found = []
    for vm in cluster.vms.values():
        if vm.state not in CONSUMING_STATES:
            continue
        host = cluster.nodes.get(vm.host or "")
        if host is not None and host.state is NodeState.MAINTENANCE:
            found.append(f"{vm.name} is {vm.state.value} on {host.name}, which is in maintenance")
        target = cluster.nodes.get(vm.target or "")
        if target is not None and target.state in CLOSED_STATES:
            found.append(f"{vm.name} is migrating to {target.name}, which is "
                         f"{target.state.value}")
    return found


def requests(cluster: Cluster) -> list[str]:
    """5. A VM whose HA request state is `stopped` or `disabled` is off: HA honours the state
    the operator asked for (Proxmox VE's request states: "High Availability", Proxmox VE
    Administration Guide), whatever failed, restarted, relocated or moved meanwhile."""
    return [f"{vm.name} is {vm.state.value} but its HA state is {vm.ha_state.value}"
            for vm in cluster.vms.values()
            if vm.ha_state in KEPT_OFF and vm.state is not VmState.STOPPED]
