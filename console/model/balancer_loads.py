"""The balancer's load figures at one instant: per VM its recent load, per host the sum.

A `LoadFigures` holds the figures for one simulated instant `t`: a VM's figure is
`Workloads.recent_load(vm, t, LOOKBACK_S)`, a host's the sum of the figures of the VMs it carries
(a VM in flight counts on its target), kept per host with the host's change count
(`Cluster.changes`) so that a host whose VMs changed is summed again and no other. Everything in
it is a pure function of the cluster's placement and `t`: figures worked out ahead of `t` (a slice
of the hosts a second before a pass) are exactly those the pass would compute itself.

`ascending` lists every host by (load score, name), kept in order as hosts are summed again, so
that choosing the least loaded host that may take a VM looks at the few lightest hosts instead of
all of them.

Figures made `partial` are being summed a slice at a time (a large cluster's first figures, see
`Balancer`): until `complete` is called, `refresh` sums again only the hosts already summed whose
VMs changed, never the hosts no slice has reached yet, and `ascending` lists the summed hosts only.
"""

from __future__ import annotations

from bisect import bisect_left, insort
from collections.abc import Iterable
from dataclasses import dataclass
from struct import Struct

from console.model.entities import Node, Vm, VmState
from console.model.kernel import Context

LOOKBACK_S = 900.0
#: A VM's figure as `LoadFigures` holds it: three doubles (exactly the floats packed).
_FIGURE = Struct("3d")
#: VM states whose demand a host carries (a migrating VM counts on its target).
LOADED_STATES = frozenset({VmState.RUNNING, VmState.MIGRATING, VmState.RESTARTING,
                           VmState.DEPLOYING})


@dataclass(slots=True)
class HostLoad:
    """Demand on a host (or of one VM): CPU in cores, active memory in GB, disk I/O in MB/s."""

    cpu: float = 0.0     # cores of demand
    memory: float = 0.0  # GB active
    disk: float = 0.0    # MB/s

    def score(self, node: Node) -> float:
        """The load's share of `node`: its busiest resource, 0-1 (above 1 when overloaded)."""
        return max(self.cpu / node.cores, self.memory / node.memory_gb,
                   self.disk / node.disk_mbps)


