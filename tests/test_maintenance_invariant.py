"""Invariant 4, path by path: a host in maintenance holds no VM and none is in flight to it.

Every behaviour that chooses a destination or starts a VM (migration landing, balancer, HA
restart, power-on, deploy, failover, maintenance exit) is driven at a host entering or in
maintenance; `run_checked` asserts all invariants, this one included, at every step.
"""

from __future__ import annotations

import pytest
from cluster_helpers import events, make_engine, run_checked

from console.model.cluster import Cluster
from console.model.commands import parse
from console.model.entities import CONSUMING_STATES, NodeState, VmState
from console.model.invariants import maintenance, violations


def _held(cluster: Cluster, node: str) -> list[str]:
    """VMs holding a place on `node`: running, starting or migrating there or away."""
    return sorted(vm.name for vm in cluster.vms.values()
                  if vm.state in CONSUMING_STATES and node in (vm.host, vm.target))


def test_the_invariant_names_a_vm_on_and_a_vm_flying_to_a_host_in_maintenance(seed_engine):
    cluster = seed_engine.cluster
    assert maintenance(cluster) == []
    cluster.set_condition(cluster.nodes["C"], state=NodeState.MAINTENANCE)
    on_c = sorted(cluster.nodes["C"].vms)[0]
    assert f"{on_c} is running on C, which is in maintenance" in violations(cluster)
    cluster.set_condition(cluster.nodes["C"], state=NodeState.ENTERING_MAINTENANCE)
    web01 = cluster.vms["web01"]
    cluster.set_target(web01, "C")
    cluster.set_state(web01, VmState.MIGRATING)
    assert "web01 is migrating to C, which is entering_maintenance" in maintenance(cluster)


def test_maintenance_off_then_on_abandons_the_migrations_coming_back(seed_engine):
    """The issue's repeat: C left maintenance, the balancer sent SQL and Exchange members back,
    and C re-entered maintenance at once; they landed on C after it reached maintenance."""
    run_checked(seed_engine, 400, {0: "maintenance C on --force", 120: "maintenance C off",
                                   120.5: "maintenance C on --force"}, step=0.5)
    assert seed_engine.cluster.nodes["C"].state is NodeState.MAINTENANCE
    assert _held(seed_engine.cluster, "C") == []
    abandoned = events(seed_engine, "migration_failed", lambda e: e.t == 120.5)
    assert abandoned and all("target C is entering maintenance" in e.message
                             for e in abandoned)
    for event in abandoned:  # each stays where it was, running
        assert seed_engine.cluster.vms[event.subject].state is VmState.RUNNING


def test_two_hosts_into_maintenance_back_to_back(seed_engine):
    """B's evacuation sends VMs to C; C entering maintenance a second later sends them back
    to their source instead of letting them land on C."""
    cluster = seed_engine.cluster
    on_c = set(cluster.nodes["C"].vms)
    run_checked(seed_engine, 900, {10: "maintenance B on --force", 11: "maintenance C on --force"},
                step=0.5)
    assert set(_held(cluster, "C")) <= on_c  # only C's own VMs, waiting for room on A
    assert events(seed_engine, "migration_failed",
                  lambda e: "target C is entering maintenance" in e.message)


def test_a_new_host_entering_maintenance_during_rebalance():
    engine = make_engine()
    run_checked(engine, 700, {0: "add-node D", 200: "rebalance", 201: "maintenance D on --force"},
                step=0.5)
    assert engine.cluster.nodes["D"].state is NodeState.MAINTENANCE
    assert _held(engine.cluster, "D") == []


def test_a_queued_migration_to_a_host_entering_maintenance_is_dropped(seed_engine):
    seed_engine.cluster.settings.migration.limit_1g = 1
    seed_engine.cluster.settings.migration.limit_10g = 1
    a_vms = sorted(seed_engine.cluster.nodes["A"].vms)[:2]
    for name in a_vms:
        assert seed_engine.submit(parse(f"migrate {name} C")).accepted
    assert [m.vm for m in seed_engine.migrations.queued] == a_vms[1:]
    run_checked(seed_engine, 300, {1: "maintenance C on --force"}, step=0.5)
    assert not seed_engine.migrations.queued and _held(seed_engine.cluster, "C") == []


@pytest.mark.parametrize("state", ["entering", "in"])
def test_operator_migration_to_a_host_in_or_entering_maintenance_is_refused(seed_engine, state):
    seed_engine.cluster.settings.migration.limit_1g = 0  # hold the evacuation: C stays entering
    run_checked(seed_engine, 1 if state == "entering" else 300, {0: "maintenance C on --force"})
    if state == "in":
        seed_engine.cluster.settings.migration.limit_1g = 4
        run_checked(seed_engine, 900)
    expected = "entering_maintenance" if state == "entering" else "maintenance"
    assert seed_engine.cluster.nodes["C"].state.value == expected or state == "in"
    outcome = seed_engine.submit(parse("migrate web01 C"))
    assert not outcome.accepted and "C is" in outcome.reason


def test_ha_restarts_and_power_on_avoid_hosts_in_maintenance(seed_engine):
    run_checked(seed_engine, 600, {0: "maintenance C on --force", 300: "fail-node A",
                                   500: "vm-power mon01 off", 510: "vm-power mon01 on"})
    assert _held(seed_engine.cluster, "C") == []
    restarted = events(seed_engine, "vm_restarting")
    assert restarted and all("on C" not in e.message for e in restarted)


def test_power_on_of_a_vm_left_on_a_host_now_in_maintenance_starts_it_elsewhere():
    seed_engine = make_engine(ha__admission_control=False)
    run_checked(seed_engine, 10, {0: "vm-power web02 off"})
    assert seed_engine.cluster.vms["web02"].host == "C"
    run_checked(seed_engine, 600, {10: "maintenance C on --force", 400: "vm-power web02 on"})
    assert seed_engine.cluster.vms["web02"].host != "C"


def test_deploy_refuses_a_host_entering_or_in_maintenance():
    engine = make_engine("xenserver.toml", ha__admission_control=False)
    run_checked(engine, 5, {0: "maintenance xs04 on --force"})
    outcome = engine.submit(parse("deploy new01 win2008 on xs04"))
    assert not outcome.accepted and "xs04 is" in outcome.reason
    run_checked(engine, 900)
    assert engine.submit(parse("deploy new02 win2008+iis7")).accepted
    assert engine.cluster.vms["new02"].host != "xs04"
    run_checked(engine, 1200)


def test_maintenance_exit_spreads_load_onto_no_host_in_maintenance(seed_engine):
    run_checked(seed_engine, 1500, {0: "maintenance B on --force", 10: "maintenance C on --force",
                                    900: "maintenance B off"}, step=0.5)
    assert _held(seed_engine.cluster, "C") == []
    assert seed_engine.cluster.nodes["C"].state is NodeState.MAINTENANCE


def test_failover_refuses_a_member_on_a_host_entering_maintenance(seed_engine):
    seed_engine.cluster.settings.migration.limit_1g = 0  # hold the evacuation
    seed_engine.cluster.settings.migration.limit_10g = 0
    passive = next(m for m in seed_engine.cluster.services["sql"].members
                   if m != seed_engine.cluster.services["sql"].active)
    host = seed_engine.cluster.vms[passive].host
    seed_engine.submit(parse(f"maintenance {host} on --force"))
    outcome = seed_engine.submit(parse(f"failover sql {passive}"))
    assert not outcome.accepted and "entering_maintenance" in outcome.reason
