"""The balancer's figures worked out ahead and kept up to date (console.model.balancer_loads)
equal the plain computation, and a pass sliced over the seconds before it decides as a pass done
in one go does."""

from __future__ import annotations

import gc
import random

import pytest
from test_balancer_quality import fresh_loads

from console.model import balancer as balancing
from console.model import cluster as cluster_module
from console.model.balancer_loads import HostLoad, LoadFigures
from console.model.cluster import Cluster
from console.model.commands import parse
from console.model.engine import Engine
from console.model.entities import Node, Rule, Vm, Workload

PROFILES = ("steady", "diurnal", "bursty")


def random_cluster(seed: int, hosts: int = 30, vms: int = 240, interval_s: float = 300) -> Cluster:
    """Hosts of two sizes, VMs of every profile spread at random (fixed `seed`)."""
    rng = random.Random(seed)
    cluster = Cluster(name=f"random{seed}")
    cluster.settings.balancer.interval_s = interval_s
    cluster.settings.balancer.automation = "full"
    cluster.settings.ha.cpu_overcommit = 8.0
    for i in range(hosts):
        cluster.add_node(Node(name=f"h{i:03d}", hypervisor="kvm", cpus=2,
                              cores_per_cpu=rng.choice((8, 12)), memory_gb=256.0,
                              disk_mbps=1000))
    for k in range(vms):
        workload = Workload(cpu=rng.uniform(0.05, 0.9), memory=rng.uniform(0.1, 0.6),
                            disk_mbps=rng.uniform(0, 20), profile=rng.choice(PROFILES))
        cluster.add_vm(Vm(name=f"v{k:04d}", host=f"h{rng.randrange(hosts):03d}",
                          vcpus=rng.choice((1, 2, 4)), memory_gb=rng.choice((2.0, 4.0, 8.0)),
                          guest_os="ubuntu", workload=workload), "kvm")
    return cluster


def as_numbers(loads: dict[str, HostLoad]) -> list[float]:
    return [x for name in sorted(loads) for x in (loads[name].cpu, loads[name].memory,
                                                  loads[name].disk)]


CHURN = {610.0: "fail-node h001", 640.0: "maintenance h002 on", 700.0: "migrate v0003",
         905.0: "maintenance h002 off", 1000.0: "power-on h001"}


@pytest.mark.parametrize(("seed", "log_max"), [(1, cluster_module.CHANGE_LOG_MAX), (2, 7)])
def test_figures_kept_up_to_date_equal_a_plain_sum(seed, log_max, monkeypatch):
    # A small slice makes the cluster "large": passes are summed ahead in many slices and
    # evacuations choose from the last pass's figures, kept up to date as hosts change. A short
    # change log makes the figures fall behind its cut and scan every host.
    monkeypatch.setattr(balancing, "SLICE_VMS", 10)
    monkeypatch.setattr(balancing, "PREFETCH_VMS", 10)
    monkeypatch.setattr(cluster_module, "CHANGE_LOG_MAX", log_max)
    engine = Engine(random_cluster(seed), seed=seed)
    kept = LoadFigures(engine.balancer.context, 0.0)
    for t in range(0, 1200, 20):
        for at, command in CHURN.items():
            if t - 20 < at <= t:
                engine.submit_at(at, parse(command))
        engine.run_until(float(t))
        assert as_numbers(engine.balancer.host_loads()) == pytest.approx(
            as_numbers(fresh_loads(engine)), rel=1e-12)  # summed in another order
        # Figures made at 0 s and summed again only where hosts changed equal a fresh sum at 0 s.
        fresh = LoadFigures(engine.balancer.context, 0.0)
        assert kept.hosts() == fresh.hosts()
        order = kept.ascending()
        assert order == sorted((load.score(engine.cluster.nodes[name]), name)
                               for name, load in fresh.hosts().items())
    assert any(e.kind == "node_maintenance" for e in engine.log.events)


@pytest.mark.parametrize("seed", [4, 5])
def test_choose_target_is_the_least_loaded_host_that_may_take_the_vm(seed):
    engine = Engine(random_cluster(seed, interval_s=0), seed=seed)
    engine.run_until(400.0)
    loads = fresh_loads(engine)
    for vm in list(engine.cluster.vms.values())[:60]:
        c, m, d = engine.workloads.recent_load(vm, engine.now, balancing.LOOKBACK_S)
        plain = min(((max((loads[n.name].cpu + c) / n.cores,
                          (loads[n.name].memory + m) / n.memory_gb,
                          (loads[n.name].disk + d) / n.disk_mbps), n.name)
                     for n in engine.balancer.hosts() if n.name != vm.host
                     and engine.migrations.refusal(vm, n) is None), default=None)
        chosen = engine.balancer.choose_target(vm)
        assert (chosen.name if chosen else None) == (plain[1] if plain else None)


