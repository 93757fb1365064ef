"""Live migration: pre-copy convergence, switchover downtime, refusals, limits and aborts."""

from __future__ import annotations

import pytest
from cluster_helpers import events, make_engine, run_checked

from console.model.commands import parse
from console.model.entities import Workload


def _engine_with(vm: str, dirty_mbps: float, memory_gb: float | None = None, **settings):
    """The seed cluster with one VM's dirty rate (and optionally size) set before it runs."""
    engine = make_engine(**settings)
    target = engine.cluster.vms[vm]
    target.workload = Workload(cpu=0.3, memory=0.8, disk_mbps=5, dirty_mbps=dirty_mbps)
    return engine


def test_4gb_vm_dirtying_50mbps_migrates_over_1gbe_within_300ms_downtime():
    engine = _engine_with("sql01", 50)  # sql01: 4 GB on B; A and C have 1 GbE
    assert engine.cluster.vms["sql01"].memory_gb == 4
    assert engine.submit(parse("migrate sql01 A")).accepted
    run_checked(engine, 200)
    done = events(engine, "migration_completed")
    assert [e.subject for e in done] == ["sql01"]
    assert engine.cluster.vms["sql01"].host == "A"
    downtime_ms = engine.migrations.downtimes_ms[0]
    assert 0 < downtime_ms <= 300
    assert engine.cluster.vms["sql01"].downtime_s == pytest.approx(downtime_ms / 1000)


def test_vm_dirtying_faster_than_the_link_fails_to_converge_with_a_reason():
    engine = _engine_with("sql01", 150)
    assert engine.submit(parse("migrate sql01 A")).accepted
    run_checked(engine, 300)
    failed = events(engine, "migration_failed")
    assert failed and "did not converge" in failed[0].message and "150 MB/s" in failed[0].message
    vm = engine.cluster.vms["sql01"]
    assert vm.host == "B" and vm.state.value == "running" and vm.downtime_s == 0


def test_auto_converge_throttles_the_guest_until_the_migration_converges():
    engine = _engine_with("sql01", 150, migration__auto_converge=True)
    assert engine.submit(parse("migrate sql01 A")).accepted
    run_checked(engine, 600)
    done = events(engine, "migration_completed")
    assert done and "throttled" in done[0].message
    assert engine.cluster.vms["sql01"].host == "A"
    assert engine.migrations.downtimes_ms[0] <= 300


def test_migration_outcome_is_deterministic():
    def run() -> list[dict]:
        engine = _engine_with("sql01", 50)
        run_checked(engine, 300, {5: "migrate sql01 A", 10: "migrate exch02 C"})
        return [e.as_dict() for e in engine.log.events]

    assert run() == run()


@pytest.mark.parametrize("line, reason", [
    ("migrate nope A", "no VM named nope"),
    ("migrate sql01 Z", "no node named Z"),
    ("migrate sql01 B", "sql01 already runs on B"),
    ("migrate sql01 C", "anti-affinity with sql02 on C"),
])
def test_migration_refusals_say_why(seed_engine, line, reason):
    outcome = seed_engine.submit(parse(line))
    assert not outcome.accepted and reason in outcome.reason


def test_migration_stays_within_one_hypervisor_family(seed_engine):
    seed_engine.cluster.nodes["C"].hypervisor = "hyperv"
    outcome = seed_engine.submit(parse("migrate web01 C"))
    assert not outcome.accepted and "one hypervisor family" in outcome.reason


def test_migration_to_a_full_host_is_refused_with_the_numbers(seed_engine):
    seed_engine.cluster.settings.ha.admission_control = False
    run_checked(seed_engine, 5, {1: "vm-power web02 off"})
    seed_engine.cluster.vms["web02"].memory_gb = 8
    run_checked(seed_engine, 6, {5: "vm-power web02 on"})  # C: 15 of 16 GB
    outcome = seed_engine.submit(parse("migrate app01 C"))
    assert not outcome.accepted and "C has no room" in outcome.reason


def test_without_a_target_the_balancer_picks_one(seed_engine):
    outcome = seed_engine.submit(parse("migrate web01"))
    assert outcome.accepted and outcome.reason.startswith("to ")
    run_checked(seed_engine, 120)
    assert seed_engine.cluster.vms["web01"].host != "A"


def test_migrations_past_the_per_host_limit_queue(seed_engine):
    limit = seed_engine.migrations.limit(seed_engine.cluster.nodes["B"])
    assert limit == 4  # 1 GbE
    seed_engine.cluster.settings.migration.limit_1g = 1
    assert seed_engine.submit(parse("migrate app01 A")).accepted
    assert seed_engine.submit(parse("migrate iis01 C")).accepted
    assert len(seed_engine.migrations.active) == 1 and len(seed_engine.migrations.queued) == 1
    run_checked(seed_engine, 200)
    assert seed_engine.cluster.vms["app01"].host == "A"
    assert seed_engine.cluster.vms["iis01"].host == "C"


def test_target_lost_mid_way_leaves_the_vm_on_its_source(seed_engine):
    run_checked(seed_engine, 30, {10: "migrate app01 A", 15: "fail-node A"})
    aborted = events(seed_engine, "migration_failed")
    assert aborted and "target A lost" in aborted[0].message
    vm = seed_engine.cluster.vms["app01"]
    assert vm.host == "B" and vm.state.value == "running" and vm.target is None


def test_source_lost_mid_way_hands_the_vm_to_ha(seed_engine):
    run_checked(seed_engine, 200, {10: "migrate app01 A", 15: "fail-node B"})
    assert "source B lost" in events(seed_engine, "migration_failed")[0].message
    vm = seed_engine.cluster.vms["app01"]
    assert vm.state.value == "running" and vm.host in ("A", "C")
    assert events(seed_engine, "vm_restarting", lambda e: e.subject == "app01")


def test_progress_is_observable_while_it_runs(seed_engine):
    seed_engine.submit(parse("migrate sql01 A"))
    run_checked(seed_engine, 10)
    migration = seed_engine.migrations.active["sql01"]
    sent = migration.sent_now(seed_engine.now)
    assert 0 < sent < 4096
    assert migration.remaining_now(seed_engine.now) > 0
    assert migration.eta_s(seed_engine.now, 45) > 0
    run_checked(seed_engine, 12)
    assert migration.sent_now(seed_engine.now) > sent


def test_a_migration_started_at_time_zero_reports_how_long_it_took():
    """0.0 is a start time, not a missing one: the report said `0.0 s` for an 18 s move."""
    engine = make_engine()
    run_checked(engine, 120, {0: "migrate sql01"})
    done = events(engine, "migration_completed", lambda e: e.subject == "sql01")
    took = float(done[0].message.split(": ")[1].split(" s,")[0])
    assert took == pytest.approx(done[0].t, abs=0.05) and took > 1


def test_a_vm_moved_at_time_zero_is_held_down_like_any_other():
    """The balancer's hold-down read a move recorded at t = 0.0 as no move at all."""
    engine = make_engine()
    vm = engine.cluster.vms["web01"]
    vm.last_migrated_at = 0.0
    assert not engine.balancer._movable(vm)
    engine.run_until(engine.cluster.settings.balancer.holddown_s)
    assert engine.balancer._movable(vm)
