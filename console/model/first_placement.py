"""Placing, at load, the VMs a cluster file gives no host: every VM of the pending queue, in
queue order, each on the host `placement.best_host` gives it once the VMs before it are placed.

A flat export of 40,000 VMs leaves 20,000 of them to place, nearly all of them plain: no HA
group, no rule naming them, no anti-affinity. `best_host` finds the roomiest allowed host by
walking the host order (console.model.host_order), which moves each host it charged to its new
place before every question. Here the hosts that can take a VM at all (usable, not a dedicated
failover host; neither changes while VMs are placed) sit in one heap per hypervisor kind
instead, keyed by the same `room_key`: a plain VM takes the top of its kind's heap when it fits
there, and the charged host's key is replaced at the top in one step. A stale entry (a host
charged since it was pushed) is dropped when it comes to the top. The hosts a VM's own
constraints single out are weighed by `placement.weigh_marked`, as `best_host` weighs them.
The same host as `best_host` every time: tests/test_first_placement.py compares the two on
randomised clusters.
"""

from __future__ import annotations

from heapq import heapify, heappop, heappush, heapreplace

from console.model import failover
from console.model.cluster import Cluster
from console.model.entities import Node, Vm
from console.model.host_order import RoomKey, room_key
from console.model.hypervisors import HYPERVISORS
from console.model.placement import (
    ROOM_MARGIN_GB,
    allowed,
    better,
    kinds_for,
    usable,
    weigh_marked,
)


def place_pending(cluster: Cluster) -> Vm | None:
    """Place every VM of `cluster.pending` in queue order on its `best_host` (not an HA
    restart), fixing its disk format to that host's hypervisor. Returns the first VM no host
    can take, left in the queue with every VM after it (the VMs before it stay placed); None
    when every VM was placed."""
    queue = [cluster.vms[name] for name in cluster.pending]
    cluster.pending.clear()
    heaps = RoomHeaps(cluster)
    ruled = {name for rule in cluster.rules for name in rule.vms}  # `rules_of` not empty
    anti_affine = cluster.anti_affine
    charges: list[str] = []  # counted at the end (placement reads no change counter)
    for position, vm in enumerate(queue):
        plain = not (vm.group or vm.name in ruled or anti_affine.get(vm.name))
        if plain and heaps.take_top(cluster, vm, charges):
            continue
        if plain:
            host = heaps.roomiest_allowed(cluster, vm)
        else:
            best, marked, confined = weigh_marked(cluster, vm)
            host = best if confined else heaps.roomiest_allowed(cluster, vm, marked, best)
        if host is None:
            cluster.pending.extend(waiting.name for waiting in queue[position:])
            cluster.count_charges(charges)
            return vm
        cluster.place_new(vm, host.name, charges)
        heaps.charged(cluster, host)
    cluster.count_charges(charges)
    return None


