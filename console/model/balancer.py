"""DRS-like load balancing: score host load on CPU, memory and disk, and move VMs to even it out.

A host's load is its busiest resource: CPU demand over cores, active memory over memory, disk I/O
over disk throughput. For balancing, a VM's demand is its average over the last LOOKBACK_S
(15 minutes, as DRS works from averaged statistics): a passing spike or lull does not move VMs.
The cluster's imbalance is the standard deviation of host loads. Thresholds:

* 1 conservative: mandatory moves only (a VM on a host a `must` rule forbids); never for load.
* 2: balance when imbalance > 0.20 or a host is over 95 %; a move must gain at least 0.04.
* 3 (default): imbalance > 0.12 or a host over 85 %; gain >= 0.02.
* 4: imbalance > 0.07 or a host over 80 %; gain >= 0.01.
* 5 aggressive: imbalance > 0.03 or a host over 75 %; gain >= 0.005.

A move's gain is how much it lowers the sum over hosts of squared load, plus OVERLOAD_WEIGHT (10)
times how much it lowers the sum of squared excess over the threshold's high-water mark: moving
load d from a host at s to one at t (both below the mark) gains 2d(s - t - d). Unlike the drop in
the standard deviation, this does not shrink as the cluster grows, so a 1,000-host cluster
balances as a 10-host one does.

Moves are chosen greedily, best first, among the VMs of the 6 most loaded hosts and the 12 least
loaded targets: the gain must also pay for the migration (each GB of memory to copy costs 0.002
of gain, each `should`-rule breach 0.05, and a VM that already moved in the last 24 h
REPEAT_COST = 0.05 more, so the same VMs do not carry every correction). A target whose projected
load would pass 85 % (or the high-water mark, if lower) is never chosen; a VM moved in the last
hold-down period (default 1 h) stays put, so nothing bounces back and forth.

Automation governs moves of running VMs; new and restarted VMs (deploy, power-on, HA restart,
evacuation) are always placed automatically. manual and partial: moves are recommendations (the
console applies one or all); full: moves are applied, on the periodic pass and when a host leaves
maintenance or joins the pool. `rebalance` applies the current plan whatever the level (an
operator asked); `rebalance --dry-run` only lists it.

Cost: load figures (console.model.balancer_loads) are kept per instant, per VM and per host; a
host's sum is redone only when its VMs changed (`Cluster.changes`). A periodic pass's hosts are
summed ahead, a slice a second over the PREFETCH_S seconds before it or, above PREFETCH_VMS (500)
VMs a second, longer (100 s for 50,000 VMs): the pass decides at its time `t` on the figures for
`t`, exactly as if it had summed them itself, and `Pass.started` says when its work began. In a
cluster of more than SLICE_VMS VMs, an evacuation chooses its targets (among the lightest hosts),
and a pass off the timer plans, on the last pass's figures, kept up to date for the hosts whose
VMs changed since; a smaller cluster measures every host at the instant. Before a large
cluster's first pass, those figures are its first (for the instant the balancer starts), summed a
slice a second from the start, PREFETCH_VMS VMs a second: an evacuation compares the hosts
summed so far (see `Balancer._settle`); a pass off the timer before they are whole measures the
instant's figures. Within a pass, the
hosts come ranked in the order the figures keep (sorted in the last slice), a source's VMs worth
moving are listed once per load it takes (`Balancer._offers`), and of twins (VMs of one load
and cost on one source) only the first is weighed at a target unless that target refused it.
"""

from __future__ import annotations

import heapq
import math
import sys
from bisect import bisect_left, insort
from dataclasses import dataclass
from itertools import repeat
from operator import mul, sub

from console.model import placement
from console.model.balancer_loads import LOADED_STATES, LOOKBACK_S, HostLoad, LoadFigures
from console.model.commands import Command, Rebalance
from console.model.entities import Node, Vm, VmState
from console.model.events import Severity
from console.model.kernel import Context, Handler, Outcome
from console.model.settings import BalancerSettings

TARGET_IMBALANCE = {1: math.inf, 2: 0.20, 3: 0.12, 4: 0.07, 5: 0.03}
HIGH_WATER = {1: math.inf, 2: 0.95, 3: 0.85, 4: 0.80, 5: 0.75}
MIN_GAIN = {1: math.inf, 2: 0.04, 3: 0.02, 4: 0.01, 5: 0.005}
OVERLOAD_WEIGHT = 10.0
COST_PER_GB = 0.002
SHOULD_RULE_COST = 0.05
#: Added to a host's score per HA group priority class below the VM's highest: placement
#: prefers any host of a better class, whatever its load (Proxmox VE, "High Availability": Groups).
GROUP_RANK_COST = 1000.0
REPEAT_COST = 0.05
REPEAT_WINDOW_S = 86400.0
TARGET_CEILING = 0.85
PREFETCH_S = 20  # seconds before a periodic pass over which its loads are worked out, at least
#: VMs whose loads are worked out per simulated second ahead of a periodic pass, at most (more
#: VMs, more seconds ahead): some 5 ms of CPU a second.
PREFETCH_VMS = 500
#: A cluster of at most this many VMs is measured at the instant whenever asked; a larger one
#: chooses evacuation targets, and plans a pass off the timer, on its last pass's figures.
SLICE_VMS = 1000
#: VM figures of figures no longer used freed per simulated second (see Balancer._drop).
RELEASE_VMS = 5000
SOURCES_SCANNED = 6   # most loaded hosts considered as sources per move
TARGETS_SCANNED = 12  # least loaded hosts considered as targets per move
#: Lightest hosts able to take a VM compared for an evacuation (choose_target) in a cluster of
#: more than SLICE_VMS VMs; a smaller cluster compares them all.
EVACUATION_TARGETS_SCANNED = 24

