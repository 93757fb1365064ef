"""Failover capacity: could the cluster still absorb its failover level after a change?

vSphere HA admission control ("Admission Control Policies", vSphere Availability guide) keeps
enough CPU and memory free to restart the VMs of failed hosts. This module is the one check of
it, over memory (GB) and vCPUs, used by everything that takes room away:

* powering a VM on and deploying one (`HighAvailability.admission_refusal`): refused;
* a host entering maintenance (`MaintenanceMode`): DRS does not evacuate it while that would
  break the failover level ("DRS Does Not Evacuate a Host Requested to Enter Maintenance",
  vSphere Resource Management); the host waits in `entering_maintenance` unless forced.

The balancer needs no check of its own: a live migration moves demand between hosts that both
stay in the cluster, which leaves every policy's sums unchanged; the hosts a policy keeps apart
(dedicated failover hosts) are refused to it by `placement.rule_refusal`.

Policies (`[ha] admission_policy`):

* `host_failures` (default): the N hosts with the most capacity are set aside and the VMs must fit
  in the rest, for memory and for vCPUs: vSphere's "cluster resource percentage" computed from the
  number of host failures to tolerate (N of M equal hosts: N/M of the cluster), without slots.
* `percentage`: `cpu_reserve_percent` of the vCPU capacity and `memory_reserve_percent` of the
  memory stay free.
* `failover_hosts`: the dedicated hosts take no VMs but HA restarts; the VMs must fit on the
  others, and the dedicated hosts' free room must hold what the N busiest other hosts run
  (vSphere: "Dedicated Failover Hosts Admission Control").

A VM's configured vCPUs and memory stand for its reservation (vSphere counts reservations; the
model has none). HA restarts are never refused: admission control reserves room, it does not
ration it.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from console.model.cluster import Cluster
from console.model.entities import Node, Vm
from console.model.settings import HaSettings

_USED_MEMORY = operator.attrgetter("used_memory_gb")
_USED_VCPUS = operator.attrgetter("used_vcpus")


@dataclass(frozen=True, slots=True)
class Shortfall:
    """What a change would need and what the failover level leaves: `resource` is "memory"
    (amounts in GB) or "vCPUs"; `where` says what the room is left after."""

    resource: str
    needed: float
    left: float
    where: str

    def text(self) -> str:
        """`needs 8 GB of memory but only 0 GB is left after reserving room for 1 host failure`."""
        left = max(self.left, 0.0)
        if self.resource == "memory":
            amounts = f"{self.needed:g} GB of memory but only {left:g} GB is"
        else:
            amounts = f"{self.needed:g} vCPUs but only {left:g} vCPUs {_are(left)}"
        return f"needs {amounts} left {self.where}"


def enforced(settings: HaSettings) -> bool:
    """Is admission control in force (HA on, admission control on)?"""
    return settings.enabled and settings.admission_control


def dedicated(settings: HaSettings, node: Node) -> bool:
    """Is `node` a dedicated failover host, kept for HA restarts?"""
    return (enforced(settings) and settings.admission_policy == "failover_hosts"
            and node.name in settings.failover_hosts)


def level(settings: HaSettings) -> str:
    """The failover level as what the cluster tolerates: `1 host failure`, `losing 25 % of its
    CPU and 25 % of its memory`, `2 host failures on its dedicated failover hosts`."""
    if settings.admission_policy == "percentage":
        return (f"losing {settings.cpu_reserve_percent:g} % of its CPU and "
                f"{settings.memory_reserve_percent:g} % of its memory")
    n = settings.host_failures_to_tolerate
    failures = f"{n} host failure{'' if n == 1 else 's'}"
    if settings.admission_policy == "failover_hosts":
        return f"{failures} on its dedicated failover hosts"
    return failures


class HostRoom:
    """What some hosts may hold and hold, in their order, for `shortfall`: capacities (memory
    in GB, vCPUs; also largest first, and their sums), fixed with the hosts and the overcommit
    ratios, and use with its sums, brought up to date from `Cluster.change_log` when asked (only
    the hosts bumped since are read again; all of them when the log was cut since). A caller
    that keeps one while the hosts stay the same spares `shortfall` a pass over every host."""

    def __init__(self, cluster: Cluster, hosts: Sequence[Node]) -> None:
        self.cluster = cluster
        self.hosts = list(hosts)
        memory_capacity, vcpu_capacity = cluster.memory_capacity, cluster.vcpu_capacity
        self.memory = [memory_capacity(h) for h in self.hosts]
        self.vcpus = [vcpu_capacity(h) for h in self.hosts]
        self.memory_ranked = sorted(self.memory, reverse=True)
        self.vcpus_ranked = sorted(self.vcpus, reverse=True)
        self._positions: dict[str, int] | None = None  # host -> its place, once kept
        self._capacity_left: dict[tuple[str, int], float] = {}
        self._read = -1  # how far the use was read from Cluster.change_log (a bump count)
        self._used_memory = _Total([])
        self._used_vcpus = _Total([])

    def positions(self) -> dict[str, int]:
        """Each host's place in `hosts`, by name."""
        if self._positions is None:
            self._positions = {h.name: i for i, h in enumerate(self.hosts)}
        return self._positions

    def capacity_left(self, resource: str, failures: int) -> float:
        """The capacity of `resource` ("memory", GB, or "vCPUs") of the hosts but the
        `failures` largest, summed largest first (`sum` of the ranked list's tail)."""
        key = (resource, failures)
        left = self._capacity_left.get(key)
        if left is None:
            ranked = self.memory_ranked if resource == "memory" else self.vcpus_ranked
            left = self._capacity_left[key] = sum(ranked[failures:])
        return left

    def used(self) -> tuple[list[float], list[float]]:
        """(GB of memory, vCPUs) each host holds now, in the hosts' order."""
        cluster = self.cluster
        end = cluster.change_base + len(cluster.change_log)
        if self._read >= 0 and cluster.change_base <= self._read:
            positions, hosts = self.positions(), self.hosts
            memory, vcpus = self._used_memory, self._used_vcpus
            for name in cluster.change_log[self._read - cluster.change_base:]:
                i = positions.get(name)
                if i is not None:
                    memory.set(i, hosts[i].used_memory_gb)
                    vcpus.set(i, hosts[i].used_vcpus)
        else:
            self._used_memory = _Total(list(map(_USED_MEMORY, self.hosts)))
            self._used_vcpus = _Total(list(map(_USED_VCPUS, self.hosts)))
        self._read = end
        return self._used_memory.amounts, self._used_vcpus.amounts

    def used_totals(self) -> tuple[float, float]:
        """(GB of memory, vCPUs) all the hosts hold now: `sum` of each list `used` gives."""
        self.used()
        return self._used_memory.total(), self._used_vcpus.total()


