"""Hosts kept in the order placement prefers them for room: the most free memory first, then
the most free vCPUs, then by name (the tail of `placement.best_host`'s key), one list per
hypervisor kind.

Placing a VM then looks at the first hosts of that order instead of weighing every host: a
40,000-VM file with 20,000 VMs to place, or an HA restart of a host's VMs on 2,500 hosts, costs
a few host checks per VM rather than thousands. The lists follow the cluster's charges: every
change of a host's vCPUs or memory in use goes through `Cluster._charge`, which notes the host
in `Cluster.recharged`; `HostOrder.caught_up` moves those hosts to their new place before each
use. Host states are not part of the order (a host that is not usable is passed over where it
stands).
"""

from __future__ import annotations

import heapq
from bisect import bisect_left, insort
from collections.abc import Iterable

from console.model.cluster import Cluster
from console.model.entities import Node

#: A host's place in the order: (-free GB, used vCPUs - vCPU capacity, name).
RoomKey = tuple[float, float, str]


def room_key(cluster: Cluster, node: Node) -> RoomKey:
    """Where `node` stands in the order: the most free memory first, then the most free vCPUs,
    then its name (the same figures `placement.best_host` compares)."""
    return (-(cluster.memory_capacity(node) - node.used_memory_gb),
            node.used_vcpus - cluster.vcpu_capacity(node), node.name)


class HostOrder:
    """Per hypervisor kind, its hosts sorted by `room_key`; kept by `caught_up`."""

    def __init__(self, cluster: Cluster) -> None:
        self.signature = _signature(cluster)
        self.keys: dict[str, RoomKey] = {}
        self.kind_of: dict[str, str] = {}
        self.by_kind: dict[str, list[RoomKey]] = {}
        for node in cluster.nodes.values():
            key = room_key(cluster, node)
            self.keys[node.name] = key
            self.kind_of[node.name] = node.hypervisor
            self.by_kind.setdefault(node.hypervisor, []).append(key)
        for keys in self.by_kind.values():
            keys.sort()
        cluster.recharged.clear()

    def move(self, cluster: Cluster, name: str) -> None:
        """Put host `name` at its place for its charge now (or take it out if it is gone)."""
        old = self.keys.pop(name, None)
        if old is not None:
            keys = self.by_kind[self.kind_of.pop(name)]
            del keys[bisect_left(keys, old)]
        node = cluster.nodes.get(name)
        if node is not None:
            key = room_key(cluster, node)
            self.keys[name] = key
            self.kind_of[name] = node.hypervisor
            insort(self.by_kind.setdefault(node.hypervisor, []), key)

    def roomiest(self, kinds: list[str]) -> Iterable[RoomKey]:
        """The places of the hosts of `kinds` (hypervisor names), the roomiest first; each
        ends in the host's name."""
        lists = [self.by_kind[kind] for kind in kinds if self.by_kind.get(kind)]
        return heapq.merge(*lists) if len(lists) > 1 else lists[0] if lists else []


def caught_up(cluster: Cluster) -> HostOrder:
    """The cluster's host order with every host recharged since its last use moved to its
    place; made afresh the first time, and when hosts or overcommit ratios changed."""
    order = cluster.host_order
    if not isinstance(order, HostOrder) or order.signature != _signature(cluster):
        order = HostOrder(cluster)
        cluster.host_order = order
    elif cluster.recharged:
        for name in cluster.recharged:
            order.move(cluster, name)
        cluster.recharged.clear()
    return order


def _signature(cluster: Cluster) -> tuple[int, float, float]:
    """What invalidates every key at once: the number of hosts and the overcommit ratios."""
    ha = cluster.settings.ha
    return len(cluster.nodes), ha.cpu_overcommit, ha.memory_overcommit