#: A VM a move may take off a host, as `Balancer._offers` lists it: the VM; its load (CPU cores,
#: active GB, disk MB/s); the host's score without it; the host's part of the move's gain; the
#: move's fixed cost.
_Offer = tuple[Vm, float, float, float, float, float, float]

__all__ = ["LOADED_STATES", "LOOKBACK_S", "Balancer", "HostLoad", "Pass", "Recommendation"]


@dataclass(frozen=True, slots=True)
class Recommendation:
    """One proposed move: the VM, from `source` to `target`, why, its gain (in squared-load
    units, see the module docstring) and the cluster's imbalance once the plan up to it is done.
    """

    vm: str
    source: str
    target: str
    reason: str
    gain: float
    projected_imbalance: float

    def command_text(self) -> str:
        """The command that applies it: `migrate VM TARGET`."""
        return f"migrate {self.vm} {self.target}"


@dataclass(frozen=True, slots=True)
class Pass:
    """A balancing pass as the console tells it: when it decided (`t`, simulated seconds), why,
    the moves it applied (migrations started) and the moves it left as recommendations.
    `started` is when its work began: a periodic pass sums its hosts' loads for `t` in slices
    over the seconds before it (see `Balancer._prepare`); it equals `t` for a pass done in one
    go."""

    t: float
    why: str
    applied: tuple[Recommendation, ...] = ()
    recommended: tuple[Recommendation, ...] = ()
    started: float | None = None

    @property
    def began(self) -> float:
        """When the pass's work began (`started`, or `t` when it was all done at `t`)."""
        return self.t if self.started is None else self.started

    def when(self) -> str:
        """When it ran, in words: `at 900 s`, or `over 880-900 s` for a pass whose work began
        before the instant it decided."""
        if self.began < self.t:
            return f"over {self.began:.0f}-{self.t:.0f} s"
        return f"at {self.t:.0f} s"