class _Total:
    """A list of amounts and its `sum`, kept as entries change without a pass over the list
    while every entry is a whole number (then the additions' order cannot change the sum);
    summed again in the list's order when asked while one is not."""

    __slots__ = ("_fractional", "_total", "amounts")

    def __init__(self, amounts: list[float]) -> None:
        self.amounts = amounts
        self._fractional: int | None = None  # entries not `_whole`, counted at the first `set`
        self._total: float | None = None  # kept only while no entry is fractional

    def set(self, i: int, amount: float) -> None:
        """Entry `i` is now `amount`."""
        if self._fractional is None:
            self._fractional = len(self.amounts) - _whole_count(self.amounts)
        old = self.amounts[i]
        self.amounts[i] = amount
        self._fractional += (not _whole(amount)) - (not _whole(old))
        if self._total is not None and self._fractional == 0:
            self._total += amount - old
        else:
            self._total = None

    def total(self) -> float:
        """`sum(amounts)`."""
        if self._total is not None:
            return self._total
        total = sum(self.amounts)
        if self._fractional == 0:
            self._total = total
        return total


#: Whole amounts below this add up exactly in a float, up to 2 ** 17 of them together.
_WHOLE_BELOW = 2 ** 36


def _whole_count(amounts: list[float]) -> int:
    """How many of `amounts` are `_whole`; without a call per entry when they are all ints or
    all floats and small."""
    if sum(map(abs, amounts)) < _WHOLE_BELOW:  # then each of them is
        types = set(map(type, amounts))
        if types <= {int}:
            return len(amounts)
        if types == {float}:
            return sum(map(float.is_integer, amounts))
    return sum(1 for amount in amounts if _whole(amount))


