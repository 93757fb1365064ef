"""What the keys mean (console.ui.actions), without a console: each action is built from the
model's views and the selection."""

from __future__ import annotations

from ui_helpers import seed_engine

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
from console.session import SessionClock
from console.ui import actions


def test_maintenance_toggles():
    engine = seed_engine()
    assert actions.maintenance(engine, "B").commands == (Maintenance("B", True),)
    engine.submit(parse("maintenance B on"))
    assert actions.maintenance(engine, "B").commands == (Maintenance("B", False),)


def test_crash_and_isolate_ask_first():
    engine = seed_engine()
    crash = actions.crash(engine, "B")
    count = len(engine.cluster.nodes["B"].vms)
    assert crash.commands == (FailNode("B"),) and crash.question == "Crash node B?"
    assert f"its {count} VM(s) go down" in crash.detail
    isolate = actions.isolate("A")
    assert isolate.commands == (Isolate("A"),) and isolate.question is not None


def test_recover_reconnects_an_isolated_node_and_powers_on_the_rest():
    engine = seed_engine()
    engine.submit(parse("isolate C"))
    assert actions.recover(engine, "C").commands == (Reconnect("C"),)
    engine.submit(parse("fail-node B"))
    assert actions.recover(engine, "B").commands == (PowerOn("B"),)
    assert actions.recover(engine, "A").commands == (PowerOn("A"),)  # the model refuses


def test_failover_of_a_node_takes_its_active_services_or_says_there_are_none():
    engine = seed_engine()
    action = actions.failover_node(engine, "B")
    assert action.commands == (Failover("iis"), Failover("sql"))
    assert action.question == "Force iis, sql off B?"
    none = actions.failover_node(engine, "C")
    assert none.commands == () and none.notice_title == "Nothing to fail over"
    assert none.notice is not None and none.notice.startswith("no service is active on C")
    assert actions.failover_service("sql").commands == (Failover("sql"),)


def test_migrate_offers_targets_for_a_running_vm_only():
    engine = seed_engine()
    pick = actions.migrate(engine, "web01", locked=False)
    assert pick.commands == () and pick.vm == "web01"
    assert pick.targets is not None and [t.node for t in pick.targets] == ["B", "C"]
    assert actions.migrate(engine, "web01", locked=True).commands == (Migrate("web01"),)
    engine.submit(parse("migrate dc01 C"))
    assert actions.migrate(engine, "dc01", locked=False).commands == (Migrate("dc01"),)


def test_clock_keys_and_the_balancer():
    clock = SessionClock(speed=1.0, paused=True)
    assert actions.pause(clock).commands == (Resume(),)
    clock.paused = False
    assert actions.pause(clock).commands == (Pause(),)
    assert actions.faster(clock).commands == (Speed(2.0),)
    assert actions.slower(clock).commands == (Speed(0.5),)
    assert actions.rebalance().commands == (Rebalance(),)
