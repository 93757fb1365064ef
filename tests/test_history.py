"""The recorded utilisation history (console.model.history): samples of what really held at each
10 s instant, kept bounded, the same again in a replay."""

from __future__ import annotations

import pytest
from cluster_helpers import make_engine

from console.formats.recording import Recorder, load_recording
from console.model import views
from console.model.commands import LocalReading, parse
from console.model.engine import Engine
from console.model.history import CACHED_SERIES, KEPT_SAMPLES, LEVELS, SAMPLE_S
from console.paths import SAMPLE_CLUSTERS
from console.replay import replay_headless
from console.session import Session

# C crashes at 35 s (its VMs restart on A and B by 85 s), is powered on at 95 s and online at
# 215 s, empty; the balancer moves sql01 B -> C (300-371 s), the operator file01 (405-424 s).
CRASH_AND_BACK = {35.0: "fail-node C", 95.0: "power-on C", 405.0: "migrate file01 C"}


def running_sets(engine: Engine) -> dict[str, frozenset[str]]:
    return {name: frozenset(vm.name for vm in views.vms_on(engine, node)
                            if vm.state in views.LOADED_STATES)
            for name, node in engine.cluster.nodes.items()}


def observed_truth(engine: Engine, commands: dict[float, str], until: float
                   ) -> dict[int, dict[str, float]]:
    """Sample k -> node or VM -> its CPU at k x 10 s, as seen live around that instant (half a
    second either side, both the same; instants where anything changed within it are left out)."""
    truth: dict[int, dict[str, float]] = {}
    pending = sorted(commands.items())
    k = 1
    while k * SAMPLE_S <= until:
        t = k * SAMPLE_S
        while pending and pending[0][0] < t - 0.5:
            at, text = pending.pop(0)
            assert engine.submit_at(at, parse(text)).accepted, text
        engine.run_until(t - 0.5)
        before = running_sets(engine)
        engine.run_until(t + 0.5)
        if running_sets(engine) == before:
            seen = {name: views.node_usage(engine, node, t).cpu
                    for name, node in engine.cluster.nodes.items()}
            for vm in engine.cluster.vms.values():
                loaded = vm.state in views.LOADED_STATES
                seen[vm.name] = engine.workloads.cpu(vm, t) / vm.vcpus if loaded else 0.0
            truth[k] = seen
        k += 1
    return truth


def test_every_sample_is_what_held_at_its_instant():
    engine = make_engine()
    truth = observed_truth(engine, CRASH_AND_BACK, 590)
    assert len(truth) > 50
    for kind in ("node", "vm"):
        names = engine.cluster.nodes if kind == "node" else engine.cluster.vms
        for name in names:
            subject = (engine.cluster.nodes[name] if kind == "node" else engine.cluster.vms[name])
            series = (views.node_cpu_history(engine, subject, 59, 10.0) if kind == "node"
                      else views.vm_cpu_history(engine, subject, 59, 10.0))
            for k, value in enumerate(series, start=1):
                if k in truth:
                    assert value == pytest.approx(truth[k][name], abs=1e-12), (name, k)


def test_a_crashed_host_drops_to_zero_at_the_crash_and_keeps_its_past():
    engine = make_engine()
    engine.run_until(30)
    engine.submit_at(35, parse("fail-node C"))
    engine.run_until(100)
    c = engine.cluster.nodes["C"]
    series = views.node_cpu_history(engine, c, 10, 10.0)
    assert all(v is not None and v > 0.05 for v in series[:3])  # 10, 20, 30 s: its old load
    assert series[3:] == [0.0] * 7  # 40 s on: nothing ran there


def test_an_empty_host_back_from_a_crash_shows_no_load_before_its_vms_arrived():
    engine = make_engine()
    for at, text in CRASH_AND_BACK.items():
        engine.submit_at(at, parse(text))
    engine.run_until(590)
    series = views.node_cpu_history(engine, engine.cluster.nodes["C"], 59, 10.0)
    assert all(v > 0.05 for v in series[:3])       # 10-30 s: its own VMs
    assert series[3:37] == [0.0] * 34              # 40-370 s: crashed, booting, empty
    assert all(v > 0 for v in series[37:])         # 380 s on: sql01 (then file01) run there
    assert views.vms_on(engine, engine.cluster.nodes["C"])  # and today it is busy


def test_a_vms_samples_follow_it_across_a_migration():
    engine = make_engine()
    assert engine.submit_at(5, parse("migrate web01 B")).accepted
    engine.run_until(300)
    web01 = engine.cluster.vms["web01"]
    assert web01.host == "B"
    series = views.vm_cpu_history(engine, web01, 30, 10.0)
    expected = [engine.workloads.cpu(web01, k * SAMPLE_S) / web01.vcpus for k in range(1, 31)]
    assert series == pytest.approx(expected)  # on A, migrating, then on B: never a gap
    done = next(e.t for e in engine.log.events if e.kind == "migration_completed")
    for node, others in (("A", ["dc01", "exch01", "iis02"]),
                         ("B", ["app01", "exch02", "iis01", "sql01"])):
        series = views.node_cpu_history(engine, engine.cluster.nodes[node], 30, 10.0)
        for k, value in enumerate(series, start=1):  # web01 counts on A until the switchover
            there = ["web01"] if (k * SAMPLE_S < done) == (node == "A") else []
            cores = sum(engine.workloads.cpu(engine.cluster.vms[vm], k * SAMPLE_S)
                        for vm in sorted(others + there))
            assert value == pytest.approx(cores / 16), (node, k)


