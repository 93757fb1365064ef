"""vm-suspend, vm-resume and vm-shutdown in the embedded model: the paused state and its
consequences (capacity held, no load, no HA restart, no balancer or evacuation move)."""

from __future__ import annotations

from cluster_helpers import TWO_HOSTS, events, run_checked

from console.formats.cluster import parse_cluster
from console.formats.toml import ConfigError
from console.model import views
from console.model.commands import parse
from console.model.engine import Engine
from console.model.entities import HaState, VmState
from console.model.summary import summary

CLUSTER = TWO_HOSTS + """
[[vms]]
name = "web01"
guest_os = "rhel"
host = "A"
memory_gb = 2

[[vms]]
name = "web02"
guest_os = "rhel"
host = "A"
state = "paused"
"""


def engine_of(text: str = CLUSTER) -> Engine:
    return Engine(parse_cluster(text, "t.toml"))


def test_suspend_keeps_host_and_memory_and_resume_runs_it_again() -> None:
    engine = engine_of()
    node = engine.cluster.nodes["A"]
    used = (node.used_vcpus, node.used_memory_gb)
    run_checked(engine, 5, {1: "vm-suspend web01"})
    vm = engine.cluster.vms["web01"]
    assert vm.state is VmState.PAUSED and vm.host == "A"
    assert (node.used_vcpus, node.used_memory_gb) == used
    assert [e.message for e in events(engine, "vm_paused")] == ["web01 is paused on A"]
    assert summary(engine)["vms"]["web01"]["state"] == "paused"  # type: ignore[index]
    assert views.vm_cpu(engine, vm) == 0
    run_checked(engine, 10, {6: "vm-resume web01"})
    assert vm.state is VmState.RUNNING
    assert events(engine, "vm_resumed")


def test_refusals_name_the_state() -> None:
    engine = engine_of()
    assert "web02 is paused, not running" in engine.submit(parse("vm-suspend web02")).reason
    assert "web01 is running, not paused" in engine.submit(parse("vm-resume web01")).reason
    assert "vm-resume web02" in engine.submit(parse("vm-power web02 on")).reason
    assert "paused" in engine.submit(parse("migrate web02 B")).reason
    assert "paused" in engine.submit(parse("vm-shutdown web02")).reason
    engine.submit(parse("isolate A"))
    engine.advance(60)
    assert "web01's host A is" in engine.submit(parse("vm-suspend web01")).reason


def test_shutdown_stops_after_shutdown_s_with_an_event() -> None:
    engine = engine_of()
    shutdown_s = engine.cluster.settings.quorum.shutdown_s
    run_checked(engine, 1, {0.5: "vm-shutdown web01"})
    vm = engine.cluster.vms["web01"]
    assert vm.state is VmState.RUNNING and vm.ha_state is HaState.STARTED
    assert "is shutting down" in engine.submit(parse("vm-shutdown web01")).reason
    run_checked(engine, 0.5 + shutdown_s + 1)
    assert vm.state is VmState.STOPPED and vm.ha_state is HaState.STOPPED
    [stopped] = events(engine, "vm_stopped")
    assert stopped.t == 0.5 + shutdown_s and stopped.message.startswith("web01 shut down on A")


def test_a_shutdown_overtaken_by_power_off_says_nothing_more() -> None:
    engine = engine_of()
    run_checked(engine, 60, {1: "vm-shutdown web01", 2: "vm-power web01 off"})
    assert len(events(engine, "vm_stopped")) == 1


def test_ha_does_not_restart_a_paused_vm_lost_with_its_host() -> None:
    engine = engine_of()
    run_checked(engine, 600, {1: "fail-node A"})
    assert engine.cluster.vms["web02"].state is VmState.STOPPED
    assert engine.cluster.vms["web01"].state is VmState.RUNNING  # restarted on B
    assert any("web02 was paused" in e.message for e in events(engine, "vm_stopped"))


def test_evacuation_waits_for_a_paused_vm_and_says_so() -> None:
    engine = engine_of()
    run_checked(engine, 120, {1: "maintenance A on --force"})
    assert engine.cluster.nodes["A"].state.value == "entering_maintenance"
    assert any("vm-resume web02" in e.message for e in events(engine, "evacuation_blocked"))
    run_checked(engine, 300, {121: "vm-resume web02"})
    assert engine.cluster.nodes["A"].state.value == "maintenance"


def test_state_key_takes_paused_and_refuses_other_words() -> None:
    try:
        parse_cluster(CLUSTER.replace('state = "paused"', 'state = "sleeping"'), "t.toml")
    except ConfigError as error:
        assert "running, paused, stopped" in str(error) or "paused" in str(error)
    else:
        raise AssertionError("state = sleeping accepted")
