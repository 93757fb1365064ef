"""Maintenance mode: evacuation by live migration, blocked evacuations, return and rebalance."""

from __future__ import annotations

from cluster_helpers import events, make_engine, run_checked

from console.model.commands import parse
from console.model.entities import NodeState, VmState
from console.model.summary import summary


def test_maintenance_evacuates_by_live_migration_and_rebalances_on_exit(seed_engine):
    b_vms = sorted(seed_engine.cluster.nodes["B"].vms)
    run_checked(seed_engine, 1800, {10: "maintenance B on --force", 900: "maintenance B off"})
    entered = events(seed_engine, "node_maintenance", lambda e: e.subject == "B")
    assert entered and entered[0].t < 900
    moved = {e.subject for e in events(seed_engine, "migration_completed") if e.t < 900}
    assert moved == set(b_vms)
    for name in b_vms:  # no downtime beyond the switchover
        assert seed_engine.cluster.vms[name].downtime_s < 0.3
    assert not events(seed_engine, "vm_down")
    node_b = seed_engine.cluster.nodes["B"]
    assert node_b.state is NodeState.ONLINE and node_b.vms  # B carries load again
    balancer = seed_engine.balancer
    assert balancer.measure() <= balancer.target_imbalance


def test_active_members_on_the_host_fail_over_before_their_vms_move(seed_engine):
    run_checked(seed_engine, 300, {10: "maintenance B on --force"})
    for name in ("sql", "iis"):
        service = seed_engine.cluster.services[name]
        assert seed_engine.cluster.vms[service.active].host != "B"
        failover = events(seed_engine, "service_failover", lambda e, n=name: e.subject == n)[0]
        assert "entering maintenance" in failover.message and failover.t == 10


def test_maintenance_waits_with_a_reason_when_the_rest_is_full():
    engine = make_engine()
    engine.cluster.settings.ha.admission_control = False
    for name in ("A", "C"):  # A and C too small to take B's VMs
        engine.cluster.nodes[name].memory_gb = 10
    run_checked(engine, 600, {10: "maintenance B on --force"})
    node = engine.cluster.nodes["B"]
    assert node.state is NodeState.ENTERING_MAINTENANCE
    blocked = summary(engine)["maintenance"]["B"]["blocked"]
    assert blocked and all("no room" in why for why in blocked.values())
    assert events(engine, "evacuation_blocked")
    outcome = engine.submit(parse("maintenance B off"))
    assert outcome.accepted and node.state is NodeState.ONLINE


def test_maintenance_survives_a_power_cycle(seed_engine):
    run_checked(seed_engine, 900, {10: "maintenance C on --force", 200: "power-off C",
                                   300: "power-on C"})
    assert seed_engine.cluster.nodes["C"].state is NodeState.MAINTENANCE
    assert not any(vm.state is VmState.FAILED for vm in seed_engine.cluster.vms.values())


def test_no_new_placements_land_on_a_host_in_maintenance(seed_engine):
    run_checked(seed_engine, 300, {10: "maintenance C on --force"})
    outcome = seed_engine.submit(parse("migrate web01 C"))
    assert not outcome.accepted and "C is maintenance" in outcome.reason
    run_checked(seed_engine, 600, {310: "fail-node A"})
    assert all(vm.host != "C" for vm in seed_engine.cluster.vms.values())


def test_maintenance_refusals(seed_engine):
    assert "not in maintenance" in seed_engine.submit(parse("maintenance A off")).reason
    run_checked(seed_engine, 200, {10: "maintenance A on --force"})
    assert "already" in seed_engine.submit(parse("maintenance A on --force")).reason
