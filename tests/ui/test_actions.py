"""What the keys mean (console.ui.actions), without a console: each action is built from the
model's views and the selection."""

from __future__ import annotations

from ui_helpers import seed_engine

from console.formats.cluster import parse_cluster
from console.model.commands import (
    FailNode,
    Failover,
    Isolate,
    Maintenance,
    Migrate,
    Pause,
    PowerOn,
    Rebalance,
    Reconnect,
    Resume,
    Speed,
    parse,
)
from console.model.engine import Engine
from console.paths import SAMPLE_CLUSTERS
from console.session import SessionClock
from console.ui import actions
from console.ui.actions import Selection, Target, target_of


def node(name: str) -> Target:
    return Target(node=name)


def test_maintenance_toggles():
    engine = seed_engine()
    assert actions.maintenance(engine, node("B")).commands == (Maintenance("B", True),)
    engine.submit(parse("maintenance B on"))
    assert actions.maintenance(engine, node("B")).commands == (Maintenance("B", False),)


def test_crash_and_isolate_ask_first():
    engine = seed_engine()
    crash = actions.crash(engine, node("B"))
    count = len(engine.cluster.nodes["B"].vms)
    assert crash.commands == (FailNode("B"),) and crash.question == "Crash node B?"
    assert f"its {count} VM(s) go down" in crash.detail
    assert crash.commands == (FailNode("B"),)
    isolate = actions.isolate(node("A"))
    assert isolate.commands == (Isolate("A"),) and isolate.question is not None


def test_recover_reconnects_an_isolated_node_and_powers_on_the_rest():
    engine = seed_engine()
    engine.submit(parse("isolate C"))
    assert actions.recover(engine, node("C")).commands == (Reconnect("C"),)
    engine.submit(parse("fail-node B"))
    assert actions.recover(engine, node("B")).commands == (PowerOn("B"),)
    assert actions.recover(engine, node("A")).commands == (PowerOn("A"),)  # the model refuses


def test_failover_of_a_node_takes_its_active_services_or_says_there_are_none():
    engine = seed_engine()
    action = actions.failover(engine, node("B"))
    assert action.commands == (Failover("iis"), Failover("sql"))
    assert action.question == "Force iis, sql off node B?"
    none = actions.failover(engine, node("C"))
    assert none.commands == () and none.notice_title == "Nothing to fail over"
    assert none.notice is not None and none.notice.startswith("no service is active on node C")
    assert actions.failover(engine, Target(service="sql")).commands == (Failover("sql"),)


def test_migrate_offers_targets_for_a_running_vm_only():
    engine = seed_engine()
    pick = actions.migrate(engine, Target(vm="web01"), locked=False)
    assert pick.commands == () and pick.vm == "web01"
    assert pick.targets is not None and [t.node for t in pick.targets] == ["B", "C"]
    assert actions.migrate(engine, Target(vm="web01"), locked=True).commands == (Migrate("web01"),)
    engine.submit(parse("migrate dc01 C"))
    assert actions.migrate(engine, Target(vm="dc01"), locked=False).commands == (Migrate("dc01"),)


def test_clock_keys_and_the_balancer():
    clock = SessionClock(speed=1.0, paused=True)
    assert actions.pause(clock).commands == (Resume(),)
    clock.paused = False
    assert actions.pause(clock).commands == (Pause(),)
    assert actions.faster(clock).commands == (Speed(2.0),)
    assert actions.slower(clock).commands == (Speed(0.5),)



def test_b_on_a_balanced_cluster_says_there_is_nothing_to_move_without_asking():
    """`b` asked "apply its plan?" about an empty plan: now a notice with the balancer's reason."""
    engine = seed_engine()
    engine.run_before(600)
    action = actions.rebalance(engine)
    assert not action.commands and action.question is None
    assert action.notice is not None and "Nothing to move" in action.notice
    assert "balanced (imbalance" in action.notice


def test_b_with_moves_to_make_asks_first():
    text = ((SAMPLE_CLUSTERS / "seed.toml").read_text()
            + '\n[balancer]\nautomation = "manual"\nthreshold = 5\n')
    engine = Engine(parse_cluster(text, "manual.toml"), 0)
    engine.run_before(900)
    action = actions.rebalance(engine)
    assert action.commands == (Rebalance(),) and action.question is not None


def test_a_node_key_in_the_vms_pane_acts_on_the_vms_host():
    """In VMs (all) with `sql01 running B` selected, x names B, the host of sql01, whatever the
    Nodes pane selects."""
    engine = seed_engine()
    host = engine.cluster.vms["sql01"].host
    assert host != "A"
    for key_id in actions.NODE_KEYS - {"failover"}:
        target = target_of(engine, key_id, Selection("vms", node="A", vm="sql01"))
        assert target.node == host and target.via == "host of sql01", key_id
    crash = actions.crash(engine, target_of(engine, "crash",
                                            Selection("migrations", node="A", vm="sql01")))
    assert crash.question == f"Crash node {host} (host of sql01)?"
    maintenance = actions.maintenance(engine, target_of(engine, "maintenance",
                                                        Selection("vms", node="A", vm="sql01")))
    assert maintenance.commands == (Maintenance(host, True),)
    assert maintenance.question == f"Put node {host} (host of sql01) into maintenance?"


def test_in_the_services_pane_failover_is_the_service_and_node_keys_its_active_host():
    engine = seed_engine()
    service = engine.cluster.services["exchange"]
    host = engine.cluster.vms[service.active].host
    selection = Selection("services", node="C", vm="web01", service="exchange")
    assert target_of(engine, "failover", selection) == Target(service="exchange")
    crash = target_of(engine, "crash", selection)
    assert crash.node == host and crash.via == f"host of exchange's active member {service.active}"
    assert target_of(engine, "migrate", selection).vm == service.active


def test_migrate_from_the_nodes_pane_says_there_is_no_vm():
    engine = seed_engine()
    target = target_of(engine, "migrate", Selection("nodes", node="A", vm="web01"))
    assert target.vm is None and target.missing is not None and "no VM selected" in target.missing
    action = actions.migrate(engine, target, locked=False)
    assert action.commands == () and action.notice == target.missing


def test_forced_maintenance_asks_with_force():
    engine = seed_engine()
    action = actions.maintenance(engine, node("A"), force=True)
    assert action.commands == (Maintenance("A", True, force=True),)
    assert action.question == "Force node A into maintenance?"