def run_log(slice_vms: int, monkeypatch: pytest.MonkeyPatch) -> tuple[list[str], Engine]:
    monkeypatch.setattr(balancing, "SLICE_VMS", slice_vms)
    monkeypatch.setattr(balancing, "PREFETCH_VMS", slice_vms)
    engine = Engine(random_cluster(7, hosts=60, vms=600), seed=7)
    engine.submit_at(650.0, parse("fail-node h003"))
    engine.run_until(1300.0)
    return [f"{e.t} {e.kind} {e.subject} {e.message}" for e in engine.log.events], engine


def test_a_sliced_pass_decides_as_a_pass_done_in_one_go(monkeypatch):
    # 600 VMs at 5 a second: each pass is summed over the 120 seconds before it. No evacuation
    # here, so slicing is the only difference: the same events, run after run.
    sliced, engine = run_log(5, monkeypatch)
    assert sliced == run_log(5, monkeypatch)[0]
    assert sliced == run_log(10**6, monkeypatch)[0]
    passes = [e for e in engine.log.events if e.kind == "balancer"]
    assert passes, "the passes found moves to make"
    last = engine.balancer.last_pass
    assert last is not None and last.t == 1200.0 and last.started == 1200.0 - 120
    assert last.when() == "over 1080-1200 s"


def test_a_rule_added_after_a_pass_is_enforced_at_the_next():
    cluster = random_cluster(8, hosts=4, vms=12, interval_s=0)
    engine = Engine(cluster, seed=8)
    first, second = sorted(cluster.nodes["h000"].vms)[:2]
    assert not [r for r in engine.balancer.plan() if r.reason.startswith("mandatory")]
    cluster.add_rule(Rule(name="apart", kind="anti-affinity", strength="must",
                          vms=(first, second)))
    mandatory = [r for r in engine.balancer.plan() if r.reason.startswith("mandatory")]
    assert [r.vm for r in mandatory] == [first]


def measured_vms(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the VMs whose recent load `engine` reads from now on, in order."""
    measured: list[str] = []
    recent_load = engine.workloads.recent_load

    def counted(vm: Vm, t: float, window_s: float) -> tuple[float, float, float]:
        measured.append(vm.name)
        return recent_load(vm, t, window_s)

    monkeypatch.setattr(engine.workloads, "recent_load", counted)
    return measured


def test_a_pass_off_the_timer_in_a_large_cluster_measures_only_what_changed(monkeypatch):
    monkeypatch.setattr(balancing, "SLICE_VMS", 10)
    engine = Engine(random_cluster(9), seed=9)
    engine.submit_at(610.0, parse("maintenance h002 on --force"))
    engine.run_until(950.0)  # between passes (every 300 s)
    assert engine.cluster.nodes["h002"].state.value == "maintenance"
    measured = measured_vms(engine, monkeypatch)
    assert engine.submit(parse("maintenance h002 off")).accepted
    last = engine.balancer.last_pass
    assert last is not None and last.why == "h002 left maintenance" and last.t == 950.0
    assert len(measured) < len(engine.cluster.vms) // 4


def test_vm_figures_are_held_where_the_cycle_collector_never_looks():
    # 50,000 VM figures in a dict of tuples would be walked by every full collection (some
    # 10 ms at 2,500 hosts, in whichever second it falls); a dict of bytes is never tracked.
    engine = Engine(random_cluster(3, interval_s=0), seed=3)
    figures = LoadFigures(engine.balancer.context, 100.0)
    figures.hosts()
    assert figures.size() == len(engine.cluster.vms)
    assert not gc.is_tracked(figures._vms)
    vm = engine.cluster.vms["v0001"]
    assert figures.vm(vm) == engine.workloads.recent_load(vm, 100.0, balancing.LOOKBACK_S)


@pytest.mark.parametrize("seed", [6, 7])
def test_figures_summed_in_slices_with_moves_between_them_equal_a_plain_sum(seed):
    engine = Engine(random_cluster(seed, interval_s=0), seed=seed)
    cluster, context = engine.cluster, engine.balancer.context
    rng = random.Random(seed)
    figures = LoadFigures(context, 50.0)
    names = cluster.node_order
    for k in range(0, len(names), 4):
        figures.measure(names[k:k + 4])
        for _ in range(2):  # VMs moved between slices, to hosts summed and not summed yet
            vm = cluster.vms[rng.choice(sorted(cluster.vms))]
            cluster.set_host(vm, rng.choice(names))
    fresh = LoadFigures(context, 50.0)
    assert figures.hosts() == fresh.hosts()
    assert figures.ascending() == sorted((score, name) for name, score in fresh.scores().items())
