"""Building the `Cluster` from a checked `Draft`: register nodes and images, cross-check each
VM, service and rule (`checks`), add the VMs with a host (refusing an overloaded host), then
place the VMs without one.

Checks run in passes, each in file order: every value of every section (trace files are read
here); then layers' bases and the images each node holds; then each VM's image, host (up and
out of maintenance for a running VM), anti-affinity, guest OS, size and trace; then each
service's members, owners and active member; then each rule's VMs and hosts; then the load on
each host as VMs with a host are added; then placement of the VMs without one, which honours
every `must` rule and anti-affinity.

Only what cannot be is refused. A VM given a host may break a `must` rule, its anti-affinity or
its service's (members on one host): a starting situation for HA or the balancer to repair, as
a trainer restates a real incident. The run says so when it starts (`Engine`: one
`rule_broken` event per rule, from `placement.broken_rules`) and `validate` warns.
"""

from __future__ import annotations

import itertools
from itertools import compress, repeat
from operator import attrgetter, is_not, not_

from console.formats.cluster.checks import (
    check_group,
    check_rule,
    check_service,
    check_vms,
    hold_images,
    register_images,
)
from console.formats.cluster.schema import Draft
from console.formats.toml import Problem, at
from console.model import first_placement, placement
from console.model.cluster import Cluster
from console.model.entities import (
    CONSUMING_STATES,
    Node,
    Role,
    Service,
    ServiceState,
    Vm,
    VmState,
)

_VM, _NAME, _HOST = attrgetter("vm"), attrgetter("name"), attrgetter("host")

# -- building -----------------------------------------------------------------------------------


def _refuse_unknown_hardware(path: str, node: Node) -> None:
    """A simulated host needs its disks and NICs: an empty `disks_gb` or `nics_gbps` (a real
    host that reports none: not known) is for an observed cluster only. Raises Problem."""
    for key in ("disks_gb", "nics_gbps"):
        if not getattr(node, key):
            raise Problem(f"{path}.{key}", "must be a non-empty array, got []")


def build(draft: Draft, *, place: bool = True) -> Cluster:
    """Resolve names, check the cluster can run as written, and register everything; the
    built `Cluster`. Raises `Problem` (with an absolute key path) for the first problem.
    Without `place` the VMs without a host are left without one (and unchecked for room):
    a cluster for checking the names a drill uses, not for running."""
    cluster = Cluster(name=draft.name, settings=draft.settings, description=draft.description,
                      observed=draft.truth == "observed")
    for path, node in draft.nodes:
        if not cluster.observed:
            _refuse_unknown_hardware(path, node)
        cluster.add_node(node)
    register_images(draft, cluster)
    hold_images(draft, cluster)
    cluster.traces = draft.traces
    for path, group in draft.groups:
        with at(path):
            check_group(group, cluster)
        cluster.groups[group.name] = group
    every = list(map(_VM, draft.vms))  # (in C, as the other passes over every VM)
    vms = dict(zip(map(_NAME, every), every, strict=True))
    check_vms(draft.vms, vms, cluster, itertools.cycle(sorted(cluster.traces)))
    for path, service, active in draft.services:
        with at(path):
            check_service(service, active, vms)
    for path, rule in draft.rules:
        with at(path):
            check_rule(rule, vms, cluster)
    given_host = list(map(is_not, map(_HOST, every), repeat(None)))
    cluster.add_vms(list(compress(every, given_host)))
    _refuse_overload(cluster, draft)
    for _, service, active in draft.services:
        _set_roles(service, active, vms)
        cluster.add_service(service)
    # Every rule must be known before the first placement: queue all host-less VMs (their disk
    # format still open, so any hypervisor that runs the guest will do), add the rules, place.
    cluster.add_vms(list(compress(every, map(not_, given_host))))
    for _, rule in draft.rules:
        cluster.add_rule(rule)
    stuck = first_placement.place_pending(cluster) if place else None
    if stuck is not None:
        path = next(entry.path for entry in draft.vms if entry.vm is stuck)
        raise Problem(path, f"no host can take {stuck.name}: {placement.why_not(cluster, stuck)}")
    return cluster


def _refuse_overload(cluster: Cluster, draft: Draft) -> None:
    """Refuse a host the VMs given it overload: at the first VM (in file order) with which a
    host's running VMs need more vCPUs or memory than it has, as if they were added one by one
    (each host is looked at once; the VMs again only when one is over)."""
    if all(node.used_vcpus <= cluster.vcpu_capacity(node) and
           node.used_memory_gb <= cluster.memory_capacity(node) + 1e-9
           for node in cluster.nodes.values()):
        return
    used: dict[str, tuple[int, float]] = {}
    for entry in draft.vms:
        vm = entry.vm
        if vm.host is None or vm.state not in CONSUMING_STATES:
            continue
        node = cluster.nodes[vm.host]
        vcpus, memory = used.get(node.name, (0, 0.0))
        vcpus, memory = vcpus + vm.vcpus, memory + vm.memory_gb
        used[node.name] = vcpus, memory
        most_vcpus, most_memory = cluster.vcpu_capacity(node), cluster.memory_capacity(node)
        if vcpus > most_vcpus or memory > most_memory + 1e-9:
            raise Problem(f"{entry.path}.host",
                          f"host {node.name} is over capacity at load: its running VMs need "
                          f"{vcpus} vCPUs / {memory:g} GB, it has {most_vcpus:g} vCPUs / "
                          f"{most_memory:g} GB")


def _set_roles(service: Service, active: str | None, vms: dict[str, Vm]) -> None:
    """Active member as configured (or chosen), the other running members passive."""
    running = [m for m in service.members if vms[m].state is VmState.RUNNING]
    if active is None:
        owners = [m for m in service.preferred_owners if m in running]
        active = (owners or running or [None])[0]
    service.roles = {m: Role.ACTIVE if m == active else Role.PASSIVE if m in running
                     else Role.OFFLINE for m in service.members}
    service.state = ServiceState.ONLINE if active is not None else ServiceState.OFFLINE

