"""What libvirt discovered, as a cluster file: the real hosts and their domains, named for the
model.

One text serves two ends: a libvirt session builds its cluster from it (`truth = "observed"`:
the model's truth then comes only from observations, console.model.observed), and a recording
or journal of that session embeds it, so a replay rebuilds the same cluster with no libvirt.
(`cluster-console export` writes the cluster built from it as a simulated one.)

Names: a libvirt domain may be called anything, a model name follows one grammar
(console.model.names), so each host and domain gets a name of its own (`as_name`), unique
across the cluster; `Names` maps both ways.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from console.formats.cluster.write import toml_value
from console.model.hypervisors import HYPERVISORS
from console.model.names import as_name
from console.sources.libvirt_client import DomainFacts, HostFacts

#: The guest OS of a real VM whose distribution libvirt does not report (console.model
#: .hypervisors.GUEST_OSES): a generic Linux, which every kvm host runs.
UNREPORTED_GUEST = "linux"
#: The smallest disk the cluster file takes, for a domain whose disks libvirt does not size.
MIN_DISK_GB = 1.0
#: The cluster file's defaults that real hosts may exceed (console.model.settings.HaSettings).
DEFAULT_CPU_OVERCOMMIT = 4.0
DEFAULT_MEMORY_OVERCOMMIT = 1.0


@dataclass
class Names:
    """Model names of real hosts and domains. `node[host]` for a HostFacts.name; a VM's name
    for each place a domain is defined (`vm[(host, domain name)]`), one name per domain UUID
    (a domain defined on two hosts, moved or being moved, is one VM), and `domain[vm]` back
    (libvirt's name of it). Two different domains of one name on two hosts are two VMs."""

    node: dict[str, str] = field(default_factory=dict)
    vm: dict[tuple[str, str], str] = field(default_factory=dict)
    domain: dict[str, str] = field(default_factory=dict)
    uuid: dict[str, str] = field(default_factory=dict)
    #: Every name given so far (hosts and VMs share one namespace).
    taken: set[str] = field(default_factory=set)

    def name_node(self, host: str) -> str:
        """The model name of the host the pool calls `host`, given now if it has none."""
        if host not in self.node:
            self.node[host] = as_name(host, self.taken)
            self.taken.add(self.node[host])
        return self.node[host]

    def name_vm(self, host: str, domain: DomainFacts, *, same_uuid: bool = True) -> str:
        """The model name of `domain` defined on `host`, given now if it has none (with
        `same_uuid`, the name of the same domain, by UUID, defined elsewhere)."""
        key = (host, domain.name)
        if key not in self.vm:
            name = self.uuid.get(domain.uuid) if domain.uuid and same_uuid else None
            if name is None:
                name = as_name(domain.name, self.taken, fallback="vm")
                self.taken.add(name)
                self.domain[name] = domain.name
                if domain.uuid:
                    self.uuid[domain.uuid] = name
            self.vm[key] = name
        return self.vm[key]

    def vms_called(self, domain: str) -> list[str]:
        """The model names of every VM whose libvirt name is `domain`."""
        return [vm for vm, name in self.domain.items() if name == domain]


def name_everything(found: Sequence[tuple[HostFacts, list[DomainFacts]]]) -> Names:
    """Names for every discovered host and domain, in discovery order (so the same discovery
    gives the same names)."""
    names = Names()
    for host, _domains in found:
        names.name_node(host.name)
    running: set[str] = set()  # UUIDs seen running: a second running copy is another VM
    for host, domains in found:
        for domain in domains:
            live = domain.state != "stopped"
            names.name_vm(host.name, domain, same_uuid=not (live and domain.uuid in running))
            if live:
                running.add(domain.uuid)
    return names


def observed_cluster_text(found: Sequence[tuple[HostFacts, list[DomainFacts]]], names: Names,
                          *, title: str, name: str | None = None,
                          description: str | None = None) -> str:
    """The cluster file of the discovered hosts and domains (`found`, from
    `LibvirtPool.open`), named by `names`, as an observed cluster (`truth = "observed"`: the
    engine turns off the autonomy real hosts lack, console.model.observed). `title` goes in
    the comment at the top (the connections, secrets redacted); `name` and `description`
    the cluster's (default "libvirt" and a count of the hosts and VMs). Overcommit ratios are raised
    where the real hosts run more than the defaults allow, so the file always loads. A host's
    disks and NICs are what its connection reports: an empty list when it reports none."""
    cpu_ratio, memory_ratio = _overcommit(found)
    lines = [f"# {title}", "", "[cluster]", f"name = {toml_value(name or 'libvirt')}",
             f"description = {toml_value(description or _description(found))}",
             'truth = "observed"',
             "", "[ha]", f"cpu_overcommit = {toml_value(cpu_ratio)}",
             f"memory_overcommit = {toml_value(memory_ratio)}"]
    for host, _domains in found:
        lines += ["", "[[nodes]]", f"name = {toml_value(names.node[host.name])}",
                  f"hypervisor = {toml_value(_kind(host))}",
                  f"cpus = {max(1, host.sockets)}",
                  f"cores_per_cpu = {max(1, host.cores_per_socket)}",
                  f"mhz = {max(1, host.mhz)}",
                  f"memory_gb = {toml_value(_gb(host.memory_mb))}",
                  # empty when the connection reports none: not known (never the defaults)
                  f"disks_gb = {toml_value(list(host.disks_gb))}",
                  f"nics_gbps = {toml_value(list(host.nics_gbps))}"]
    for vm, (host, domain) in where_each_vm_is(found, names).items():
        lines += ["", "[[vms]]", f"name = {toml_value(vm)}",
                  f"host = {toml_value(names.node[host.name])}",
                  f"guest_os = {toml_value(UNREPORTED_GUEST)}",
                  f"vcpus = {max(1, domain.vcpus)}",
                  f"memory_gb = {toml_value(_gb(domain.memory_mb))}",
                  f"disk_gb = {toml_value(max(MIN_DISK_GB, round(domain.disk_gb, 1)))}"]
        state = starting_state(domain)
        if state != "running":
            lines.append(f"state = {toml_value(state)}")
    return "\n".join(lines) + "\n"


def where_each_vm_is(found: Sequence[tuple[HostFacts, list[DomainFacts]]],
                     names: Names) -> dict[str, tuple[HostFacts, DomainFacts]]:
    """Each VM's host and facts, in discovery order: a domain defined on two hosts (an
    offline move half done, a migration's target) is where it runs, else where it was found
    first."""
    placed: dict[str, tuple[HostFacts, DomainFacts]] = {}
    for host, domains in found:
        for domain in domains:
            vm = names.vm[(host.name, domain.name)]
            if vm not in placed or (starting_state(placed[vm][1]) == "stopped"
                                    and starting_state(domain) != "stopped"):
                placed[vm] = (host, domain)
    return placed


def starting_state(domain: DomainFacts) -> str:
    """The cluster file's `state` for a discovered domain: running, paused or stopped (a
    crashed one starts stopped; the source reports the crash as an observation)."""
    return domain.state if domain.state in ("running", "paused") else "stopped"


def _kind(host: HostFacts) -> str:
    """The model's hypervisor kind for `host` (kvm where libvirt's driver is none of ours)."""
    return host.hypervisor if host.hypervisor in HYPERVISORS else "kvm"


def _gb(mb: float) -> float:
    """Megabytes as gigabytes, to 0.01 GB, never 0 (the file needs memory above 0)."""
    return max(0.01, round(mb / 1024, 2))


def _description(found: Sequence[tuple[HostFacts, list[DomainFacts]]]) -> str:
    hosts = len(found)
    vms = sum(len(domains) for _host, domains in found)
    return (f"{hosts} real host{'s' if hosts != 1 else ''} and {vms} "
            f"VM{'s' if vms != 1 else ''} through libvirt")


def _overcommit(found: Sequence[tuple[HostFacts, list[DomainFacts]]]) -> tuple[float, float]:
    """(vCPUs per core, memory ratio): the defaults, or what the busiest real host needs, up to
    the next tenth."""
    cpu, memory = DEFAULT_CPU_OVERCOMMIT, DEFAULT_MEMORY_OVERCOMMIT
    for host, domains in found:
        holding = [d for d in domains if starting_state(d) != "stopped"]
        cores = max(1, host.sockets) * max(1, host.cores_per_socket)
        cpu = max(cpu, _tenth_up(sum(max(1, d.vcpus) for d in holding) / cores))
        memory = max(memory, _tenth_up(sum(_gb(d.memory_mb) for d in holding)
                                       / _gb(host.memory_mb)))
    return cpu, memory


def _tenth_up(ratio: float) -> float:
    return math.ceil(ratio * 10 - 1e-9) / 10
