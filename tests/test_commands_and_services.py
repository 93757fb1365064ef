"""Operator commands: refusals, read-only mode, power, admission control and failover."""

from __future__ import annotations

import copy

import pytest
from cluster_helpers import events, make_engine, run_checked

from console.model.commands import CommandError, parse
from console.model.engine import Engine
from console.model.entities import Role, ServiceState, VmState


def _state(engine: Engine) -> object:
    c = engine.cluster
    return copy.deepcopy((c.nodes, c.vms, c.services, c.pending))


@pytest.mark.parametrize("line, reason", [
    ("fail-node Z", "no node named Z"),
    ("power-on A", "A is already powered on"),
    ("reconnect A", "A is not cut off"),
    ("vm-power nope on", "no VM named nope"),
    ("vm-power web01 on", "web01 is already running"),
    ("failover sql Z", "Z is neither a member of sql nor a node"),
    ("failover sql A", "no member of sql runs on A"),
    ("failover nope", "no service named nope"),
])
def test_refused_commands_say_why_and_change_nothing(seed_engine, line, reason):
    before = _state(seed_engine)
    outcome = seed_engine.submit(parse(line))
    assert not outcome.accepted
    assert reason in outcome.reason
    assert _state(seed_engine) == before
    assert seed_engine.log.events[-1].kind == "refused"


def test_failover_to_the_active_member_is_accepted_and_moves_nothing(seed_engine):
    before = _state(seed_engine)
    outcome = seed_engine.submit(parse("failover sql sql01"))
    assert outcome.accepted and "nothing to move" in outcome.reason
    assert _state(seed_engine) == before
    assert not any(e.kind == "service_failover" for e in seed_engine.log.events)


def test_read_only_mode_refuses_every_mutating_command():
    engine = make_engine()
    engine.read_only = True
    for line in ("fail-node A", "isolate B", "failover sql", "vm-power web01 off"):
        outcome = engine.submit(parse(line))
        assert not outcome.accepted and "read-only" in outcome.reason
    assert engine.submit(parse("speed 4")).reason != "read-only mode: changes are disabled"


def test_command_event_comes_before_its_consequences(seed_engine):
    seed_engine.submit(parse("power-off C"))
    kinds = [e.kind for e in seed_engine.log.events]
    assert kinds[0] == "command" and "vm_down" in kinds[1:]


@pytest.mark.parametrize("line", ["", "frob A", "fail-node", "vm-power web01 maybe",
                                  "speed -1", "migrate a b c", "rebalance --now"])
def test_malformed_commands_do_not_parse(line):
    with pytest.raises(CommandError):
        parse(line)


def test_commands_round_trip_through_their_text():
    for line in ("fail-node B", "failover sql C", "vm-power web01 off", "rebalance --dry-run",
                 "deploy web09 win2008+iis on C", "maintenance B on", "speed 4"):
        assert parse(line).text() == line


def test_forced_failover_moves_the_service_after_failover_time(seed_engine):
    sql = seed_engine.cluster.services["sql"]
    assert seed_engine.submit(parse("failover sql")).accepted
    assert sql.state is ServiceState.FAILING_OVER and sql.active is None
    run_checked(seed_engine, sql.failover_s + 1)
    assert sql.active == "sql02" and sql.state is ServiceState.ONLINE
    assert sql.failover_times == []  # planned moves do not count against the limit


def test_forced_failover_accepts_a_node_as_target(seed_engine):
    assert seed_engine.submit(parse("failover exchange B")).accepted
    run_checked(seed_engine, 60)
    assert seed_engine.cluster.services["exchange"].active == "exch02"


def test_immediate_failback_returns_to_the_preferred_owner(seed_engine):
    iis = seed_engine.cluster.services["iis"]
    assert iis.failback == "immediate" and iis.preferred_owners[0] == "iis01"
    run_checked(seed_engine, 400, {60: "fail-node B"})
    assert events(seed_engine, "service_failover", lambda e: "failing back" in e.message)
    assert iis.active == "iis01"


def test_delayed_failback_waits_its_delay(seed_engine):
    exchange = seed_engine.cluster.services["exchange"]
    run_checked(seed_engine, 900, {60: "fail-node A"})
    back = events(seed_engine, "service_failover",
                  lambda e: e.subject == "exchange" and "failing back" in e.message)
    running = events(seed_engine, "vm_running", lambda e: e.subject == "exch01")[0]
    assert back and back[0].t == running.t + exchange.failback_delay_s
    assert exchange.active == "exch01"


def test_too_many_failovers_fail_the_service_until_an_operator_acts(seed_engine):
    sql = seed_engine.cluster.services["sql"]
    sql.max_failovers = 1
    run_checked(seed_engine, 1500, {60: "fail-node B", 400: "power-on B",
                                    800: "fail-node A", 1100: "vm-power sql02 off"})
    assert sql.state is ServiceState.FAILED
    assert events(seed_engine, "service_failed")
    assert seed_engine.submit(parse("failover sql sql01")).accepted
    run_checked(seed_engine, 1600)
    assert sql.state is ServiceState.ONLINE


def test_powering_off_the_active_member_fails_the_service_over_at_once(seed_engine):
    run_checked(seed_engine, 60, {10: "vm-power sql01 off"})
    sql = seed_engine.cluster.services["sql"]
    assert events(seed_engine, "service_failover")[0].t == 10
    assert sql.active == "sql02" and sql.roles["sql01"] is Role.OFFLINE
    assert seed_engine.cluster.vms["sql01"].state is VmState.STOPPED


def test_admission_control_refuses_a_power_on_that_breaks_failover_capacity(seed_engine):
    cluster = seed_engine.cluster
    run_checked(seed_engine, 5, {1: "vm-power mon01 off", 2: "vm-power web02 off"})
    cluster.vms["mon01"].memory_gb = 6  # now it would need more than the 5 GB left
    outcome = seed_engine.submit(parse("vm-power mon01 on"))
    assert not outcome.accepted and "admission control" in outcome.reason
    assert seed_engine.submit(parse("vm-power web02 on")).accepted


def test_node_order_follows_the_file_then_added_nodes(seed_engine) -> None:
    from console.model import views
    from console.model.commands import parse

    assert seed_engine.submit(parse("add-node D A")).accepted
    order, positions = views.node_order(seed_engine)
    assert list(order) == ["A", "B", "C", "D"]
    assert positions == {"A": 0, "B": 1, "C": 2, "D": 3}


def test_read_only_allows_a_dry_run_rebalance_but_not_a_real_one(seed_engine) -> None:
    from console.model.commands import parse

    seed_engine.read_only = True
    assert seed_engine.submit(parse("rebalance --dry-run")).accepted
    refused = seed_engine.submit(parse("rebalance"))
    assert not refused.accepted and "read-only" in refused.reason
