"""A balancing plan made with the pass's shortcuts equals the plan of the plain computation: the
VMs worth moving off each source kept from move to move (`Balancer._offers`), twins (VMs of one
load on one source) weighed once where the first is not refused, hosts ranked in the order the
figures keep (`LoadFigures.ascending`) instead of sorted again, the standard deviation mapped in C
(`balancer._stddev`)."""

from __future__ import annotations

import math
import random
from dataclasses import replace
from operator import mul

import pytest
from test_balancer_slices import CHURN, random_cluster

from console.model import balancer as balancing
from console.model.balancer import (
    COST_PER_GB,
    HIGH_WATER,
    MIN_GAIN,
    OVERLOAD_WEIGHT,
    REPEAT_COST,
    REPEAT_WINDOW_S,
    SHOULD_RULE_COST,
    SOURCES_SCANNED,
    TARGET_CEILING,
    TARGETS_SCANNED,
    Balancer,
    HostLoad,
    Recommendation,
    _excess,
    _minus,
    _Ranked,
)
from console.model.cluster import Cluster
from console.model.commands import parse
from console.model.engine import Engine
from console.model.entities import HaGroup, Node, Rule, Vm


def _plain_best_move(self: Balancer, hosts: list[Node], loads: dict[str, HostLoad],
                     scores: dict[str, float], moved: set[str], current: str,
                     ranked: _Ranked, offers: object) -> Recommendation | None:
    """`Balancer._best_move` as it was before its shortcuts: every VM of every source weighed
    against every target at each move."""
    sources = ranked.highest(SOURCES_SCANNED)
    targets = ranked.lowest(TARGETS_SCANNED)
    nodes = self.cluster.nodes
    n = len(hosts)
    total = sum(scores.values())
    squares = sum(map(mul, scores.values(), scores.values()))  # s * s for each, in C
    level = self.settings.threshold
    min_gain = MIN_GAIN[level]
    ceiling = min(TARGET_CEILING, HIGH_WATER[level])
    now = self.context.now
    refusal = self.context.migrations.refusal
    high = HIGH_WATER[level]
    figures = self._planning or self._figures()
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
        for vm in self.cluster.vms_on(source):
            if vm.name in moved or not self._movable(vm):
                continue
            c, m, d = figures.vm(vm)
            src_after = _minus(loads[source_name], HostLoad(c, m, d)).score(source)
            if src_after >= s_old:
                continue  # the VM is not what makes the host busy
            repeat = (REPEAT_COST if vm.last_migrated_at is not None
                      and now - vm.last_migrated_at < REPEAT_WINDOW_S else 0.0)
            fixed_cost = COST_PER_GB * vm.memory_gb + repeat
            source_gain = (s_old * s_old - src_after * src_after + OVERLOAD_WEIGHT
                           * (_excess(s_old, high) - _excess(src_after, high)))
            # A target's part of the gain is never positive (its load only grows): a VM
            # whose source part cannot pay for the move or beat the best move is done.
            if source_gain < min_gain or (
                    best is not None and source_gain - fixed_cost <= best[0]):
                continue
            grouped = bool(vm.group)
            for (target_name, target, t_old, t_cpu, t_mem, t_disk, cores, memory_gb,
                 disk_mbps, t_square) in candidates:
                if target_name == source_name or t_old >= s_old:
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
                    continue
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


