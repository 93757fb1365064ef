"""Heartbeats, failure detection and HA restart on the seed cluster (three ESXi hosts)."""

from __future__ import annotations

from cluster_helpers import events, make_engine, run_checked

from console.model.commands import parse
from console.model.entities import NodeState, Role, VmState


def test_crashed_node_is_declared_failed_between_74_and_77_seconds(seed_engine):
    run_checked(seed_engine, 120, {60: "fail-node B"})
    suspect = events(seed_engine, "node_suspect")
    failed = events(seed_engine, "node_failed")
    assert [e.subject for e in failed] == ["B"]
    assert 74 <= failed[0].t <= 77
    assert suspect[0].t < failed[0].t
    assert seed_engine.cluster.nodes["B"].state is NodeState.FAILED


def test_lost_vms_restart_on_survivors_in_priority_order_and_nothing_is_lost(seed_engine):
    lost = sorted(seed_engine.cluster.nodes["B"].vms)
    run_checked(seed_engine, 300, {60: "fail-node B"})
    restarts = events(seed_engine, "vm_restarting")
    assert sorted(e.subject for e in restarts) == lost
    priorities = [seed_engine.cluster.vms[e.subject].priority.rank for e in restarts]
    assert priorities == sorted(priorities)
    for name in lost:
        vm = seed_engine.cluster.vms[name]
        assert vm.state is VmState.RUNNING and vm.host in ("A", "C")
    assert all(vm.state is VmState.RUNNING for vm in seed_engine.cluster.vms.values())


def test_vms_restart_only_after_the_lost_node_is_fenced(seed_engine):
    run_checked(seed_engine, 200, {60: "fail-node B"})
    fenced = events(seed_engine, "node_fenced")[0]
    first_restart = events(seed_engine, "vm_restarting")[0]
    assert fenced.t <= first_restart.t
    assert events(seed_engine).index(fenced) < events(seed_engine).index(first_restart)


def test_services_active_on_the_lost_node_fail_over_to_survivors(seed_engine):
    cluster = seed_engine.cluster
    on_b = [s.name for s in cluster.services.values()
            if cluster.vms[s.active].host == "B"]
    assert on_b  # the seed has active members on B
    run_checked(seed_engine, 300, {60: "fail-node B"})
    for name in on_b:
        service = cluster.services[name]
        assert service.state.value == "online"
        assert cluster.vms[service.active].host in ("A", "C")
        failover = events(seed_engine, "service_failover", lambda e, n=name: e.subject == n)[0]
        assert failover.t >= events(seed_engine, "node_failed")[0].t


def test_a_node_that_answers_again_before_detection_is_only_suspect(seed_engine):
    run_checked(seed_engine, 120, {60: "isolate C", 66: "reconnect C"})
    assert [e.kind for e in events(seed_engine) if e.subject == "C"] == [
        "command", "node_suspect", "command", "node_recovered"]
    assert seed_engine.cluster.nodes["C"].state is NodeState.ONLINE
    assert not events(seed_engine, "vm_down")


def test_clean_power_off_restarts_vms_at_once_and_power_on_rejoins_after_boot(seed_engine):
    run_checked(seed_engine, 400, {60: "power-off C", 100: "power-on C"})
    offline = events(seed_engine, "node_offline")[0]
    assert offline.t == 60
    assert events(seed_engine, "vm_restarting")[0].t == 60  # no detection delay
    online = events(seed_engine, "node_online", lambda e: e.subject == "C")[0]
    assert online.t == 100 + seed_engine.cluster.nodes["C"].boot_s
    assert seed_engine.cluster.nodes["C"].state is NodeState.ONLINE


def test_vms_that_cannot_be_placed_wait_pending_and_restart_when_capacity_returns():
    engine = make_engine()
    run_checked(engine, 300, {60: "fail-node A", 120: "fail-node B"})
    pending = [vm for vm in engine.cluster.vms.values() if vm.state is VmState.PENDING_RESTART]
    assert pending and all(vm.host is None for vm in pending)
    assert set(engine.cluster.pending) == {vm.name for vm in pending}
    run_checked(engine, 800, {300: "power-on A"})
    assert not engine.cluster.pending
    assert all(vm.state is VmState.RUNNING for vm in engine.cluster.vms.values())


def test_ha_disabled_vm_stays_down():
    engine = make_engine()
    engine.cluster.vms["web02"].priority = engine.cluster.vms["web02"].priority.DISABLED
    run_checked(engine, 300, {60: "fail-node C"})
    assert engine.cluster.vms["web02"].state is VmState.FAILED
    assert events(engine, "vm_not_restarted")[0].subject == "web02"


def test_sequential_failures_keep_quorum_thanks_to_dynamic_votes(seed_engine):
    run_checked(seed_engine, 600, {60: "fail-node B", 300: "fail-node C"})
    assert seed_engine.membership.has_quorum()
    assert not events(seed_engine, "quorum_lost")
    a_vms = seed_engine.cluster.vms_on(seed_engine.cluster.nodes["A"])
    assert all(vm.state is VmState.RUNNING for vm in a_vms)


def test_active_members_never_overlap_during_a_crash(seed_engine):
    run_checked(seed_engine, 300, {60: "fail-node B"}, step=0.5)
    for service in seed_engine.cluster.services.values():
        assert list(service.roles.values()).count(Role.ACTIVE) == 1


def test_an_added_host_boots_joins_and_takes_load(seed_engine):
    assert seed_engine.submit(parse("add-node D C")).accepted
    node = seed_engine.cluster.nodes["D"]
    assert node.state is NodeState.BOOTING and node.hypervisor == "esxi" and node.cores == 16
    run_checked(seed_engine, 400)
    assert node.state is NodeState.ONLINE and node.has_vote
    assert events(seed_engine, "balancer", lambda e: "D joined" in e.message)
    assert node.vms  # the balancer moved load onto it


def test_adding_a_host_with_a_taken_name_is_refused(seed_engine):
    assert "taken" in seed_engine.submit(parse("add-node web01")).reason
    assert "no node named Z" in seed_engine.submit(parse("add-node D Z")).reason
