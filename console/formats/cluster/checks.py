"""Cross-checks of a cluster file, once every value is read: names that must exist, images
and layers, guest OS support, sizes that no host can hold, running VMs on hosts that start off
or in maintenance, service members and rules. Each raises `Problem` at a key path relative to
the entry being checked (`build` sets it). Placements that break a rule are not checked here:
they are allowed (see `build`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

from console.formats.cluster.schema import AUTO_TRACE, Draft, VmEntry
from console.formats.toml import Problem, at, listing, show
from console.model.cluster import Cluster
from console.model.entities import HaGroup, Image, Rule, Service, Vm, VmState
from console.model.hypervisors import HYPERVISORS, supported_guests
from console.model.images import ImageError, resolve

# -- cross-checks: names, compatibility, size ---------------------------------------------------


class HostIndex:
    """What the cluster's hosts offer, worked out once per file rather than once per VM: a
    20,000-VM file would otherwise scan every host for every VM."""

    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster
        self.kinds = list(dict.fromkeys(node.hypervisor for node in cluster.nodes.values()))
        self._largest: dict[str, tuple[float, float]] = {}
        self._largest_of_kind: dict[str, tuple[float, float]] = {}
        self._kinds_for: dict[str, list[str]] = {}

    def kinds_for(self, guest_os: str) -> list[str]:
        """Hypervisor kinds present that run `guest_os`, in file order."""
        kinds = self._kinds_for.get(guest_os)
        if kinds is None:
            kinds = [kind for kind in self.kinds if HYPERVISORS[kind].supports(guest_os)]
            self._kinds_for[guest_os] = kinds
        return kinds

    def largest(self, guest_os: str) -> tuple[float, float]:
        """The most vCPUs and the most GB any host that runs `guest_os` can hold (hosts
        looked at once per file, by hypervisor kind)."""
        if not self._largest_of_kind:
            cluster = self.cluster
            for node in cluster.nodes.values():
                most = self._largest_of_kind.get(node.hypervisor, (0.0, 0.0))
                self._largest_of_kind[node.hypervisor] = (
                    max(most[0], cluster.vcpu_capacity(node)),
                    max(most[1], cluster.memory_capacity(node)))
        if guest_os not in self._largest:
            kinds = [self._largest_of_kind[kind] for kind in self.kinds_for(guest_os)]
            self._largest[guest_os] = (max(vcpus for vcpus, _ in kinds),
                                       max(memory for _, memory in kinds))
        return self._largest[guest_os]


def check_vm(vm: Vm, vms: dict[str, Vm], cluster: Cluster, hosts: HostIndex) -> None:
    """A VM's host, anti-affinity, guest OS and size; raises `Problem` at a key relative to its
    entry."""
    if vm.host is not None and vm.host not in cluster.nodes:
        raise Problem(".host", f"unknown node {show(vm.host)} "
                               f"(nodes: {listing(list(cluster.nodes))})")
    _check_group(vm, cluster)
    _check_anti_affinity(vm, vms)
    _check_guest(vm, cluster, hosts)
    _check_size(vm, hosts)
    _check_host_runs(vm, cluster)


def check_vms(entries: list[VmEntry], vms: dict[str, Vm], cluster: Cluster,
              auto: Iterator[str]) -> None:
    """Each entry's image (`apply_image`), the VM's checks (`check_vm`) and trace
    (`assign_trace`), in file order; raises `Problem` at an absolute key for the first problem.

    A plain VM (no image, HA group, anti-affinity or trace) passes when its guest OS runs here
    within the size the largest such host holds, and its host (if any) is known, runs the guest
    and, for a running VM, starts powered on and out of maintenance: a few look-ups in tables
    made once per file. Any other VM, and any that does not pass, takes the full checks, which
    say what is wrong exactly as they always have."""
    hosts = HostIndex(cluster)
    up = {name for name, node in cluster.nodes.items() if node.powered and not node.maintenance}
    kind_of = {name: node.hypervisor for name, node in cluster.nodes.items()}
    guests: dict[str, tuple[frozenset[str], float, float] | None] = {}
    stopped = VmState.STOPPED
    for entry in entries:
        vm = entry.vm
        if entry.image is None and not vm.group and not vm.anti_affinity and \
                vm.workload.profile != "trace":
            guest = guests.get(vm.guest_os, ())
            if guest == ():
                kinds = hosts.kinds_for(vm.guest_os)
                guest = (frozenset(kinds), *hosts.largest(vm.guest_os)) if kinds else None
                guests[vm.guest_os] = guest
            if guest is not None and vm.vcpus <= guest[1] and \
                    vm.memory_gb <= guest[2] + 1e-9 and \
                    (vm.host is None or (kind_of.get(vm.host) in guest[0] and
                     (vm.state is stopped or vm.host in up))):
                continue
        with at(entry.path):
            apply_image(entry, cluster)
            check_vm(vm, vms, cluster, hosts)
            assign_trace(vm, cluster, auto)


def check_group(group: HaGroup, cluster: Cluster) -> None:
    """An HA group's nodes exist; raises `Problem` relative to its entry."""
    for name in group.nodes:
        if name not in cluster.nodes:
            raise Problem(".nodes", f"unknown node {show(name)} "
                                    f"(nodes: {listing(list(cluster.nodes))})")