class Balancer:
    """DRS-like balancing (VMware vSphere Resource Management, "DRS Cluster Validity" and the
    migration threshold): implements `kernel.Placer` for its peers.
    """

    def __init__(self, context: Context) -> None:
        self.context = context
        self.cluster = context.cluster
        self.recommendations: list[Recommendation] = []
        self.imbalance = 0.0
        self.last_run: float | None = None
        self.last_pass: Pass | None = None
        # Figures at the current instant, made when first asked for at it.
        self._now = LoadFigures(context, context.now)
        self._figures_measured = self._now  # the figures `_measure` last measured on
        # Figures for the next periodic pass, worked out ahead in slices (see _prepare); and
        # since when they are being worked out.
        self._ahead: LoadFigures | None = None
        self._ahead_from = 0.0
        self._now_from = context.now  # when the work on the current figures began
        self._apart_key: tuple[int, ...] = ()
        self._apart_vms: set[str] = set()
        # The last pass's figures, kept up to date for the hosts that change: what a large
        # cluster's evacuations and passes off the timer work from (see _target_figures).
        self._standing: LoadFigures | None = None
        self._planning: LoadFigures | None = None  # the figures of the pass being planned
        # Figures no longer used, freed a slice a second (see _drop).
        self._retired: list[LoadFigures] = []
        if len(self.cluster.vms) > SLICE_VMS:
            self._settle()
        if self.settings.interval_s > 0:
            context.schedule(self.settings.interval_s, self._periodic)
            self._prepare(self.settings.interval_s)

    @property
    def settings(self) -> BalancerSettings:
        """The cluster's balancer settings (automation, threshold, interval, hold-down)."""
        return self.cluster.settings.balancer

    @property
    def target_imbalance(self) -> float:
        """The imbalance (standard deviation of host loads) above which the threshold acts."""
        return TARGET_IMBALANCE[self.settings.threshold]

    def handlers(self) -> dict[type[Command], Handler]:
        """`rebalance [--dry-run]`."""
        return {Rebalance: self._rebalance}

    def reconcile(self) -> None:
        """The balancer acts on its timer and on `rebalance`."""

    def summary(self) -> dict[str, object]:
        """The run summary's `balancer` section: imbalance, target, last run, recommendations."""
        self.measure()
        return {"balancer": {
            "automation": self.settings.automation, "threshold": self.settings.threshold,
            "imbalance": round(self.imbalance, 4),
            "target_imbalance": (None if math.isinf(self.target_imbalance)
                                 else self.target_imbalance),
            "recommendations": [r.command_text() for r in self.recommendations]}}

    # -- measuring -----------------------------------------------------------------------------

    def hosts(self) -> list[Node]:
        """Hosts that may take VMs now (`placement.usable`)."""
        return [n for n in self.cluster.nodes.values() if placement.usable(n)]

    def _figures(self) -> LoadFigures:
        """The figures at the current instant: those worked out ahead at a periodic pass's."""
        now = self.context.now
        if self._now.t != now:
            old = self._now
            if self._ahead is not None and self._ahead.t == now:
                self._now, self._ahead = self._ahead, None
                self._now_from = self._ahead_from
            else:
                self._now = LoadFigures(self.context, now)
                self._now_from = now
            self._drop(old)
        return self._now

    def _drop(self, figures: LoadFigures | None) -> None:
        """Let go of `figures` unless still in use: a small one at once; one holding more than
        SLICE_VMS VM figures (50,000 take some 15 ms to free) is emptied RELEASE_VMS
        figures a second from the next second on, so that no pass's second pays for freeing
        the figures it replaces. Freeing changes nothing but memory."""
        if figures is None or figures in (self._now, self._ahead, self._standing):
            return
        if figures.size() <= SLICE_VMS:
            return
        self._retired.append(figures)
        if len(self._retired) == 1:
            self.context.schedule_quietly_at(self.context.now + 1, self._release)

    def _release(self) -> None:
        """Free RELEASE_VMS figures of the oldest retired figures; again next second while
        any are left."""
        if not self._retired[0].forget(RELEASE_VMS):
            self._retired.pop(0)
        if self._retired:
            self.context.schedule_quietly_at(self.context.now + 1, self._release)

    def _vm_tuple(self, vm: Vm) -> tuple[float, float, float]:
        return (self._planning or self._figures()).vm(vm)

    def vm_load(self, vm: Vm) -> HostLoad:
        """What `vm` weighs on its host for balancing (CPU cores, active GB, disk MB/s)."""
        return HostLoad(*self._vm_tuple(vm))

    def host_loads(self) -> dict[str, HostLoad]:
        """Every node's load; a VM in flight counts on its target. The result is a fresh dict
        of fresh HostLoads: callers may change it."""
        return {name: HostLoad(load.cpu, load.memory, load.disk)
                for name, load in self._figures().hosts().items()}

    def measure(self) -> float:
        """The cluster's imbalance now (standard deviation of usable hosts' load scores)."""
        self._measure()
        return self.imbalance

    def _measure(self) -> tuple[list[Node], dict[str, float]]:
        """Measure (on the figures of the pass being planned, else the current instant's); the
        usable hosts and their scores, in cluster order."""
        figures = self._planning or self._figures()
        figures.refresh()
        self._figures_measured = figures
        hosts = self.hosts()
        every = figures.scores()
        scores = {h.name: every[h.name] for h in hosts}
        self.imbalance = _stddev(list(scores.values()))
        return hosts, scores

    # -- planning ------------------------------------------------------------------------------

    def plan(self) -> list[Recommendation]:
        """Moves that bring the imbalance down and hosts under the high-water mark, greedily,
        best first."""
        hosts, scores = self._measure()
        if len(hosts) < 2:
            return []
        figures = self._figures_measured
        loads = figures.loads(scores)  # not copied: a plan replaces loads, never changes them
        moved: set[str] = set()
        plan = [*self._mandatory(hosts, loads, scores, moved),
                *self._repairs(hosts, loads, scores, moved)]
        level = self.settings.threshold
        high = HIGH_WATER[level]
        # The figures keep their hosts in (score, name) order: no sort unless a move came first.
        ranked = _Ranked(scores, None if plan else figures.ascending())
        offers: dict[str, tuple[HostLoad, list[_Offer]]] = {}
        for _ in range(self.settings.max_moves - len(plan)):
            hot = ranked.top() > high
            if level == 1 or (not hot and ranked.stddev_at_most(TARGET_IMBALANCE[level])):
                break
            best = self._best_move(hosts, loads, scores, moved, ranked.stddev_text(), ranked,
                                   offers)
            if best is None:
                break
            ranked.update(best.source, scores[best.source])
            ranked.update(best.target, scores[best.target])
            plan.append(best)
        return plan

    def _mandatory(self, hosts: list[Node], loads: dict[str, HostLoad],
                   scores: dict[str, float], moved: set[str]) -> list[Recommendation]:
        """VMs where a `must` rule forbids them: on a host a VM-host rule keeps them off, on a
        dedicated failover host, sharing a host with a VM they must stay apart from, or apart
        from VMs they must run with (a file may start them so). Of two VMs that must stay apart,
        or together, the first by name moves."""
        cluster = self.cluster
        bound = {vm for rule in cluster.rules if rule.strength == "must"
                 and rule.kind in ("vm-host", "vm-not-host") for vm in rule.vms}
        apart = self._apart()
        spare = {vm for host in cluster.settings.ha.failover_hosts if host in cluster.nodes
                 for vm in cluster.nodes[host].vms}
        partners: dict[str, set[str]] = {}  # must affinity: VM -> the VMs it must run with
        for rule in cluster.rules:
            if rule.kind == "affinity" and rule.strength == "must":
                for vm_name in rule.vms:
                    partners.setdefault(vm_name, set()).update(set(rule.vms) - {vm_name})
        found = []
        for name in sorted(bound | apart | spare | set(partners)):
            vm = cluster.vms.get(name)
            if vm is None or vm.state is not VmState.RUNNING or vm.host not in loads:
                continue  # hosts the balancer does not manage (entering maintenance, ...)
            if moved.intersection(partners.get(name, ())):
                continue  # a partner already moves to it (or it follows next pass)
            host = cluster.nodes[vm.host]
            why = placement.rule_refusal(cluster, vm, host)
            if why is None and name in apart:
                clash = [o for o in placement.conflicts(cluster, vm, host) if o != name]
                if clash and not moved.intersection(clash):
                    why = f"{vm.name} must not share {host.name} with {', '.join(clash)}"
            if why is None:
                continue
            target = self._least_loaded_fit(vm, hosts, scores)
            if target is None:
                continue
            self._apply(vm, host, target, loads, scores)
            moved.add(vm.name)
            found.append(Recommendation(vm.name, host.name, target.name, f"mandatory: {why}",
                                        0.0, _stddev(list(scores.values()))))
        return found

    def _apart(self) -> set[str]:
        """VMs that must stay apart from others (`Cluster.anti_affine`), kept while the cluster
        has as many VMs, rules, services and anti-affinity entries: those sets only grow, and
        only as VMs, rules or services are added (a scan of 50,000 entries per pass otherwise)."""
        cluster = self.cluster
        key = (len(cluster.vms), len(cluster.rules), len(cluster.services),
               len(cluster.anti_affine))
        if self._apart_key != key:
            self._apart_key = key
            self._apart_vms = {vm for vm, others in cluster.anti_affine.items() if others}
        return self._apart_vms

    def _repairs(self, hosts: list[Node], loads: dict[str, HostLoad],
                 scores: dict[str, float], moved: set[str]) -> list[Recommendation]:
        """VMs that break a `should` rule (HA restarted them where there was room) moved to a
        host that keeps more of their rules, when one has room below the target ceiling: DRS
        corrects rule violations before it balances load (vSphere Resource Management, "DRS
        migration threshold": level 1 applies only moves that satisfy rules and maintenance).
        One move per rule per pass: the next pass sees where it landed."""
        cluster = self.cluster
        ceiling = min(TARGET_CEILING, HIGH_WATER[self.settings.threshold])
        found = []
        for rule in cluster.rules:
            if rule.strength != "should":
                continue
            for name in rule.vms:
                vm = cluster.vms.get(name)
                if (vm is None or vm.host not in loads or vm.name in moved
                        or not self._movable(vm)):
                    continue  # not on a host the balancer manages, or held
                host = cluster.nodes[vm.host]
                broken = placement.should_breaches(cluster, vm, host)
                if rule.name not in broken:
                    continue
                target = self._repair_target(vm, host, hosts, loads, len(broken), ceiling)
                if target is None:
                    continue
                self._apply(vm, host, target, loads, scores)
                moved.add(vm.name)
                found.append(Recommendation(
                    vm.name, host.name, target.name,
                    f"should rule {rule.name}: {vm.name} breaks it on {host.name}, not on "
                    f"{target.name}", 0.0, _stddev(list(scores.values()))))
                break
        return found

    def _repair_target(self, vm: Vm, host: Node, hosts: list[Node], loads: dict[str, HostLoad],
                       breaches: int, ceiling: float) -> Node | None:
        """The host that breaks fewer of `vm`'s `should` rules than `breaches`, fewest first,
        then least loaded once `vm` is on it (at most `ceiling`), that `vm` may migrate to."""
        c, m, d = self._vm_tuple(vm)
        best: tuple[int, float, str] | None = None
        chosen: Node | None = None
        for target in hosts:
            if target.name == host.name:
                continue
            count = len(placement.should_breaches(self.cluster, vm, target))
            if count >= breaches:
                continue
            load = loads[target.name]
            after = max((load.cpu + c) / target.cores, (load.memory + m) / target.memory_gb,
                        (load.disk + d) / target.disk_mbps)
            key = (count, after, target.name)
            if after > ceiling or (best is not None and key >= best):
                continue
            if self.context.migrations.refusal(vm, target) is None:
                best, chosen = key, target
        return chosen

    def _best_move(self, hosts: list[Node], loads: dict[str, HostLoad],
                   scores: dict[str, float], moved: set[str],
                   current: str, ranked: _Ranked,
                   offers: dict[str, tuple[HostLoad, list[_Offer]]]) -> Recommendation | None:
        """The best move now; `current`: the imbalance now, as the reason shows it. `offers`:
        the plan's VMs worth moving off each source at its load (`_offers`), kept from move
        to move (a move changes two hosts' loads; the other sources' offers stand)."""
        sources = ranked.highest(SOURCES_SCANNED)
        targets = ranked.lowest(TARGETS_SCANNED)
        nodes = self.cluster.nodes
        n = len(hosts)
        sums: tuple[float, float] | None = None  # the scores' sum and sum of squares
        level = self.settings.threshold
        min_gain = MIN_GAIN[level]
        ceiling = min(TARGET_CEILING, HIGH_WATER[level])
        refusal = self.context.migrations.refusal
        # Targets as plain numbers: this loop runs sources x VMs x targets times per move.
        candidates = [(name, nodes[name], scores[name], loads[name].cpu, loads[name].memory,
                       loads[name].disk, nodes[name].cores, nodes[name].memory_gb,
                       nodes[name].disk_mbps, scores[name] * scores[name]) for name in targets]
        rules = bool(self.cluster.rules)
        best: tuple[float, Recommendation] | None = None
        for source_name in sources:
            source = nodes[source_name]
            s_old = scores[source_name]
            if not any(candidate[2] < s_old for candidate in candidates):
                continue
            kept = offers.get(source_name)
            if kept is None or kept[0] is not loads[source_name]:
                kept = offers[source_name] = (loads[source_name],
                                              self._offers(source, loads, s_old, moved))
            # Twins: a VM of the same load and cost as one weighed before it on this source
            # moves for the same value to every target (rules and HA groups aside), so it can
            # beat the best move only at the targets that refused every twin before it.
            open_to: dict[tuple[float, float, float, float], set[str]] = {}
            for vm, c, m, d, src_after, source_gain, fixed_cost in kept[1]:
                if vm.name in moved:
                    continue
                grouped = bool(vm.group)
                twin = None if rules or grouped else (c, m, d, fixed_cost)
                only = open_to.get(twin) if twin is not None else None
                refused: set[str] = set()
                if twin is not None:
                    open_to[twin] = refused
                # A target's part of the gain is never positive (its load only grows): a VM
                # whose source part cannot beat the best move is done.
                if (only is not None and not only) or (
                        best is not None and source_gain - fixed_cost <= best[0]):
                    continue
                for (target_name, target, t_old, t_cpu, t_mem, t_disk, cores, memory_gb,
                     disk_mbps, t_square) in candidates:
                    if target_name == source_name or t_old >= s_old:
                        continue
                    if only is not None and target_name not in only:
                        continue
                    if grouped and self._lower_in_group(vm, source, target):
                        continue
                    tgt_after = max((t_cpu + c) / cores, (t_mem + m) / memory_gb,
                                    (t_disk + d) / disk_mbps)
                    if tgt_after > ceiling or tgt_after >= s_old:
                        continue
                    # Neither end of the target's change is above the high-water mark (the
                    # ceiling is at most the mark, and the load only grows): no excess term.
                    gain = source_gain + (t_square - tgt_after * tgt_after)
                    if gain < min_gain:
                        continue
                    value = gain - fixed_cost
                    if rules:
                        value -= SHOULD_RULE_COST * self._breaches(vm, target)
                    if value <= 0 or (best is not None and value <= best[0]):
                        continue
                    if refusal(vm, target) is not None:
                        refused.add(target_name)
                        continue
                    if sums is None:
                        values = scores.values()
                        sums = sum(values), sum(map(mul, values, values))  # s * s each, in C
                    total, squares = sums
                    new_total = total - s_old - t_old + src_after + tgt_after
                    new_squares = (squares - s_old ** 2 - t_old ** 2
                                   + src_after ** 2 + tgt_after ** 2)
                    after = math.sqrt(max(0.0, new_squares / n - (new_total / n) ** 2))
                    reason = (f"{source_name} at {s_old:.0%}, {target_name} at {t_old:.0%}: "
                              f"moving {vm.name} lowers the imbalance {current} → "
                              f"{after:.3f}")
                    best = (value, Recommendation(vm.name, source_name, target_name, reason,
                                                  gain, after))
        if best is None:
            return None
        recommendation = best[1]
        vm = self.cluster.vms[recommendation.vm]
        self._apply(vm, self.cluster.nodes[recommendation.source],
                    self.cluster.nodes[recommendation.target], loads, scores)
        moved.add(vm.name)
        return recommendation

    def _offers(self, source: Node, loads: dict[str, HostLoad], s_old: float,
                moved: set[str]) -> list[_Offer]:
        """The VMs on `source` (in name order) a move may take off it at its load now (score
        `s_old`): not moved by the plan yet, movable, making the host busy (it scores lower
        without them) and gaining at least the threshold's minimum on the source's side; each
        with its load (CPU cores, GB, MB/s), the source's score without it, the source's part
        of the gain and the move's fixed cost (memory to copy, a recent move)."""
        level = self.settings.threshold
        min_gain = MIN_GAIN[level]
        high = HIGH_WATER[level]
        now = self.context.now
        figures = self._planning or self._figures()
        load = loads[source.name]
        cpu, memory, disk = load.cpu, load.memory, load.disk
        cores, memory_gb, disk_mbps = source.cores, source.memory_gb, source.disk_mbps
        found: list[_Offer] = []
        for vm in self.cluster.vms_on(source):
            if vm.name in moved or not self._movable(vm):
                continue
            c, m, d = figures.vm(vm)
            # HostLoad.score of the load without the VM, as plain numbers.
            src_after = max((cpu - c) / cores, (memory - m) / memory_gb, (disk - d) / disk_mbps)
            if src_after >= s_old:
                continue  # the VM is not what makes the host busy
            repeat = (REPEAT_COST if vm.last_migrated_at is not None
                      and now - vm.last_migrated_at < REPEAT_WINDOW_S else 0.0)
            source_gain = (s_old * s_old - src_after * src_after + OVERLOAD_WEIGHT
                           * (_excess(s_old, high) - _excess(src_after, high)))
            if source_gain >= min_gain:
                found.append((vm, c, m, d, src_after, source_gain,
                              COST_PER_GB * vm.memory_gb + repeat))
        return found

    def _movable(self, vm: Vm) -> bool:
        if vm.state is not VmState.RUNNING or self.context.migrations.is_moving(vm.name):
            return False
        if vm.last_migrated_at is None:  # never moved (0.0 is a time: moved at the start)
            return True
        held_until = vm.last_migrated_at + self.settings.holddown_s
        return self.context.now >= held_until

    def _lower_in_group(self, vm: Vm, source: Node, target: Node) -> bool:
        """Is `target` of a lower priority than `source` in `vm`'s HA group? Balancing never
        moves a VM down its group's priorities (Proxmox VE runs it on the highest available)."""
        return (placement.group_rank(self.cluster, vm, target)
                > placement.group_rank(self.cluster, vm, source))

    def _breaches(self, vm: Vm, target: Node) -> int:
        """`should` rules that moving `vm` to `target` would break."""
        if not self.cluster.rules:
            return 0
        return len(placement.should_breaches(self.cluster, vm, target))

    def _apply(self, vm: Vm, source: Node, target: Node, loads: dict[str, HostLoad],
               scores: dict[str, float]) -> None:
        load = HostLoad(*self._vm_tuple(vm))
        loads[source.name] = _minus(loads[source.name], load)
        loads[target.name] = _plus(loads[target.name], load)
        scores[source.name] = loads[source.name].score(source)
        scores[target.name] = loads[target.name].score(target)

    def _least_loaded_fit(self, vm: Vm, hosts: list[Node],
                          scores: dict[str, float]) -> Node | None:
        """The first host in (score, name) order that `vm` may migrate to. A heap, not a sort:
        the first candidate nearly always does."""
        order = [(scores[h.name], h.name, i) for i, h in enumerate(hosts)]
        heapq.heapify(order)
        refusal = self.context.migrations.refusal
        while order:
            host = hosts[heapq.heappop(order)[2]]
            if refusal(vm, host) is None:
                return host
        return None

    def choose_target(self, vm: Vm, exclude: tuple[str, ...] = ()) -> Node | None:
        """Initial placement and evacuation: the least loaded host that may take `vm` now,
        among those of the best priority class of its HA group.

        Migrations already queued count on their targets, for load and for room, so that an
        evacuation does not send every VM to the one host that looked emptiest. Loads are the
        current instant's in a cluster of at most SLICE_VMS VMs; in a larger one, the last
        pass's figures (kept up to date for hosts whose VMs changed since), so that evacuating
        a host does not measure 50,000 VMs in one second. Hosts are looked at lightest first
        and no further than a host whose load alone passes the best score found; in that larger
        cluster, no further than the EVACUATION_TARGETS_SCANNED lightest that may take `vm`,
        unless rules or an HA group weigh on the choice. Before that larger cluster's first
        pass, the figures are those being summed a slice a second since the start (see
        `_settle`): the hosts summed so far are compared, and if none of them may take `vm`,
        the next slice is summed now, until one may or every host is summed."""
        figures = self._target_figures()
        while True:
            host = self._least_loaded_target(vm, exclude, figures)
            if host is not None or not figures.partial:
                return host
            self._settle_next(figures)

    def _least_loaded_target(self, vm: Vm, exclude: tuple[str, ...],
                             figures: LoadFigures) -> Node | None:
        """`choose_target` on `figures` (among the hosts they have summed)."""
        order = figures.ascending()
        queued: dict[str, list[Vm]] = {}
        for migration in self.context.migrations.queued:
            queued.setdefault(migration.target, []).append(self.cluster.vms[migration.vm])
        extra: dict[str, HostLoad] = {}
        for target, moving in queued.items():
            if not figures.summed(target):
                continue  # not looked at: partial figures list the hosts summed so far
            total = figures.load(target)
            for other in moving:
                total = _plus(total, HostLoad(*figures.vm(other)))
            extra[target] = total
        c, m, d = figures.vm(vm)
        rules = bool(self.cluster.rules)
        nodes = self.cluster.nodes
        refusal = self.context.migrations.refusal
        found: list[tuple[float, str]] = []  # a heap of (score, host) of the hosts looked at
        # A large cluster's evacuation compares the lightest hosts only, as a pass does.
        capped = figures is self._standing and not rules and not vm.group
        for base, name in order:
            if capped and len(found) >= EVACUATION_TARGETS_SCANNED:
                break
            # Every host from here on scores at least `base` (a VM only adds to a load).
            while found and found[0][0] < base:
                host = nodes[heapq.heappop(found)[1]]
                if refusal(vm, host) is None:
                    return host
            h = nodes[name]
            if name in exclude or name == vm.host or not placement.usable(h):
                continue
            waiting = queued.get(name)
            if waiting and not self._room_after_queue(vm, h, waiting):
                continue
            load = extra[name] if name in extra else figures.load(name)
            score = max((load.cpu + c) / h.cores, (load.memory + m) / h.memory_gb,
                        (load.disk + d) / h.disk_mbps)
            if rules:
                score += SHOULD_RULE_COST * self._breaches(vm, h)
            if vm.group:
                score += GROUP_RANK_COST * placement.group_rank(self.cluster, vm, h)
            heapq.heappush(found, (score, name))
        while found:
            host = nodes[heapq.heappop(found)[1]]
            if refusal(vm, host) is None:
                return host
        return None

    def _target_figures(self) -> LoadFigures:
        """The figures `choose_target` and a pass off the timer work from: the current
        instant's in a cluster of at most SLICE_VMS VMs, or before any pass; else the last
        pass's, kept up to date for the hosts that changed since."""
        if self._standing is None or len(self.cluster.vms) <= SLICE_VMS:
            return self._figures()
        return self._standing

    def _room_after_queue(self, vm: Vm, host: Node, queued: list[Vm]) -> bool:
        if not queued:
            return True
        cluster = self.cluster
        vcpus = host.used_vcpus + sum(o.vcpus for o in queued) + vm.vcpus
        memory = host.used_memory_gb + sum(o.memory_gb for o in queued) + vm.memory_gb
        return (vcpus <= cluster.vcpu_capacity(host)
                and memory <= cluster.memory_capacity(host) + 1e-9)

    # -- running -------------------------------------------------------------------------------

    def _prepare(self, due: float) -> None:
        """Work out the next periodic pass's figures ahead: a slice of the hosts a second, over
        PREFETCH_S seconds or, above PREFETCH_S * PREFETCH_VMS VMs, as many seconds as it
        takes to sum about PREFETCH_VMS VMs a second (100 s for 50,000), within the interval.

        A figure is a pure function of the placement and the time, and a host summed ahead is
        summed again at the pass if its VMs changed since (`Cluster.changes`): the pass at `due`
        sees exactly the numbers it would have computed itself, without measuring 50,000 VMs in
        its own second. The second before the slices works out `_apart` ahead the same way.
        """
        old = self._ahead
        figures = self._ahead = LoadFigures(self.context, due)
        self._drop(old)
        parts = max(PREFETCH_S, -(-len(self.cluster.vms) // PREFETCH_VMS))
        lead = int(min(parts, due - self.context.now))
        self._ahead_from = due - lead
        for i in range(lead):
            self.context.schedule_quietly_at(
                due - lead + i, lambda k=i, n=lead: self._prefetch(figures, k, n))
        if due - lead - 1 > self.context.now:
            # The VMs kept apart by rules, a scan of every VM's anti-affinity the first time:
            # in a second of its own before the slices, not in the pass's.
            self.context.schedule_quietly_at(due - lead - 1, self._apart)

    def _settle(self) -> None:
        """A large cluster's first standing figures (what evacuations and passes off the timer
        work from until a pass replaces them), for the instant the balancer starts: summed a
        slice of the hosts a second from the next second on, about PREFETCH_VMS VMs a second,
        and used meanwhile as far as summed (`LoadFigures.partial`), so that an evacuation
        before the first pass never measures every VM in one second."""
        figures = self._standing = LoadFigures(self.context, self.context.now, partial=True)
        parts = -(-len(self.cluster.vms) // PREFETCH_VMS)
        for i in range(parts):
            self.context.schedule_quietly_at(
                self.context.now + 1 + i, lambda k=i, n=parts: self._settle_slice(figures, k, n))

    def _settle_next(self, figures: LoadFigures) -> None:
        """Sum the next slice's worth of hosts the partial `figures` have not summed yet (in
        cluster order), or make them whole if none are left."""
        names = self.cluster.node_order
        size = -(-len(names) // -(-len(self.cluster.vms) // PREFETCH_VMS))
        missing = [name for name in names if not figures.summed(name)][:size]
        if missing:
            figures.measure(missing)
        else:
            figures.complete()

    def _settle_slice(self, figures: LoadFigures, part: int, parts: int) -> None:
        """Sum slice `part` of `parts` of the hosts (in cluster order) into the first standing
        `figures`, unless a pass replaced them; the last slice sums any host left (one that
        joined meanwhile) and makes them whole."""
        if self._standing is not figures:
            return
        names = self.cluster.node_order
        size = -(-len(names) // parts)
        figures.measure(names[part * size:(part + 1) * size])
        if part == parts - 1:
            figures.complete()

    def _prefetch(self, figures: LoadFigures, part: int, parts: int) -> None:
        """Sum slice `part` of `parts` of the hosts (in cluster order) for the pass `figures`
        are for, unless that pass's figures were dropped since; the last slice also puts the
        hosts in load order (`LoadFigures.ascending`), which the pass ranks them by."""
        if self._ahead is not figures:
            return
        names = self.cluster.node_order
        size = -(-len(names) // parts)
        figures.measure(names[part * size:(part + 1) * size])
        if part == parts - 1:
            figures.ascending()

    def _periodic(self) -> None:
        self.context.schedule(self.settings.interval_s, self._periodic)
        self.run(apply=self.settings.automation == "full", why="periodic pass", periodic=True)
        self._prepare(self.context.now + self.settings.interval_s)

    def run(self, apply: bool, why: str, periodic: bool = False) -> list[Recommendation]:
        """A balancing pass because of `why`: plan, then apply (start the migrations) or recommend.
        Returns the plan (empty without quorum or when balanced).

        A periodic pass plans on the figures for its instant, summed ahead. Any other pass (a
        host joined or left maintenance, an operator's rebalance) plans on them too in a
        cluster of at most SLICE_VMS VMs; in a larger one, on the last pass's figures, kept up
        to date for the hosts whose VMs changed since, rather than measure every VM at once
        (before its first pass, once its first figures are whole: until then, on the instant's).
        """
        if not self.context.membership.has_quorum():
            return []
        figures = self._target_figures()
        if periodic or figures.partial:
            # A large cluster's first figures are not whole yet (see _settle): a pass measures
            # the instant's, as a periodic pass or a small cluster's does.
            figures = self._figures()
        self._planning = figures
        try:
            plan = self.plan()
        finally:
            self._planning = None
        old, self._standing = self._standing, figures
        self._drop(old)
        started = self._now_from if figures is self._now else self.context.now
        before = self.imbalance
        unchanged = not apply and [r.command_text() for r in plan] == [
            r.command_text() for r in self.recommendations]
        self.recommendations = [] if apply else plan
        self.last_run = self.context.now
        self.last_pass = Pass(self.context.now, why, recommended=() if apply else tuple(plan),
                              started=started)
        if not plan or unchanged:
            return plan
        after = plan[-1].projected_imbalance
        verb = "moving" if apply else "recommends"
        target = self.target_imbalance
        goal = "mandatory moves only" if math.isinf(target) else f"target {target:.2f}"
        self.context.emit("balancer", "cluster",
                          f"{why}: imbalance {before:.3f} ({goal}); {verb} {len(plan)} VM(s), "
                          f"projected {after:.3f}", Severity.INFO)
        applied: list[Recommendation] = []
        for recommendation in plan:
            if apply:
                vm = self.cluster.vms[recommendation.vm]
                target = self.cluster.nodes[recommendation.target]
                if self.context.migrations.refusal(vm, target) is None:
                    self.context.migrations.start(vm, target, "balancer")
                    applied.append(recommendation)
            else:
                self.context.emit("recommendation", recommendation.vm,
                                  f"{recommendation.command_text()}: {recommendation.reason}")
        if applied:
            self.last_pass = Pass(self.context.now, why, applied=tuple(applied), started=started)
        return plan

    def spread(self, why: str) -> None:
        """A pass now because of `why` (a host joined or left maintenance): moves are applied
        under full automation, recommended otherwise."""
        self.run(apply=self.settings.automation == "full", why=why)

    def _rebalance(self, command: Command) -> Outcome:
        assert isinstance(command, Rebalance)
        plan = self.run(apply=not command.dry_run,
                        why="dry run" if command.dry_run else "operator's rebalance")
        if not plan:
            return Outcome.ok(f"balanced: imbalance {self.imbalance:.3f}")
        return Outcome.ok(f"{len(plan)} move(s)")


class _Ranked:
    """Hosts in (score, name) order, kept so as scores change: a pass's most and least loaded
    hosts without sorting 2,500 hosts for every move it weighs; and the scores' standard
    deviation (`_stddev`) from running sums, worked out over every host again only when the
    running figure is too close to call (see `stddev_at_most`, `stddev_text`)."""

    def __init__(self, scores: dict[str, float],
                 order: list[tuple[float, str]] | None = None) -> None:
        """`order`: (score, name) of every host in `scores` and maybe others, in ascending order
        (`LoadFigures.ascending`), or None to sort `scores` here."""
        self._scores = dict(scores)
        if order is None:
            self._order = sorted((score, name) for name, score in scores.items())
        elif len(order) == len(scores):
            self._order = list(order)
        else:
            self._order = [pair for pair in order if pair[1] in scores]
        values = self._scores.values()
        self._total = sum(values)
        self._squares = sum(map(mul, values, values))
        self._updates = 0

    def update(self, name: str, score: float) -> None:
        """Host `name` now scores `score`."""
        old = self._scores[name]
        del self._order[bisect_left(self._order, (old, name))]
        self._scores[name] = score
        insort(self._order, (score, name))
        self._total += score - old
        self._squares += score * score - old * old
        self._updates += 1

    def stddev(self) -> float:
        """The scores' standard deviation, worked out over every host (`_stddev`)."""
        return _stddev(list(self._scores.values()))

    def _rough(self) -> tuple[float, float]:
        """The standard deviation from the running sums, and a bound on how far it may be from
        `stddev`: the sums' rounding (at most one unit in the last place of the largest sum
        per term added), through the square root, ten times over."""
        n = len(self._scores)
        mean_square = self._squares / n
        variance = mean_square - (self._total / n) ** 2
        error = 4 * (n + 2 * self._updates) * sys.float_info.epsilon * (
            mean_square + abs(self._total / n) + 1.0)
        return math.sqrt(max(0.0, variance)), 10 * math.sqrt(error)

    def stddev_at_most(self, limit: float) -> bool:
        """`stddev() <= limit`, from the running sums unless they are too close to call."""
        rough, margin = self._rough()
        if abs(rough - limit) > margin:
            return rough <= limit
        return self.stddev() <= limit

    def stddev_text(self) -> str:
        """`f"{stddev():.3f}"`, from the running sums unless they are too close to a rounding
        boundary (a thousandth and a half) to call."""
        rough, margin = self._rough()
        scaled = rough * 1000
        if abs(scaled - math.floor(scaled) - 0.5) > margin * 1000 + 1e-9:
            return f"{rough:.3f}"
        return f"{self.stddev():.3f}"

    def top(self) -> float:
        """The highest score (`max` of the scores)."""
        return self._order[-1][0]

    def lowest(self, count: int) -> list[str]:
        """The `count` least loaded hosts, in (score, name) order."""
        return [name for _, name in self._order[:count]]

    def highest(self, count: int) -> list[str]:
        """The `count` most loaded hosts, in (-score, name) order: of equal scores, the first
        name first."""
        order = self._order
        if not order or count <= 0:
            return []
        start = max(0, len(order) - count)
        while start > 0 and order[start - 1][0] == order[start][0]:
            start -= 1  # ties at the cut: the first names among them count
        return [name for _, name in sorted(order[start:], key=lambda p: (-p[0], p[1]))[:count]]


def _stddev(values: list[float]) -> float:
    """The population standard deviation of `values` (0.0 for none): the square root of the
    mean of `(v - mean) ** 2`, summed in order (mapped in C, the same floats as a loop)."""
    if not values:
        return 0.0
    mean = sum(values) / len(values)
    return math.sqrt(sum(map(pow, map(sub, values, repeat(mean)), repeat(2))) / len(values))


def _excess(load: float, high: float) -> float:
    return (load - high) ** 2 if load > high else 0.0


def _plus(a: HostLoad, b: HostLoad) -> HostLoad:
    return HostLoad(a.cpu + b.cpu, a.memory + b.memory, a.disk + b.disk)


def _minus(a: HostLoad, b: HostLoad) -> HostLoad:
    return HostLoad(a.cpu - b.cpu, a.memory - b.memory, a.disk - b.disk)