def _whole(amount: float) -> bool:
    """A whole number small enough that sums of many such are exact in a float."""
    return amount % 1 == 0 and abs(amount) < _WHOLE_BELOW


def shortfall(cluster: Cluster, hosts: Sequence[Node], vcpus: float, memory_gb: float,
              room: HostRoom | None = None) -> Shortfall | None:
    """Could `hosts` (the hosts that would remain usable) still absorb the failover level if they
    also took `vcpus` and `memory_gb` more (a VM powered on, or the VMs of a host that leaves)?
    None when they could or admission control is off; else the first resource short, memory
    before vCPUs. `room`: a `HostRoom` of `hosts` the caller keeps; else one pass over `hosts`
    per resource."""
    settings = cluster.settings.ha
    if not enforced(settings):
        return None
    # A VM migrating between two of `hosts` is charged on both; it needs room on one.
    moving: list[Vm] = []
    if room is None:
        room = HostRoom(cluster, hosts)
    if cluster.in_flight:
        names = room.positions()
        moving = [vm for vm in (cluster.vms[name] for name in sorted(cluster.in_flight))
                  if vm.host in names and vm.target in names]
    used_memory, used_vcpus = room.used()
    memory_total, vcpus_total = room.used_totals()
    memory = (_Amounts(room.memory, used_memory, memory_total,
                       functools.partial(room.capacity_left, "memory")),
              memory_gb, sum(vm.memory_gb for vm in moving))
    found = _short(settings, hosts, "memory", *memory)
    if found is not None:
        return found
    cpus = (_Amounts(room.vcpus, used_vcpus, vcpus_total,
                     functools.partial(room.capacity_left, "vCPUs")),
            vcpus, sum(vm.vcpus for vm in moving))
    return _short(settings, hosts, "vCPUs", *cpus)


@dataclass(frozen=True, slots=True)
class _Amounts:
    """One resource of each host of a `shortfall`, in the hosts' order: capacity and use; the
    use's sum, and the capacity left once the N largest hosts are set aside (`capacity_left`,
    N = 0: all of it)."""

    capacity: list[float]
    used: list[float]
    used_total: float
    capacity_left: Callable[[int], float]


def _short(settings: HaSettings, hosts: Sequence[Node], resource: str, amounts: _Amounts,
           extra: float, doubled: float) -> Shortfall | None:
    policy = settings.admission_policy
    n = settings.host_failures_to_tolerate
    if policy == "failover_hosts":
        rows = list(zip(amounts.capacity, amounts.used,
                        [h.name in settings.failover_hosts for h in hosts], strict=True))
        regular = [(c, u) for c, u, spare in rows if not spare]
        room = sum(c for c, _ in regular) - sum(u for _, u in regular) + doubled
        if extra > room + 1e-9:
            return Shortfall(resource, extra, room, "outside the dedicated failover hosts")
        busiest = sorted((u for _, u in regular), reverse=True)[:n]
        busiest[:1] = [busiest[0] + extra] if busiest else [extra]
        free = sum(c - u for c, u, spare in rows if spare)
        if sum(busiest) > free + 1e-9:
            return Shortfall(resource, sum(busiest), free,
                             f"on the dedicated failover hosts for {level(settings)}")
        return None
    if policy == "percentage":
        share = (settings.memory_reserve_percent if resource == "memory"
                 else settings.cpu_reserve_percent)
        room = amounts.capacity_left(0) * (1 - share / 100)
        where = f"after reserving {share:g} % of the cluster's {resource}"
    else:
        room = amounts.capacity_left(n)
        where = f"after reserving room for {level(settings)}"
    left = room - amounts.used_total + doubled
    if extra > left + 1e-9:
        return Shortfall(resource, extra, left, where)
    return None


def _are(amount: float) -> str:
    return "is" if amount == 1 else "are"
