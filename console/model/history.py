"""Recorded utilisation: what each node and VM really used, sampled at fixed simulated instants.

Every `SAMPLE_S` simulated seconds (sample k at k x 10 s, k = 1, 2, ...) the recorder notes what
held at that instant: which VMs were running on each node (a migrating VM on its source), and a
`--local` node's measured CPU (the mean of its readings since the last sample, else its latest
reading; in an observed cluster every node's, and each running VM's latest `vm-reading`, which
is its load and no function of time). A node's CPU at sample k is the CPU demand, at that
instant, of the VMs that ran there then, over its cores (0 when none ran: a crashed or
powered-off host); a VM's is its demand over its vCPUs while it ran, wherever that was, and 0
while it did not.

Demand is a pure function of (VM, time) (console.model.workloads), so the recorder stores only
what changes: per node the list of its running VMs each time that list changed (found through
`Cluster.changes`, so a sample costs a look at each charged node's change counter, and work only
for the nodes whose counter moved, not a pass over the VMs), and per VM the node it ran on from
each sample on. The figures are worked out from these records when a screen asks, exactly as a
sample taken then would have, and cached per series once a point is complete (a past point never
changes). Samples are not events: they change nothing in the model and no event log; they
follow from the same commands and timers, so a replay records the same samples.

Levels, RRD-style: `LEVELS` are 60 points at 10 s, 60 at 1 min and 60 at 10 min, a point of a
coarser level being the mean of its 10 s samples (those where the node or VM existed). Memory is
bounded: records older than the coarsest window (`KEPT_SAMPLES`) are dropped as new ones come,
and at most `CACHED_SERIES` series keep their computed points.
"""

from __future__ import annotations

from bisect import bisect_right
from itertools import compress, islice
from operator import attrgetter

from console.model.entities import VmState
from console.model.kernel import Context
from console.model.readings import Readings

SAMPLE_S = 10.0
#: (step in simulated seconds, points kept) per level, finest first.
LEVELS: tuple[tuple[float, int], ...] = ((10.0, 60), (60.0, 60), (600.0, 60))
#: Samples the records reach back: the coarsest level's window (10 h) and one point more (its
#: newest point may be up to a point behind the newest sample).
KEPT_SAMPLES = round((LEVELS[-1][0] * (LEVELS[-1][1] + 1)) / SAMPLE_S)
#: Series (node or VM, level) whose computed points are kept.
CACHED_SERIES = 64
#: VM states whose CPU lands on their host (a migrating VM still runs on its source).
RUNNING_STATES = frozenset({VmState.RUNNING, VmState.MIGRATING})

Record = tuple[int, object]  # (first sample k it holds from, what held)
_STATE = attrgetter("state")
_NAME_AND_HOST = attrgetter("name", "host")
_NAME = attrgetter("name")


