"""Network partitions: quorum, the isolation response, fencing and split brain."""

from __future__ import annotations

from pathlib import Path

import pytest
from cluster_helpers import events, make_engine, run_checked

from console.formats.cluster import load_cluster
from console.model.commands import parse
from console.model.engine import Engine
from console.model.entities import NodeState, Priority, Role, VmState


@pytest.mark.parametrize("response", ["power_off", "shutdown"])
def test_isolated_node_loses_quorum_and_its_vms_restart_only_once_off(response):
    engine = make_engine(quorum__isolation_response=response)
    a_vms = sorted(engine.cluster.nodes["A"].vms)
    run_checked(engine, 400, {60: "isolate A"}, step=0.5)
    lost = events(engine, "quorum_lost")
    assert [e.subject for e in lost] == ["A"]
    assert response in lost[0].message
    assert engine.cluster.nodes["A"].state is NodeState.ISOLATED
    restarts = {e.subject: e for e in events(engine, "vm_restarting")}
    assert sorted(restarts) == a_vms
    for name in a_vms:
        down = events(engine, "vm_down", lambda e, n=name: e.subject == n)[0]
        assert down.t <= restarts[name].t
        assert events(engine).index(down) < events(engine).index(restarts[name])
    assert not events(engine, "node_fenced")
    assert all(engine.cluster.vms[n].state is VmState.RUNNING for n in a_vms)


def test_a_host_known_alive_that_leaves_its_vms_on_is_neither_fenced_nor_emptied():
    engine = make_engine(quorum__isolation_response="leave_powered_on")
    a_vms = sorted(engine.cluster.nodes["A"].vms)
    run_checked(engine, 400, {60: "isolate A", 300: "reconnect A"}, step=0.5)
    assert engine.cluster.nodes["A"].state is NodeState.ONLINE
    assert not events(engine, "node_fenced") and not events(engine, "vm_restarting")
    assert all(engine.cluster.vms[n].host == "A" and engine.cluster.vms[n].downtime_s == 0
               for n in a_vms)
    assert events(engine, "node_online", lambda e: e.subject == "A")[0].t == 300


def test_isolation_response_is_per_vm_and_spares_vms_whose_restart_is_disabled():
    engine = make_engine(quorum__isolation_response="leave_powered_on")
    kept, powered_off, disabled = sorted(engine.cluster.nodes["A"].vms)[:3]
    engine.cluster.vms[powered_off].isolation_response = "power_off"
    engine.cluster.vms[disabled].isolation_response = "power_off"
    engine.cluster.vms[disabled].priority = Priority.DISABLED
    run_checked(engine, 300, {60: "isolate A"}, step=0.5)
    assert [e.subject for e in events(engine, "vm_restarting")] == [powered_off]
    assert engine.cluster.vms[powered_off].host != "A"
    assert engine.cluster.vms[kept].host == "A" and engine.cluster.vms[disabled].host == "A"
    assert engine.cluster.vms[disabled].state is VmState.RUNNING
    assert not events(engine, "node_fenced")


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
    engine = make_engine(quorum__witness=False, quorum__voting=True)
    run_checked(engine, 300, {60: "isolate A", 61: "isolate B"})
    assert {e.subject for e in events(engine, "quorum_lost")} == {"A", "B", "C"}
    assert engine.membership.quorum_partition() is None
    assert not events(engine, "vm_restarting")
    assert not events(engine, "service_failover")
    assert "the cluster has no quorum" in engine.submit(parse("failover sql")).reason


def test_without_voting_the_hosts_on_the_network_carry_on_and_each_cut_off_host_is_isolated():
    """vSphere HA: no votes; the one host left on the heartbeat network restarts the rest."""
    engine = make_engine(quorum__witness=False)
    assert not engine.cluster.settings.quorum.voting
    lost_vms = engine.cluster.nodes["A"].vms | engine.cluster.nodes["B"].vms
    run_checked(engine, 400, {60: "isolate A", 61: "isolate B"})
    assert {e.subject for e in events(engine, "quorum_lost")} == {"A", "B"}
    assert "is isolated" in events(engine, "quorum_lost")[0].message
    assert engine.membership.quorum_partition() == ["C"]
    assert {e.subject for e in events(engine, "vm_restarting")} <= lost_vms
    assert events(engine, "vm_restarting")


def test_the_tie_breaker_lets_the_lowest_named_voter_win_even_cut_off():
    """Both links of a two-node cluster cut: H1 is the cluster (wsfc), H2 stands down."""
    engine = Engine(load_cluster(CASES / "two-node-tiebreak" / "cluster.toml"), 0)
    run_checked(engine, 200, {60: "isolate H1", 61: "isolate H2"})
    assert engine.membership.quorum_partition() == ["H1"]
    assert engine.cluster.nodes["H1"].state is NodeState.ONLINE
    assert [e.subject for e in events(engine, "quorum_lost")] == ["H2"]
    assert engine.cluster.services["sql"].active == "db1"


