"""DRS-like load balancing: score host load on CPU, memory and disk, and move VMs to even it out.

A host's load is its busiest resource: CPU demand over cores, active memory over memory, disk I/O
over disk throughput. The cluster's imbalance is the standard deviation of host loads. Thresholds:

* 1 conservative: mandatory moves only (a VM on a host a `must` rule forbids); never for load.
* 2: balance when imbalance > 0.20 or a host is over 100 %; a move must gain at least 0.04.
* 3 (default): imbalance > 0.12; gain >= 0.02.
* 4: imbalance > 0.07; gain >= 0.01.
* 5 aggressive: imbalance > 0.03; gain >= 0.005.

Moves are chosen greedily, best first: the gain in imbalance must also pay for the migration (each
GB of memory to copy costs 0.002 of gain, with `should`-rule breaches costing 0.05 each). A target
whose projected load would pass 85 % is never chosen; a VM moved in the last hold-down period
(default 1 h) stays put, so nothing bounces back and forth.

Automation: manual (recommendations only), partial (initial placement only; moves recommended),
full (moves applied). `rebalance` applies the current plan whatever the level (an operator asked);
`rebalance --dry-run` only lists it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from console.model import placement
from console.model.commands import Command, Rebalance
from console.model.entities import Node, Vm, VmState
from console.model.events import Severity

if TYPE_CHECKING:
    from console.model.engine import Engine, Handler, Outcome

TARGET_IMBALANCE = {1: math.inf, 2: 0.20, 3: 0.12, 4: 0.07, 5: 0.03}
MIN_GAIN = {1: math.inf, 2: 0.04, 3: 0.02, 4: 0.01, 5: 0.005}
COST_PER_GB = 0.002
SHOULD_RULE_COST = 0.05
TARGET_CEILING = 0.85
SOURCES_SCANNED = 6   # most loaded hosts considered as sources per move
TARGETS_SCANNED = 12  # least loaded hosts considered as targets per move


@dataclass(slots=True)
class HostLoad:
    cpu: float = 0.0     # cores of demand
    memory: float = 0.0  # GB active
    disk: float = 0.0    # MB/s

    def score(self, node: Node) -> float:
        return max(self.cpu / node.cores, self.memory / node.memory_gb,
                   self.disk / node.disk_mbps)


@dataclass(frozen=True, slots=True)
class Recommendation:
    vm: str
    source: str
    target: str
    reason: str
    gain: float
    projected_imbalance: float

    def command_text(self) -> str:
        return f"migrate {self.vm} {self.target}"


class Balancer:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.cluster = engine.cluster
        self.recommendations: list[Recommendation] = []
        self.imbalance = 0.0
        self.last_run: float | None = None
        self._loads: dict[str, HostLoad] = {}
        if self.settings.interval_s > 0:
            engine.schedule(self.settings.interval_s, self._periodic)

    @property
    def settings(self):
        return self.cluster.settings.balancer

    @property
    def target_imbalance(self) -> float:
        return TARGET_IMBALANCE[self.settings.threshold]

    def handlers(self) -> dict[type[Command], Handler]:
        return {Rebalance: self._rebalance}

    def reconcile(self) -> None:
        """The balancer acts on its timer and on `rebalance`."""

    def summary(self) -> dict[str, object]:
        self.measure()
        return {"balancer": {
            "automation": self.settings.automation, "threshold": self.settings.threshold,
            "imbalance": round(self.imbalance, 4),
            "target_imbalance": (None if math.isinf(self.target_imbalance)
                                 else self.target_imbalance),
            "recommendations": [r.command_text() for r in self.recommendations]}}

    # -- measuring -----------------------------------------------------------------------------

    def hosts(self) -> list[Node]:
        return [n for n in self.cluster.nodes.values() if placement.usable(n)]

    def vm_load(self, vm: Vm) -> HostLoad:
        demand = self.engine.workloads.demand(vm, self.engine.now)
        return HostLoad(demand.cpu * vm.vcpus, demand.memory * vm.memory_gb, demand.disk_mbps)

    def host_loads(self) -> dict[str, HostLoad]:
        loads = {n.name: HostLoad() for n in self.cluster.nodes.values()}
        for vm in self.cluster.vms.values():
            if vm.state not in (VmState.RUNNING, VmState.MIGRATING, VmState.RESTARTING):
                continue
            load = self.vm_load(vm)
            host = loads[vm.target or vm.host]  # type: ignore[index]
            host.cpu += load.cpu
            host.memory += load.memory
            host.disk += load.disk
        return loads

    def measure(self) -> float:
        self._loads = self.host_loads()
        hosts = self.hosts()
        self.imbalance = _stddev([self._loads[h.name].score(h) for h in hosts])
        return self.imbalance

    # -- planning ------------------------------------------------------------------------------

    def plan(self) -> list[Recommendation]:
        """Moves that bring the imbalance down, greedily, best first."""
        self.measure()
        hosts = self.hosts()
        if len(hosts) < 2:
            return []
        loads = {h.name: _plus(HostLoad(), self._loads[h.name]) for h in hosts}
        scores = {h.name: loads[h.name].score(h) for h in hosts}
        moved: set[str] = set()
        plan = [*self._mandatory(hosts, loads, scores, moved)]
        level = self.settings.threshold
        for _ in range(self.settings.max_moves - len(plan)):
            current = _stddev(list(scores.values()))
            overloaded = any(s > 1.0 for s in scores.values())
            if level == 1 or (current <= TARGET_IMBALANCE[level] and not overloaded):
                break
            best = self._best_move(hosts, loads, scores, moved, current)
            if best is None:
                break
            plan.append(best)
        return plan

    def _mandatory(self, hosts: list[Node], loads: dict[str, HostLoad],
                   scores: dict[str, float], moved: set[str]) -> list[Recommendation]:
        """VMs on a host that a `must` rule forbids them."""
        found = []
        for vm in self.cluster.vms.values():
            if vm.state is not VmState.RUNNING or vm.host is None:
                continue
            host = self.cluster.nodes[vm.host]
            why = placement.rule_refusal(self.cluster, vm, host)
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

    def _best_move(self, hosts: list[Node], loads: dict[str, HostLoad],
                   scores: dict[str, float], moved: set[str],
                   current: float) -> Recommendation | None:
        by_load = sorted(hosts, key=lambda h: (-scores[h.name], h.name))
        sources = by_load[:SOURCES_SCANNED]
        targets = list(reversed(by_load))[:TARGETS_SCANNED]
        n = len(hosts)
        total = sum(scores.values())
        squares = sum(s * s for s in scores.values())
        min_gain = MIN_GAIN[self.settings.threshold]
        best: tuple[float, Recommendation] | None = None
        for source in sources:
            for vm in self.cluster.vms_on(source):
                if not self._movable(vm) or vm.name in moved:
                    continue
                load = self.vm_load(vm)
                src_after = _minus(loads[source.name], load).score(source)
                for target in targets:
                    if target is source or scores[target.name] >= scores[source.name]:
                        continue
                    tgt_after = _plus(loads[target.name], load).score(target)
                    if tgt_after > TARGET_CEILING or tgt_after >= scores[source.name]:
                        continue
                    if self.engine.migrations.refusal(vm, target) is not None:
                        continue
                    s_old, t_old = scores[source.name], scores[target.name]
                    new_total = total - s_old - t_old + src_after + tgt_after
                    new_squares = (squares - s_old ** 2 - t_old ** 2
                                   + src_after ** 2 + tgt_after ** 2)
                    after = math.sqrt(max(0.0, new_squares / n - (new_total / n) ** 2))
                    gain = current - after
                    cost = COST_PER_GB * vm.memory_gb + SHOULD_RULE_COST * self._breaches(
                        vm, target)
                    value = gain - cost
                    if gain < min_gain or value <= 0:
                        continue
                    if best is None or value > best[0]:
                        reason = (f"{source.name} at {s_old:.0%}, {target.name} at {t_old:.0%}: "
                                  f"moving {vm.name} lowers the imbalance {current:.3f} → "
                                  f"{after:.3f}")
                        best = (value, Recommendation(vm.name, source.name, target.name,
                                                      reason, gain, after))
        if best is None:
            return None
        recommendation = best[1]
        vm = self.cluster.vms[recommendation.vm]
        self._apply(vm, self.cluster.nodes[recommendation.source],
                    self.cluster.nodes[recommendation.target], loads, scores)
        moved.add(vm.name)
        return recommendation

    def _movable(self, vm: Vm) -> bool:
        if vm.state is not VmState.RUNNING or vm.name in self.engine.migrations.active:
            return False
        held_until = (vm.last_migrated_at or -math.inf) + self.settings.holddown_s
        return self.engine.now >= held_until

    def _breaches(self, vm: Vm, target: Node) -> int:
        """`should` rules that moving `vm` to `target` would break."""
        count = 0
        for rule in self.cluster.rules:
            if rule.strength != "should" or vm.name not in rule.vms:
                continue
            others = {self.cluster.vms[o].host for o in rule.vms
                      if o != vm.name and o in self.cluster.vms}
            broken = {
                "affinity": bool(others - {target.name}),
                "anti-affinity": target.name in others,
                "vm-host": target.name not in rule.hosts,
                "vm-not-host": target.name in rule.hosts,
            }
            count += broken[rule.kind]
        return count

    def _apply(self, vm: Vm, source: Node, target: Node, loads: dict[str, HostLoad],
               scores: dict[str, float]) -> None:
        load = self.vm_load(vm)
        loads[source.name] = _minus(loads[source.name], load)
        loads[target.name] = _plus(loads[target.name], load)
        scores[source.name] = loads[source.name].score(source)
        scores[target.name] = loads[target.name].score(target)

    def _least_loaded_fit(self, vm: Vm, hosts: list[Node],
                          scores: dict[str, float]) -> Node | None:
        for host in sorted(hosts, key=lambda h: (scores[h.name], h.name)):
            if self.engine.migrations.refusal(vm, host) is None:
                return host
        return None

    def choose_target(self, vm: Vm, exclude: tuple[str, ...] = ()) -> Node | None:
        """Initial placement and evacuation: the least loaded host that may take `vm` now."""
        loads = self.host_loads()
        hosts = [h for h in self.hosts() if h.name not in exclude and h.name != vm.host]
        scores = {h.name: _plus(loads[h.name], self.vm_load(vm)).score(h)
                  + SHOULD_RULE_COST * self._breaches(vm, h) for h in hosts}
        return self._least_loaded_fit(vm, hosts, scores)

    # -- running -------------------------------------------------------------------------------

    def _periodic(self) -> None:
        self.engine.schedule(self.settings.interval_s, self._periodic)
        self.run(apply=self.settings.automation == "full", why="periodic pass")

    def run(self, apply: bool, why: str) -> list[Recommendation]:
        if not self.engine.membership.main_has_quorum():
            return []
        before = self.measure()
        plan = self.plan()
        unchanged = not apply and [r.command_text() for r in plan] == [
            r.command_text() for r in self.recommendations]
        self.recommendations = [] if apply else plan
        self.last_run = self.engine.now
        if not plan or unchanged:
            return plan
        after = plan[-1].projected_imbalance
        verb = "moving" if apply else "recommends"
        self.engine.emit("balancer", "cluster",
                         f"{why}: imbalance {before:.3f} (target "
                         f"{self.target_imbalance:.2f}); {verb} {len(plan)} VM(s), projected "
                         f"{after:.3f}", Severity.INFO)
        for recommendation in plan:
            if apply:
                vm = self.cluster.vms[recommendation.vm]
                target = self.cluster.nodes[recommendation.target]
                if self.engine.migrations.refusal(vm, target) is None:
                    self.engine.migrations.start(vm, target, "balancer")
            else:
                self.engine.emit("recommendation", recommendation.vm,
                                 f"{recommendation.command_text()}: {recommendation.reason}")
        return plan

    def _rebalance(self, command: Command) -> Outcome:
        from console.model.engine import Outcome

        assert isinstance(command, Rebalance)
        if not self.engine.membership.main_has_quorum():
            return Outcome.refuse("the cluster has no quorum")
        plan = self.run(apply=not command.dry_run,
                        why="dry run" if command.dry_run else "operator's rebalance")
        if not plan:
            return Outcome.ok(f"balanced: imbalance {self.imbalance:.3f}")
        return Outcome.ok(f"{len(plan)} move(s)")


def _stddev(values: list[float]) -> float:
    if not values:
        return 0.0
    mean = sum(values) / len(values)
    return math.sqrt(sum((v - mean) ** 2 for v in values) / len(values))


def _plus(a: HostLoad, b: HostLoad) -> HostLoad:
    return HostLoad(a.cpu + b.cpu, a.memory + b.memory, a.disk + b.disk)


def _minus(a: HostLoad, b: HostLoad) -> HostLoad:
    return HostLoad(a.cpu - b.cpu, a.memory - b.memory, a.disk - b.disk)