def _plain(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every shortcut off: each move weighs every VM of every source afresh, hosts are sorted
    for each pass, the standard deviation is the loop over the scores."""
    monkeypatch.setattr(balancing.Balancer, "_best_move", _plain_best_move)
    ranked_init = balancing._Ranked.__init__
    monkeypatch.setattr(balancing._Ranked, "__init__",
                        lambda self, scores, order=None: ranked_init(self, scores))

    def stddev(values: list[float]) -> float:
        if not values:
            return 0.0
        mean = sum(values) / len(values)
        return math.sqrt(sum((v - mean) ** 2 for v in values) / len(values))
    monkeypatch.setattr(balancing, "_stddev", stddev)


def _busy_cluster(seed: int, interval_s: float = 300, rules: bool = True) -> Cluster:
    """A random cluster short of vCPUs, with twins (steady VMs of one load on one host: they
    move for the same value; some have twice the vCPUs at half the share, which a host short of
    vCPUs refuses) and, with `rules`, `should` rules and an HA group: every branch of a move's
    weighing is taken."""
    rng = random.Random(seed)
    cluster = random_cluster(seed, hosts=24, vms=160, interval_s=interval_s)
    cluster.settings.balancer.max_moves = 20
    cluster.settings.ha.cpu_overcommit = 1.5
    names = sorted(cluster.vms)
    for k, name in enumerate(names[:40]):
        vm = cluster.vms[name]
        vm.workload = replace(vm.workload, profile="steady")
        for i in range(1 + k % 3):
            double = rng.random() < 0.5
            workload = replace(vm.workload, cpu=vm.workload.cpu / 2) if double else vm.workload
            cluster.add_vm(Vm(name=f"t{k:03d}{i}", host=vm.host,
                              vcpus=vm.vcpus * (2 if double else 1), memory_gb=vm.memory_gb,
                              guest_os=vm.guest_os, workload=workload), "kvm")
    if not rules:
        return cluster
    hosts = sorted(cluster.nodes)
    cluster.groups["g"] = HaGroup("g", {name: rng.choice((1, 2)) for name in hosts[:12]})
    for name in rng.sample(names, 20):
        cluster.vms[name].group = "g"
    for i in range(4):
        cluster.add_rule(Rule(name=f"r{i}", kind=rng.choice(("vm-host", "anti-affinity")),
                              strength="should", vms=tuple(rng.sample(names, 3)),
                              hosts=tuple(rng.sample(hosts, 3))))
    return cluster


def _log(seed: int, threshold: int, rules: bool) -> list[str]:
    cluster = _busy_cluster(seed, rules=rules)
    cluster.settings.balancer.threshold = threshold
    engine = Engine(cluster, seed=seed)
    for at, command in CHURN.items():
        engine.submit_at(at, parse(command))
    engine.run_until(1300.0)
    return [f"{e.t} {e.kind} {e.subject} {e.message}" for e in engine.log.events]


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("threshold", [3, 5])
@pytest.mark.parametrize(("slice_vms", "rules"), [(10, True), (1000, True), (10, False)])
def test_passes_with_the_shortcuts_decide_as_the_plain_computation(seed, threshold, slice_vms,
                                                                   rules, monkeypatch):
    # 10 VMs a slice: passes summed ahead over many seconds, ranked in the figures' order.
    # Without rules, twins are weighed once where the first is not refused.
    monkeypatch.setattr(balancing, "SLICE_VMS", slice_vms)
    monkeypatch.setattr(balancing, "PREFETCH_VMS", slice_vms)
    fast = _log(seed, threshold, rules)
    assert sum(" balancer " in line for line in fast) >= 2, "passes made moves"
    _plain(monkeypatch)
    assert _log(seed, threshold, rules) == fast


@pytest.mark.parametrize("seed", [4, 5])
@pytest.mark.parametrize("rules", [True, False])
def test_each_plan_with_the_shortcuts_is_the_plain_plan(seed, rules, monkeypatch):
    def plans() -> list[tuple[list[balancing.Recommendation], float]]:
        cluster = _busy_cluster(seed, interval_s=0, rules=rules)
        cluster.settings.balancer.threshold = 5
        engine = Engine(cluster, seed=seed)
        found = []
        for t in (301.0, 650.0, 1000.0):
            engine.run_until(t)
            found.append((engine.balancer.run(apply=True, why="test"),
                          engine.balancer.imbalance))
        return found
    fast = plans()
    assert any(plan for plan, _ in fast)
    _plain(monkeypatch)
    assert plans() == fast


def test_ranked_from_the_figures_order_is_ranked_from_a_sort():
    rng = random.Random(3)
    for _ in range(200):
        every = {f"h{i}": rng.choice((0.25, rng.random())) for i in range(rng.randint(2, 40))}
        order = sorted((score, name) for name, score in every.items())
        scores = {name: score for name, score in every.items() if rng.random() < 0.8}
        if len(scores) < 2:
            continue
        kept, sorted_ = balancing._Ranked(scores, order), balancing._Ranked(scores)
        assert kept.lowest(50) == sorted_.lowest(50)
        assert kept.highest(6) == sorted_.highest(6)


def test_the_mapped_standard_deviation_is_the_loop_bit_for_bit():
    rng = random.Random(5)
    for _ in range(300):
        values = [rng.random() * rng.choice((1e-3, 1.0, 7.0)) for _ in range(rng.randint(0, 80))]
        if not values:
            assert balancing._stddev(values) == 0.0
            continue
        mean = sum(values) / len(values)
        assert balancing._stddev(values) == math.sqrt(
            sum((v - mean) ** 2 for v in values) / len(values))