def _check_group(vm: Vm, cluster: Cluster) -> None:
    """A VM's `group` is a known group, and a VM of a restricted group is given one of its
    nodes (or none)."""
    if not vm.group:
        return
    group = cluster.groups.get(vm.group)
    if group is None:
        raise Problem(".group", f"unknown group {show(vm.group)} "
                                f"(groups: {listing(list(cluster.groups)) or 'none'})")
    if group.restricted and vm.host is not None and vm.host not in group.nodes:
        raise Problem(".host", f"{vm.host} is not a node of {vm.name}'s restricted group "
                               f"{group.name} ({', '.join(group.nodes)})")


def _check_anti_affinity(vm: Vm, vms: dict[str, Vm]) -> None:
    for k, other in enumerate(vm.anti_affinity):
        key = f".anti_affinity[{k}]"
        if other == vm.name:
            raise Problem(key, f"{vm.name} cannot be anti-affine with itself")
        if other not in vms:
            raise Problem(key, f"unknown VM {show(other)}")


def _check_guest(vm: Vm, cluster: Cluster, hosts: HostIndex) -> None:
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


def _check_host_runs(vm: Vm, cluster: Cluster) -> None:
    """A running (or paused: in its host's memory) VM's host must be up and out of maintenance
    at start (a stopped VM may stay registered on a host that is off or in maintenance, as
    vSphere allows)."""
    if vm.host is None or vm.state is VmState.STOPPED:
        return
    node = cluster.nodes[vm.host]
    if node.powered and not node.maintenance:
        return
    why = "powered off" if not node.powered else "in maintenance"
    raise Problem(".host", f"host {node.name} starts {why}, so {vm.name} cannot run on it "
                           f'(give {vm.name} state = "stopped", or another host)')


def _check_size(vm: Vm, hosts: HostIndex) -> None:
    """A VM bigger than every host that could run it can never start: say so now."""
    most_vcpus, most_memory = hosts.largest(vm.guest_os)
    if vm.vcpus > most_vcpus:
        raise Problem(".vcpus", f"{vm.name} needs {vm.vcpus} vCPUs, more than any host that runs "
                                f"{vm.guest_os} can hold (at most {most_vcpus:g})")
    if vm.memory_gb > most_memory + 1e-9:
        raise Problem(".memory_gb", f"{vm.name} needs {vm.memory_gb:g} GB, more than any "
                                    f"host that runs {vm.guest_os} can hold "
                                    f"(at most {most_memory:g} GB)")


def check_service(service: Service, active: str | None, vms: dict[str, Vm]) -> None:
    """A service's members, preferred owners and active member; raises `Problem` relative to its
    entry."""
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
    """Two or more distinct VMs. Members are implicitly anti-affine, but hosts given in the file
    may put two together: a broken rule to repair, reported when the run starts
    (`placement.broken_rules`), not an error."""
    if len(service.members) < 2:
        raise Problem(".members", f"a service needs at least two members, "
                                  f"got {len(service.members)}")
    for k, member in enumerate(service.members):
        key = f".members[{k}]"
        if member not in vms:
            raise Problem(key, f"unknown VM {show(member)}")
        if member in service.members[:k]:
            raise Problem(key, f"{show(member)} is listed twice")


def _check_member(service: Service, name: str, vms: dict[str, Vm]) -> None:
    if name not in vms:
        raise Problem("", f"unknown VM {show(name)}")
    if name not in service.members:
        raise Problem("", f"{name} is not a member of service {service.name} "
                          f"(members: {', '.join(service.members)})")


def register_images(draft: Draft, cluster: Cluster) -> None:
    """Register bases and layers, then check that each layer's bases are base images. Raises
    Problem at `.bases[k]` for an unknown base, a layer given as a base, or a base listed twice."""
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


def hold_images(draft: Draft, cluster: Cluster) -> None:
    """The parts each host holds already, at their current version. Raises Problem at
    `.images[k]` for an unknown image or layer, or one listed twice."""
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


def apply_image(entry: VmEntry, cluster: Cluster) -> None:
    """A VM built from an image runs the base's guest OS and is sized from its parts (vCPUs
    from the base; memory in GB the base's plus its layers'; disk in GB the parts' sizes), unless
    the entry gives them. Raises Problem for an image spec that does not resolve, or a guest_os
    other than the base's."""
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


def assign_trace(vm: Vm, cluster: Cluster, auto: Iterator[str]) -> None:
    """A trace-driven VM's trace must be loaded; "auto" takes the next one round-robin. Raises
    Problem at `.workload.trace` when no traces are loaded or the trace is unknown."""
    workload = vm.workload
    if workload.profile != "trace":
        return
    if not cluster.traces:
        raise Problem(".workload.trace", "no traces are loaded (set traces = \"folder\" "
                                         "in [workloads])")
    if workload.trace == AUTO_TRACE:
        vm.workload = replace(workload, trace=next(auto))
    elif workload.trace not in cluster.traces:
        raise Problem(".workload.trace", f"unknown trace {show(workload.trace)} "
                                         f"(traces: {listing(sorted(cluster.traces), 4)})")


def check_rule(rule: Rule, vms: dict[str, Vm], cluster: Cluster) -> None:
    """A rule's VMs and hosts exist, once each; raises `Problem` relative to its entry. VMs given
    a host may break a `must` rule: a starting situation to repair, reported when the run starts
    (`placement.broken_rules`), not an error."""
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
