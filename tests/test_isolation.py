"""Network partitions: quorum, the isolation response, fencing and split brain."""

from __future__ import annotations

import pytest
from cluster_helpers import events, make_engine, run_checked

from console.model.entities import NodeState, Role, VmState


@pytest.mark.parametrize("response", ["power_off", "shutdown", "leave_powered_on"])
def test_isolated_node_loses_quorum_and_its_vms_restart_only_once_off(response):
    engine = make_engine(quorum__isolation_response=response)
    a_vms = sorted(engine.cluster.nodes["A"].vms)
    run_checked(engine, 400, {60: "isolate A"}, step=0.5)
    lost = events(engine, "quorum_lost")
    assert [e.subject for e in lost] == ["A"]
    assert response in lost[0].message
    assert engine.cluster.nodes["A"].state in (NodeState.ISOLATED, NodeState.FAILED)
    restarts = {e.subject: e for e in events(engine, "vm_restarting")}
    assert sorted(restarts) == a_vms
    for name in a_vms:
        down = events(engine, "vm_down", lambda e, n=name: e.subject == n)[0]
        assert down.t <= restarts[name].t
        assert events(engine).index(down) < events(engine).index(restarts[name])
    if response == "leave_powered_on":
        assert events(engine, "node_fenced")[0].t <= min(e.t for e in restarts.values())
    else:
        assert not events(engine, "node_fenced")
    assert all(engine.cluster.vms[n].state is VmState.RUNNING for n in a_vms)


def test_isolated_active_member_stands_down_before_the_other_side_promotes():
    engine = make_engine(quorum__isolation_response="leave_powered_on")
    exchange = engine.cluster.services["exchange"]
    assert engine.cluster.vms[exchange.active].host == "A"
    run_checked(engine, 300, {60: "isolate A"}, step=0.25)
    stood_down = events(engine, "service_offline", lambda e: e.subject == "exchange")[0]
    failover = events(engine, "service_failover", lambda e: e.subject == "exchange")[0]
    assert events(engine).index(stood_down) < events(engine).index(failover)
    assert engine.cluster.vms[exchange.active].host != "A"
    assert list(exchange.roles.values()).count(Role.ACTIVE) == 1


def test_reconnected_node_rejoins_and_regains_its_vote():
    engine = make_engine()
    run_checked(engine, 400, {60: "isolate A", 200: "reconnect A"})
    node = engine.cluster.nodes["A"]
    assert node.state is NodeState.ONLINE and node.has_vote and not node.quorum_lost
    assert events(engine, "node_online", lambda e: e.subject == "A")[0].t == 200


def test_without_datastore_heartbeat_an_isolated_node_looks_failed_and_is_fenced():
    engine = make_engine(heartbeat__datastore_heartbeat=False,
                         quorum__isolation_response="leave_powered_on")
    run_checked(engine, 300, {60: "isolate A"})
    assert events(engine, "node_failed")[0].subject == "A"
    assert events(engine, "node_fenced")[0].subject == "A"


def test_majority_lost_on_both_sides_restarts_nothing():
    engine = make_engine(quorum__witness=False)
    run_checked(engine, 300, {60: "isolate A", 61: "isolate B"})
    assert {e.subject for e in events(engine, "quorum_lost")} == {"A", "B", "C"}
    assert not events(engine, "vm_restarting")
    assert not events(engine, "service_failover")


def test_a_node_cut_off_while_booting_comes_up_isolated_and_rejoins_when_reconnected():
    engine = make_engine()
    run_checked(engine, 400, {60: "fail-node A", 90: "power-on A", 100: "isolate A"})
    node = engine.cluster.nodes["A"]
    assert node.state is NodeState.ISOLATED and node.powered  # booted at 210 s, cut off
    run_checked(engine, 500, {450: "reconnect A"})
    assert node.state is NodeState.ONLINE


def test_a_node_reconnected_while_booting_simply_comes_up():
    engine = make_engine()
    run_checked(engine, 400, {60: "fail-node A", 90: "power-on A", 100: "isolate A",
                              110: "reconnect A"})
    assert engine.cluster.nodes["A"].state is NodeState.ONLINE
