"""A large cluster's first standing figures (console.model.balancer `_settle`), summed a slice a
second from the start: kept up to date as hosts change before they are whole, they equal a plain
sum of the hosts summed so far; an evacuation before the first pass works from them and never
measures every VM in its second."""

from __future__ import annotations

import pytest
from test_balancer_slices import measured_vms, random_cluster

from console.model import balancer as balancing
from console.model import cluster as cluster_module
from console.model.balancer_loads import LoadFigures
from console.model.commands import parse
from console.model.engine import Engine

#: Before the first pass (300 s): a crash with HA restarts, a migration, a maintenance evacuation
#: and its end, a restarted host, while the first figures are being summed (24 slices, 1-24 s).
CHURN = {3.0: "fail-node h001", 6.0: "migrate v0003", 9.0: "maintenance h002 on",
         15.0: "power-on h001", 200.0: "maintenance h002 off", 230.0: "migrate v0007"}


@pytest.fixture
def large(monkeypatch: pytest.MonkeyPatch) -> None:
    """240 VMs count as a large cluster, summed 10 VMs a second."""
    monkeypatch.setattr(balancing, "SLICE_VMS", 10)
    monkeypatch.setattr(balancing, "PREFETCH_VMS", 10)


@pytest.mark.usefixtures("large")
@pytest.mark.parametrize(("seed", "log_max"), [(11, cluster_module.CHANGE_LOG_MAX), (12, 3)])
def test_first_figures_kept_up_to_date_equal_a_plain_sum(seed, log_max, monkeypatch):
    # A short change log makes the figures fall behind its cut and compare every host's version.
    monkeypatch.setattr(cluster_module, "CHANGE_LOG_MAX", log_max)
    engine = Engine(random_cluster(seed), seed=seed)
    figures = engine.balancer._standing
    assert figures is not None and figures.partial and figures.t == 0.0
    summed_counts = []
    for t in [*range(0, 30), *range(30, 300, 10)]:  # the first pass is at 300 s
        if float(t) in CHURN:
            assert engine.submit_at(float(t), parse(CHURN[float(t)])).accepted
        engine.run_until(float(t))
        figures.refresh()
        fresh = LoadFigures(engine.balancer.context, 0.0)
        summed = [name for name in engine.cluster.node_order if figures.summed(name)]
        summed_counts.append(len(summed))
        fresh.measure(summed)
        assert figures.loads(summed) == fresh.loads(summed)
        assert figures.ascending() == sorted((fresh.score(name), name) for name in summed)
    assert summed_counts[0] == 0 and 0 < summed_counts[5] < len(engine.cluster.nodes)
    assert not figures.partial and summed_counts[-1] == len(engine.cluster.nodes)
    kinds = {e.kind for e in engine.log.events}
    assert {"node_failed", "vm_restarting", "migration_started", "node_maintenance"} <= kinds


@pytest.mark.usefixtures("large")
@pytest.mark.parametrize("at", [0.0, 5.0])
def test_an_evacuation_before_the_first_pass_measures_only_a_slice(at, monkeypatch):
    engine = Engine(random_cluster(13), seed=13)
    engine.run_until(at)
    measured = measured_vms(engine, monkeypatch)
    assert engine.submit(parse("maintenance h002 on")).accepted
    engine.advance(1.0)
    started = [e for e in engine.log.events if e.kind == "migration_started"]
    assert started, "the evacuation began"
    # A slice (2 hosts, about 16 VMs) and the hosts that changed, not the 240 VMs.
    assert len(measured) < len(engine.cluster.vms) // 4
    figures = engine.balancer._standing
    assert all(figures.summed(m.target) for m in engine.migrations.active.values())