def test_nothing_is_shown_before_the_first_sample_or_before_a_node_joined():
    engine = make_engine()
    a = engine.cluster.nodes["A"]
    engine.run_until(9.9)
    assert views.node_cpu_history(engine, a, 4, 10.0) == [None] * 4
    assert views.history_mark(engine, 10.0) == 0
    engine.run_until(30)
    assert engine.submit(parse("add-node D A")).accepted
    engine.run_until(60)
    assert views.history_mark(engine, 10.0) == 6 and views.history_mark(engine, 60.0) == 1
    assert views.node_cpu_history(engine, a, 8, 10.0)[:2] == [None, None]
    d = views.node_cpu_history(engine, engine.cluster.nodes["D"], 6, 10.0)
    assert d[:3] == [None] * 3 and d[3:] == [0.0] * 3  # joined at 30 s, booting and empty
    with pytest.raises(ValueError, match="no history level of 20 s"):
        views.node_cpu_history(engine, a, 4, 20.0)


def test_coarser_levels_are_means_of_the_ten_second_samples():
    engine = make_engine()
    engine.submit_at(125, parse("fail-node B"))
    engine.run_until(1800)
    b = engine.cluster.nodes["B"]
    fine = views.node_cpu_history(engine, b, 60, 10.0)  # the last 10 minutes
    for j, minute in enumerate(views.node_cpu_history(engine, b, 10, 60.0)):
        assert minute == pytest.approx(sum(fine[6 * j:6 * j + 6]) / 6)
    minutes = views.node_cpu_history(engine, b, 30, 60.0)  # the whole half hour
    assert minutes[1] > 0.05 and minutes[2:] == [0.0] * 28  # crashed at 125 s
    assert views.node_cpu_history(engine, b, 3, 600.0) == pytest.approx(
        [sum(minutes[10 * i:10 * i + 10]) / 10 for i in range(3)])


def test_the_level_follows_the_clock_speed():
    assert [views.history_step(s) for s in (0.25, 1, 8, 10, 16, 60, 120, 600, 1000)] == [
        10.0, 10.0, 10.0, 10.0, 60.0, 60.0, 600.0, 600.0, 600.0]


def test_a_replay_records_the_same_samples(tmp_path):
    path = tmp_path / "run.jsonl"
    seed = SAMPLE_CLUSTERS / "seed.toml"
    session = Session(make_engine())
    session.record(Recorder(path, seed=0, cluster_file=str(seed), cluster=seed.read_text(),
                            created_by="console"))
    session.advance(33.3)
    session.submit(parse("fail-node B"))
    session.advance(161.7)
    session.submit(parse("power-on B"))
    session.advance(127.9)
    session.submit(parse("migrate web01 B"))
    session.advance(3000)
    session.close()
    replayed = replay_headless(load_recording(path))
    live = session.engine
    assert replayed.now == live.now and live.history.samples == 332
    for step, points in LEVELS:
        for kind, names in (("node", live.cluster.nodes), ("vm", live.cluster.vms)):
            for name in names:
                read = "node_cpu" if kind == "node" else "vm_cpu"
                assert (getattr(replayed.history, read)(name, step, points)
                        == getattr(live.history, read)(name, step, points)), (name, step)


def test_the_history_stays_bounded_in_a_long_run():
    engine = make_engine()
    # two days of web01 and file01 moving back and forth every 5 minutes
    for i in range(576):
        t = 300.0 * i + 5
        assert engine.submit_at(t, parse(f"migrate web01 {'AB'[(i + 1) % 2]}")).accepted
        assert engine.submit_at(t, parse(f"migrate file01 {'AC'[i % 2]}")).accepted
    engine.run_until(2 * 86400)
    history = engine.history
    held = history.stored_records()
    for step, points in LEVELS:
        for name in engine.cluster.nodes:
            assert len(history.node_cpu(name, step, 1000)) == points
        for name in engine.cluster.vms:
            assert None not in history.vm_cpu(name, step, points)
    # records reach back KEPT_SAMPLES at most: a change every 30 samples, per node and VM
    changes_in_window = KEPT_SAMPLES // 30 + 2
    bound = (len(engine.cluster.nodes) + len(engine.cluster.vms)) * changes_in_window
    assert 100 < held <= bound  # 2 x 576 moves made, those of the last 10 h kept
    assert history.stored_records() <= held + CACHED_SERIES * sum(n for _, n in LEVELS)
    assert len(history._cache) <= CACHED_SERIES


def test_the_local_node_records_the_mean_of_its_readings():
    engine = make_engine()
    engine.cluster.nodes["C"].local = True
    for t, cpu in ((2.0, 0.2), (5.0, 0.4), (9.0, 0.9), (23.0, 0.5)):
        engine.run_until(t)
        assert engine.submit(LocalReading("C", cpu, 0.3, 0.1)).accepted
    engine.run_until(40)
    series = views.node_cpu_history(engine, engine.cluster.nodes["C"], 4, 10.0)
    # 10 s: the mean of three readings; 20 s: none came, the latest holds; 30 s, 40 s: 0.5
    assert series == pytest.approx([0.5, 0.9, 0.5, 0.5])
