"""A balancing plan made with the pass's shortcuts equals the plan of the plain computation: the
VMs worth moving off each source kept from move to move (`Balancer._offers`), hosts ranked in the
order the figures keep (`LoadFigures.ascending`) instead of sorted again, the standard deviation
mapped in C (`balancer._stddev`)."""

from __future__ import annotations

import math
import random

import pytest
from test_balancer_slices import CHURN, random_cluster

from console.model import balancer as balancing
from console.model.cluster import Cluster
from console.model.commands import parse
from console.model.engine import Engine
from console.model.entities import HaGroup, Rule, Vm


def _plain(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every shortcut off: each move weighs every source's VMs afresh, hosts are sorted for
    each pass, the standard deviation is the loop over the scores."""
    best_move = balancing.Balancer._best_move
    monkeypatch.setattr(balancing.Balancer, "_best_move",
                        lambda self, *args: best_move(self, *args[:-1], {}))
    ranked_init = balancing._Ranked.__init__
    monkeypatch.setattr(balancing._Ranked, "__init__",
                        lambda self, scores, order=None: ranked_init(self, scores))

    def stddev(values: list[float]) -> float:
        if not values:
            return 0.0
        mean = sum(values) / len(values)
        return math.sqrt(sum((v - mean) ** 2 for v in values) / len(values))
    monkeypatch.setattr(balancing, "_stddev", stddev)


def _busy_cluster(seed: int, interval_s: float = 300) -> Cluster:
    """A random cluster with twins (VMs of equal load on one host, so moves tie), `should`
    rules and an HA group, so every branch of a move's weighing is taken."""
    rng = random.Random(seed)
    cluster = random_cluster(seed, hosts=24, vms=160, interval_s=interval_s)
    cluster.settings.balancer.max_moves = 20
    names = sorted(cluster.vms)
    for k, name in enumerate(names[:12]):
        vm = cluster.vms[name]
        twin = Vm(name=f"t{k:03d}", host=vm.host, vcpus=vm.vcpus, memory_gb=vm.memory_gb,
                  guest_os=vm.guest_os, workload=vm.workload)
        cluster.add_vm(twin, "kvm")
    hosts = sorted(cluster.nodes)
    cluster.groups["g"] = HaGroup("g", {name: rng.choice((1, 2)) for name in hosts[:12]})
    for name in rng.sample(names, 20):
        cluster.vms[name].group = "g"
    for i in range(4):
        cluster.add_rule(Rule(name=f"r{i}", kind=rng.choice(("vm-host", "anti-affinity")),
                              strength="should", vms=tuple(rng.sample(names, 3)),
                              hosts=tuple(rng.sample(hosts, 3))))
    return cluster


def _log(seed: int, threshold: int) -> list[str]:
    cluster = _busy_cluster(seed)
    cluster.settings.balancer.threshold = threshold
    engine = Engine(cluster, seed=seed)
    for at, command in CHURN.items():
        engine.submit_at(at, parse(command))
    engine.run_until(1300.0)
    return [f"{e.t} {e.kind} {e.subject} {e.message}" for e in engine.log.events]


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("threshold", [3, 5])
@pytest.mark.parametrize("slice_vms", [10, 1000])
def test_passes_with_the_shortcuts_decide_as_the_plain_computation(seed, threshold, slice_vms,
                                                                   monkeypatch):
    # 10 VMs a slice: passes summed ahead over many seconds, ranked in the figures' order.
    monkeypatch.setattr(balancing, "SLICE_VMS", slice_vms)
    fast = _log(seed, threshold)
    assert sum("balancer" in line for line in fast) >= 2, "passes made moves"
    _plain(monkeypatch)
    assert _log(seed, threshold) == fast


@pytest.mark.parametrize("seed", [4, 5])
def test_each_plan_with_the_shortcuts_is_the_plain_plan(seed, monkeypatch):
    def plans() -> list[tuple[list[balancing.Recommendation], float]]:
        cluster = _busy_cluster(seed, interval_s=0)
        cluster.settings.balancer.threshold = 5
        engine = Engine(cluster, seed=seed)
        found = []
        for t in (301.0, 650.0, 1000.0):
            engine.run_until(t)
            found.append((engine.balancer.run(apply=True, why="test"),
                          engine.balancer.imbalance))
        return found
    fast = plans()
    assert all(plan for plan, _ in fast)
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