def test_without_a_tie_breaker_an_even_split_leaves_no_one_with_quorum():
    """Corosync without two_node or a qdevice: one of two votes is no majority."""
    engine = Engine(load_cluster(CASES / "two-node-tiebreak" / "cluster.toml"), 0)
    engine.cluster.settings.quorum.tie_breaker = False
    run_checked(engine, 200, {60: "isolate H1", 61: "isolate H2"})
    assert engine.membership.quorum_partition() is None
    assert {e.subject for e in events(engine, "quorum_lost")} == {"H1", "H2"}


@pytest.mark.parametrize(("dynamic", "survives"), [(True, True), (False, False)])
def test_dynamic_quorum_decides_whether_sequential_failures_leave_a_quorum(dynamic, survives):
    engine = make_engine(quorum__voting=True, quorum__witness=False,
                         quorum__dynamic_quorum=dynamic)
    run_checked(engine, 600, {60: "fail-node B", 300: "fail-node C"})
    assert engine.membership.has_quorum() is survives
    assert bool(events(engine, "quorum_lost")) is not survives


def test_a_dynamic_witness_votes_only_while_the_nodes_votes_are_even():
    engine = make_engine(quorum__voting=True, quorum__dynamic_witness=True)
    assert engine.membership.votes() == (3, 3)  # three node votes: the witness does not vote
    run_checked(engine, 200, {60: "fail-node C"})
    assert engine.membership.votes() == (3, 3)  # two node votes and the witness


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


CASES = Path(__file__).parent / "cases"


@pytest.mark.parametrize("fault", ["isolate C", "fail-node C"])
def test_without_datastore_heartbeat_isolation_and_crash_are_fenced_and_restarted_alike(fault):
    """The quorum side cannot tell the two apart, so it must do the same: fence, then restart
    (tests/cases/isolation-without-datastore-heartbeat)."""
    def times(line: str) -> list[tuple[float, str, str]]:
        engine = Engine(load_cluster(CASES / "isolation-without-datastore-heartbeat"
                                     / "cluster.toml"), 0)
        run_checked(engine, 300, {60: line})
        return [(e.t, e.kind, e.subject) for e in engine.log.events
                if e.kind in ("node_fencing", "node_fenced", "vm_restarting", "vm_running")]

    assert times(fault) == times("fail-node C")
    assert [kind for _, kind, _ in times(fault)] == [
        "node_fencing", "node_fenced", "vm_restarting", "vm_running"]


def test_the_outage_of_a_vm_an_isolated_host_powered_off_counts_from_the_power_off():
    engine = Engine(load_cluster(CASES / "isolation-without-datastore-heartbeat"
                                 / "cluster.toml"), 0)
    run_checked(engine, 300, {60: "isolate C"})
    running = events(engine, "vm_running", lambda e: e.subject == "web")[0]
    assert engine.cluster.vms["web"].downtime_s == running.t - 75  # powered off at detection


def test_a_watchdog_resets_a_host_without_quorum_and_it_boots_once_reconnected():
    """Proxmox VE: the cut-off host resets itself; the quorate side waits for its HA lock."""
    engine = make_engine("pve.toml")
    run_checked(engine, 400, {60: "isolate pve03", 300: "reconnect pve03"})
    lost = events(engine, "quorum_lost")[0].t
    assert events(engine, "node_reset")[0].t == lost + 60
    fenced = events(engine, "node_fenced")[0].t
    assert fenced == 60 + engine.cluster.settings.ha.fence_s  # after its last renewal
    assert min(e.t for e in events(engine, "vm_restarting")) == fenced
    assert engine.cluster.nodes["pve03"].state is NodeState.ONLINE


def test_a_host_without_ha_vms_arms_no_watchdog():
    engine = make_engine("pve.toml")
    for name in engine.cluster.nodes["pve03"].vms:
        engine.cluster.vms[name].priority = Priority.DISABLED
    run_checked(engine, 300, {60: "isolate pve03"})
    assert events(engine, "quorum_lost") and not events(engine, "node_reset")


@pytest.mark.parametrize(("subnet", "detected"), [("", 70), ("site2", 80)])
def test_a_node_alone_on_its_subnet_is_declared_down_after_the_cross_subnet_threshold(
        subnet, detected):
    """WSFC: 10 missed beats within a subnet, 20 across subnets."""
    engine = make_engine("hyperv.toml", heartbeat__failed_after_missed=10,
                         heartbeat__cross_subnet_failed_after_missed=20)
    engine.cluster.nodes["HV04"].subnet = subnet
    run_checked(engine, 200, {60: "fail-node HV04"})
    assert events(engine, "node_failed")[0].t == detected