class History:
    """The recorder: notes the nodes and VMs of `context` (the engine) every SAMPLE_S simulated
    seconds, and the local node's `readings` (in an observed cluster: every node's, and each
    running VM's reading of the moment).

    `samples` counts the samples taken (the newest is at `samples * SAMPLE_S` seconds). Read with
    `node_cpu` and `vm_cpu`; `mark(step_s)` says how many points a level has had."""

    def __init__(self, context: Context, readings: Readings) -> None:
        self.context = context
        self.readings = readings
        self.samples = 0
        self._first: dict[str, dict[str, int]] = {"node": {}, "vm": {}}  # -> its first sample
        self._known_nodes = self._known_vms = 0
        self._removed_seen = 0  # `Cluster.vms_removed` when new VMs were last looked for
        self._changes_seen: dict[str, int] = {}
        self._residents: dict[str, list[Record]] = {}         # node -> (k, VM names running)
        self._start: dict[str, str | None] = {}               # VM -> node it ran on when first seen
        self._hosts: dict[str, list[Record]] = {}             # VM -> (k, node it ran on | None)
        self._measured: dict[str, dict[int, float]] = {}      # local node -> k -> CPU
        self._measured_vms: dict[str, dict[int, float]] = {}  # observed VM -> k -> CPU read
        self._cache: dict[tuple[str, str, float], dict[int, float | None]] = {}
        self.record()  # what holds at the start, as "sample 0": samples then note only changes
        context.schedule_quietly_at(SAMPLE_S, self._sample)

    # -- recording -----------------------------------------------------------------------------

    def _sample(self) -> None:
        self.samples += 1
        self.context.schedule_quietly_at(SAMPLE_S * (self.samples + 1), self._sample)
        self.record()

    def record(self) -> None:
        """Note what holds now as sample `samples` (the timer calls it every SAMPLE_S simulated
        seconds, after counting the sample): new nodes and VMs, each node whose running VMs
        changed since the last sample, and the local node's readings."""
        k = self.samples
        cluster = self.context.cluster
        nodes, vms = cluster.nodes, cluster.vms
        if len(nodes) != self._known_nodes:
            self._first["node"].update(dict.fromkeys(islice(nodes, self._known_nodes, None), k))
            self._known_nodes = len(nodes)
        # The first record with VMs: every VM is new, its start the host it runs on, so none
        # needs a record of arriving there (a VM known before that arrives somewhere does).
        all_new = self._known_vms == 0
        if len(vms) != self._known_vms or cluster.vms_removed != self._removed_seen:
            # (in C: a 40,000-VM cluster is noted at its start)
            first = self._first["vm"]
            if cluster.vms_removed != self._removed_seen:  # positions moved: find them by name
                self._removed_seen = cluster.vms_removed
                new = [vm for name, vm in vms.items() if name not in first]
                first.update(dict.fromkeys(map(_NAME, new), k))
            elif first:
                first.update(dict.fromkeys(islice(vms, self._known_vms, None), k))
                new = list(islice(vms.values(), self._known_vms, None))
            else:
                self._first["vm"] = dict.fromkeys(vms, k)
                new = list(vms.values())
            running = compress(new, map(RUNNING_STATES.__contains__, map(_STATE, new)))
            self._start.update(map(_NAME_AND_HOST, running))
            self._known_vms = len(vms)
        started = self._start.keys()
        seen = self._changes_seen
        # Only a node whose change counter moved can run other VMs (a node never charged has
        # run none); taken in cluster order, as the records of one sample must be.
        changed = [name for name, count in cluster.changes.items() if seen.get(name) != count]
        changed.sort(key=cluster.node_positions.__getitem__)
        departed: list[tuple[str, str]] = []
        arrived: list[tuple[str, str]] = []
        for name in changed:
            seen[name] = cluster.changes[name]
            if all_new:  # every VM running now is in `_start`, none has stopped since
                running = tuple(sorted(started & nodes[name].vms))
            else:
                running = tuple(vm.name for vm in cluster.vms_on(nodes[name])
                                if vm.state in RUNNING_STATES)
            records = self._residents.setdefault(name, [])
            before: tuple[str, ...] = records[-1][1] if records else ()  # type: ignore[assignment]
            if running != before:
                _note(records, k, running)
                running_now, running_then = set(running), set(before)
                departed += [(vm, name) for vm in before if vm not in running_now]
                if not all_new:
                    arrived += [(vm, name) for vm in running if vm not in running_then]
        for vm, name in departed:  # first: a VM that moved arrives after it departed
            if self._host_at(vm, k) == name:
                _note(self._hosts.setdefault(vm, []), k, None)
        for vm, name in arrived:
            if self._host_at(vm, k) != name:
                _note(self._hosts.setdefault(vm, []), k, name)
        local = cluster.local_node()
        read = list(nodes) if cluster.observed else [local.name] if local is not None else []
        for name in read:
            measured = self.readings.since_sample(name)
            if measured is not None:
                readings = self._measured.setdefault(name, {})
                readings[k] = measured[0]
                readings.pop(k - KEPT_SAMPLES, None)
        if cluster.observed:  # an observed VM's load is its reading of the moment: keep it
            for vm in vms.values():
                if vm.state in RUNNING_STATES:
                    kept = self._measured_vms.setdefault(vm.name, {})
                    kept[k] = vm.workload.cpu
                    kept.pop(k - KEPT_SAMPLES, None)

    # -- reading -------------------------------------------------------------------------------

    def mark(self, step_s: float) -> int:
        """How many points the level of step `step_s` has had (changes exactly when one lands);
        ValueError for a step that is no level's."""
        return self.samples // _span(step_s)

    def node_cpu(self, name: str, step_s: float, points: int) -> list[float | None]:
        """The last `points` (at most the level's) points of node `name`'s CPU utilisation at
        the level of step `step_s`, oldest first: fractions of its cores (may pass 1), None
        where nothing was recorded (before the first sample, before the node joined, or an
        unknown node). ValueError for a step that is no level's."""
        return self._series("node", name, step_s, points)

    def vm_cpu(self, name: str, step_s: float, points: int) -> list[float | None]:
        """The last `points` points of VM `name`'s CPU use (fractions of its vCPUs, 0 while it
        did not run) at the level of step `step_s`, oldest first, None where nothing was
        recorded. ValueError for a step that is no level's."""
        return self._series("vm", name, step_s, points)

    def stored_records(self) -> int:
        """Records and computed points held in all (the memory bound, in entries)."""
        return (sum(len(r) for r in self._residents.values())
                + sum(len(r) for r in self._hosts.values())
                + sum(len(r) for r in self._measured.values())
                + sum(len(r) for r in self._measured_vms.values())
                + sum(len(c) for c in self._cache.values()))

    def _series(self, kind: str, name: str, step_s: float, points: int) -> list[float | None]:
        span = _span(step_s)
        capacity = next(n for step, n in LEVELS if step == step_s)
        points = max(0, min(points, capacity))
        last = self.samples // span
        key = (kind, name, step_s)
        cache = self._cache.pop(key, None)
        if cache is None:
            if len(self._cache) >= CACHED_SERIES:
                del self._cache[next(iter(self._cache))]
            cache = {}
        self._cache[key] = cache  # the most recently used last
        for j in [j for j in cache if j <= last - capacity]:
            del cache[j]
        sample = self._node_sample if kind == "node" else self._vm_sample
        values: list[float | None] = []
        for j in range(last - points + 1, last + 1):
            if j < 1:
                values.append(None)
                continue
            if j not in cache:
                found = [v for v in (sample(name, k) for k in range((j - 1) * span + 1,
                                                                     j * span + 1))
                         if v is not None]
                cache[j] = sum(found) / len(found) if found else None
            values.append(cache[j])
        return values

    def _node_sample(self, name: str, k: int) -> float | None:
        first = self._first["node"].get(name)
        if first is None or k < first:
            return None
        measured = self._measured.get(name)
        if measured and k in measured:
            return measured[k]
        context = self.context
        node = context.cluster.nodes[name]
        if not node.cores:
            return 0.0
        vms, cpu, t = context.cluster.vms, context.workloads.cpu, k * SAMPLE_S
        running: tuple[str, ...] = _at(self._residents.get(name), k) or ()  # type: ignore[assignment]
        return sum(cpu(vms[vm], t) for vm in running if vm in vms) / node.cores  # (removed)

    def _host_at(self, vm: str, k: int) -> str | None:
        """The node VM `vm` ran on at sample `k` (None: it did not run, or was not known)."""
        records = self._hosts.get(vm)
        if records and records[0][0] <= k:
            return _at(records, k)  # type: ignore[return-value]
        return self._start.get(vm)

    def _vm_sample(self, name: str, k: int) -> float | None:
        first = self._first["vm"].get(name)
        if first is None or k < first:
            return None
        if self._host_at(name, k) is None:
            return 0.0
        measured = self._measured_vms.get(name)
        if measured is not None and k in measured:
            return measured[k]
        vm = self.context.cluster.vms.get(name)
        if vm is None:  # removed since (an observed VM undefined)
            return None
        return self.context.workloads.cpu(vm, k * SAMPLE_S) / vm.vcpus if vm.vcpus else 0.0


def _span(step_s: float) -> int:
    """10 s samples per point of the level of step `step_s`; ValueError for no level's step."""
    if not any(step == step_s for step, _ in LEVELS):
        raise ValueError(f"no history level of {step_s:g} s (levels: "
                         f"{', '.join(f'{s:g} s' for s, _ in LEVELS)})")
    return round(step_s / SAMPLE_S)


def _note(records: list[Record], k: int, value: object) -> None:
    """Append `(k, value)`, replacing a record of the same sample, and drop the records that
    ended before the kept window."""
    if records and records[-1][0] == k:
        records[-1] = (k, value)
    else:
        records.append((k, value))
    oldest = k - KEPT_SAMPLES
    drop = 0
    while drop + 1 < len(records) and records[drop + 1][0] <= oldest:
        drop += 1
    if drop:
        del records[:drop]


def _at(records: list[Record] | None, k: int) -> object:
    """What held at sample `k` by `records` (None before their first or with none)."""
    if not records:
        return None
    i = bisect_right(records, k, key=lambda record: record[0]) - 1
    return records[i][1] if i >= 0 else None