class RoomHeaps:
    """The hosts that take new VMs (usable, not dedicated failover hosts), one heap of
    `room_key`s per hypervisor kind, the roomiest on top; `keys` holds each host's current key
    (a heap entry that is not it is stale). Valid while host states stay as they were and
    every charge of a host is told to `charged`."""

    def __init__(self, cluster: Cluster) -> None:
        self.keys: dict[str, RoomKey] = {}
        self.heaps: dict[str, list[RoomKey]] = {}
        #: Per host: (vCPU capacity, GB capacity), as `Cluster.vcpu_capacity` and
        #: `Cluster.memory_capacity` give them.
        self.capacity: dict[str, tuple[float, float]] = {}
        ha = cluster.settings.ha
        for node in cluster.nodes.values():
            if usable(node) and not failover.dedicated(ha, node):
                key = room_key(cluster, node)
                self.keys[node.name] = key
                self.heaps.setdefault(node.hypervisor, []).append(key)
                self.capacity[node.name] = (cluster.vcpu_capacity(node),
                                            cluster.memory_capacity(node))
        for heap in self.heaps.values():
            heapify(heap)
        self._kinds: dict[tuple[str, str | None], list[list[RoomKey]]] = {}

    def charged(self, cluster: Cluster, node: Node) -> None:
        """`node`'s charge changed: its new key replaces the old (at once when the old is on
        top, else lazily)."""
        old = self.keys.get(node.name)
        if old is None:
            return
        vcpus, memory = self.capacity[node.name]
        key = (-(memory - node.used_memory_gb), node.used_vcpus - vcpus, node.name)
        if key == old:
            return
        self.keys[node.name] = key
        heap = self.heaps[node.hypervisor]
        if heap[0] is old:
            heapreplace(heap, key)
        else:
            heappush(heap, key)

    def take_top(self, cluster: Cluster, vm: Vm, charges: list[str]) -> bool:
        """Place a plain VM (no group, rule or anti-affinity) whose guest one hypervisor kind
        here runs on the top of that kind's heap when it fits there, which is then its
        `best_host` (every host in a heap is usable and no failover host, so `allowed` asks
        only for room), and say so; else False, and nothing changed. The charge is noted in
        `charges` (`Cluster.place_new`)."""
        heaps = self._kinds.get((vm.guest_os, cluster.vm_hypervisor.get(vm.name)))
        if heaps is None:
            heaps = self._heaps_for(cluster, vm)
        if len(heaps) != 1:
            return False
        heap, keys = heaps[0], self.keys
        while heap and keys[heap[0][2]] is not heap[0]:
            heappop(heap)  # stale: the host was charged since
        if not heap:
            return False
        top = heap[0]
        name = top[2]
        node = cluster.nodes[name]
        vcpus, memory = self.capacity[name]
        if node.used_vcpus + vm.vcpus > vcpus or \
                node.used_memory_gb + vm.memory_gb > memory + 1e-9:
            return False
        cluster.place_new(vm, name, charges)
        key = (-(memory - node.used_memory_gb), node.used_vcpus - vcpus, name)
        if key != top:
            keys[name] = key
            heapreplace(heap, key)
        return True

    def roomiest_allowed(self, cluster: Cluster, vm: Vm, marked: dict[str, None] | None = None,
                         best: Node | None = None) -> Node | None:
        """`best_host(cluster, vm)` given `weigh_marked`'s answer (`best`, `marked`; none for
        a plain VM): the roomiest host `allowed` takes outside `marked`, walked heap by heap
        from the top, ranked against `best` (`placement.better`); `best` when there is none."""
        heaps = self._heaps_for(cluster, vm)
        keys = self.keys
        need = vm.memory_gb - ROOM_MARGIN_GB
        nodes = cluster.nodes
        popped: list[tuple[list[RoomKey], RoomKey]] = []
        found: Node | None = None
        while True:
            top: RoomKey | None = None
            source: list[RoomKey] = []
            for heap in heaps:
                while heap and keys[heap[0][2]] is not heap[0]:
                    heappop(heap)  # stale: the host was charged since
                if heap and (top is None or heap[0] < top):
                    top, source = heap[0], heap
            if top is None or -top[0] < need:
                break  # no host from here on has the memory
            node = nodes[top[2]]
            if (marked is None or top[2] not in marked) and allowed(cluster, vm, node):
                found = node
                break
            popped.append((source, heappop(source)))
        for heap, key in popped:
            heappush(heap, key)
        return best if found is None else better(cluster, vm, best, found)

    def _heaps_for(self, cluster: Cluster, vm: Vm) -> list[list[RoomKey]]:
        """The heaps of the hypervisor kinds `vm` may run on (`placement.kinds_for`) that run
        its guest OS."""
        shape = (vm.guest_os, cluster.vm_hypervisor.get(vm.name))
        heaps = self._kinds.get(shape)
        if heaps is None:
            heaps = [self.heaps[kind] for kind in kinds_for(cluster, vm)
                     if kind in self.heaps and HYPERVISORS[kind].supports(vm.guest_os)]
            self._kinds[shape] = heaps
        return heaps