class LoadFigures:
    """VM and host load figures at simulated time `t` (seconds), computed when first asked."""

    def __init__(self, context: Context, t: float, partial: bool = False) -> None:
        """Figures at `t`; `partial`: summed by slices (`measure`), until `complete`, refreshed
        only for the hosts already summed."""
        self.context = context
        self.partial = partial
        self.cluster = context.cluster
        self.t = t
        # Per VM its CPU cores, active GB and disk MB/s packed in bytes (_FIGURE): a dict of
        # bytes is never tracked by the cycle collector, whose full passes would walk a dict
        # of 50,000 tuples.
        self._vms: dict[str, bytes] = {}
        self._sums: dict[str, tuple[int, HostLoad]] = {}  # host -> (its change count, load)
        self._versions: dict[str, int] = {}  # host -> its change count when summed
        self._read = -1  # how far `refresh` read Cluster.change_log (a bump count)
        self._order: list[tuple[float, str]] | None = None  # (score, host), ascending
        self._scores: dict[str, float] = {}  # host -> its load's score, as summed

    def size(self) -> int:
        """How many VM figures are held."""
        return len(self._vms)

    def forget(self, count: int) -> bool:
        """Free up to `count` VM figures (of figures no longer used: a VM asked for again is
        worked out again); whether any are left."""
        vms = self._vms
        for _ in range(min(count, len(vms))):
            vms.popitem()
        return bool(vms)

    def vm(self, vm: Vm) -> tuple[float, float, float]:
        """`vm`'s (CPU cores, active GB, disk MB/s) averaged over LOOKBACK_S up to `t`."""
        packed = self._vms.get(vm.name)
        if packed is None:
            figure = self.context.workloads.recent_load(vm, self.t, LOOKBACK_S)
            self._vms[vm.name] = _FIGURE.pack(*figure)
            return figure
        return _FIGURE.unpack(packed)

    def hosts(self) -> dict[str, HostLoad]:
        """Every node's load, summing again the hosts whose VMs changed since they were summed.
        The figures' own objects: callers must not change them."""
        self.refresh()
        sums = self._sums
        return {name: sums[name][1] for name in self.cluster.nodes if name in sums}

    def summed(self, name: str) -> bool:
        """Whether host `name` has been summed (always, once `refresh`ed, unless `partial`)."""
        return name in self._sums

    def complete(self) -> None:
        """Sum every host not summed yet (the hosts a partial figures' slices did not list, such
        as one that joined meanwhile): the figures are whole from here on."""
        self.measure([name for name in self.cluster.node_order if name not in self._sums])
        self.partial = False

    def load(self, name: str) -> HostLoad:
        """Host `name`'s load as last summed (`refresh` first for the current one)."""
        return self._sums[name][1]

    def loads(self, names: Iterable[str]) -> dict[str, HostLoad]:
        """The loads of the hosts named `names` as last summed, by name in that order. The
        figures' own objects: callers must not change them."""
        sums = self._sums
        return {name: sums[name][1] for name in names}

    def score(self, name: str) -> float:
        """Host `name`'s load score (`HostLoad.score`) as last summed."""
        return self._scores[name]

    def scores(self) -> dict[str, float]:
        """Every host's load score (`HostLoad.score`) as last summed, by name (`refresh`
        first for the current ones). The figures' own dict: callers must not change it."""
        return self._scores

    def refresh(self) -> None:
        """Sum again every host whose VMs changed since it was summed (or never summed)."""
        cluster = self.cluster
        end = cluster.change_base + len(cluster.change_log)
        if self.partial:
            self._refresh_summed(end)
            return
        if self._read == end and len(self._versions) == len(cluster.nodes):
            return
        if self._read >= cluster.change_base and len(self._versions) == len(cluster.nodes):
            # Only the hosts bumped since the last read may have changed.
            changed = set(cluster.change_log[self._read - cluster.change_base:])
            versions = self._versions
            stale = [name for name in changed if versions[name] != cluster.changes[name]]
        else:
            # Set arithmetic on the dicts' items runs in C: no loop over every host in Python.
            stale = [name for name, _ in cluster.changes.items() - self._versions.items()]
            stale.extend(name for name in cluster.nodes
                         if name not in self._versions and name not in cluster.changes)
        self._read = end
        if stale:
            self.measure(sorted(stale))

    def _refresh_summed(self, end: int) -> None:
        """`refresh` of partial figures: sum again the hosts summed so far whose VMs changed."""
        cluster = self.cluster
        versions = self._versions
        if self._read == end or not versions:
            return
        if self._read >= cluster.change_base:
            changed = set(cluster.change_log[self._read - cluster.change_base:])
        else:  # behind the change log's cut: compare every summed host's version (in C)
            changed = {name for name, _ in cluster.changes.items() - versions.items()}
        changes = cluster.changes
        stale = [name for name in changed
                 if name in versions and versions[name] != changes.get(name, 0)]
        self._read = end
        if stale:
            self.measure(sorted(stale))

    def measure(self, names: Iterable[str]) -> None:
        """Sum the hosts named `names` now (a slice of the work ahead of a pass)."""
        if self._read < 0:
            # From here on `refresh` need only look at the hosts bumped since (those summed
            # before a bump have an older version): no scan of every host once all are summed.
            self._read = self.cluster.change_base + len(self.cluster.change_log)
        changes = self.cluster.changes
        nodes = self.cluster.nodes
        incoming = self._incoming()
        for name in names:
            version = changes.get(name, 0)
            cached = self._sums.get(name)
            if cached is None or cached[0] != version:
                self._store(nodes[name], version, incoming.get(name, ()))

    def ascending(self) -> list[tuple[float, str]]:
        """Every node as (load score, name), lowest first; kept up to date as hosts change.
        The figures' own list: callers must not change it."""
        self.refresh()
        if self._order is None:
            self._order = sorted((score, name) for name, score in self._scores.items())
        return self._order

    def _incoming(self) -> dict[str, list[str]]:
        incoming: dict[str, list[str]] = {}
        for migration in self.context.migrations.active.values():
            incoming.setdefault(migration.target, []).append(migration.vm)
        return incoming

    def _store(self, node: Node, version: int, incoming: Iterable[str]) -> tuple[int, HostLoad]:
        cached = self._sums[node.name] = (version, self._sum(node, incoming))
        self._versions[node.name] = version
        old = self._scores.get(node.name)
        score = self._scores[node.name] = cached[1].score(node)
        if self._order is not None:
            if old is not None:
                del self._order[bisect_left(self._order, (old, node.name))]
            insort(self._order, (score, node.name))
        return cached

    def _sum(self, node: Node, incoming: Iterable[str]) -> HostLoad:
        vms = self.cluster.vms
        figure = self.vm
        cpu = memory = disk = 0.0
        for name in sorted(node.vms):  # a set: summing in name order keeps floats reproducible
            vm = vms[name]
            if vm.target is not None or vm.state not in LOADED_STATES:
                continue
            c, m, d = figure(vm)
            cpu += c
            memory += m
            disk += d
        for name in incoming:
            vm = vms[name]
            if vm.state in LOADED_STATES:
                c, m, d = figure(vm)
                cpu += c
                memory += m
                disk += d
        return HostLoad(cpu, memory, disk)
