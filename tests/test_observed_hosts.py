"""Real hosts as an observed cluster sees them: no quorum among plain libvirt hosts (the console
is their one observer), a host whose connection stops answering goes suspect then failed
whatever the number of hosts, requests made of the hosts end when they fail or when the VM is
observed, a paused VM uses no CPU in any view, and what is known of a host that does not answer
is not shown as current."""

from __future__ import annotations

import pytest
from cluster_helpers import events
from test_observed import OBSERVED, Sink, messages, observed, submit

from console.formats.cluster import parse_cluster
from console.model import views
from console.model.commands import parse
from console.model.engine import Engine
from console.model.entities import NodeState, VmState
from console.ui.details import node_details, vm_details
from console.ui.widgets.keyed_table import meter


def hosts(count: int) -> Engine:
    """An observed cluster of `count` kvm hosts H1.. with one running VM each."""
    text = '[cluster]\nname = "real"\ntruth = "observed"\n'
    for i in range(1, count + 1):
        text += f'\n[[nodes]]\nname = "H{i}"\nhypervisor = "kvm"\nmemory_gb = 16\n'
    for i in range(1, count + 1):
        text += f'\n[[vms]]\nname = "vm{i}"\nguest_os = "rhel"\nhost = "H{i}"\n'
    return Engine(parse_cluster(text, "real.toml"))


# -- 1. no quorum among real hosts -------------------------------------------------------------


def test_losing_one_of_two_real_hosts_blocks_nothing_on_the_other() -> None:
    sink = Sink()
    engine = observed(sink)
    submit(engine, 1, "observe-host B down eof")
    engine.run_until(40)
    assert engine.cluster.nodes["B"].state is NodeState.FAILED
    assert engine.membership.has_quorum()
    quorum = views.quorum(engine)
    assert (quorum.text, quorum.short, quorum.ok) == ("hosts 1/2 heard", "hosts 1/2 heard", True)
    assert not any("quorum" in alert.text for alert in views.open_alerts(engine))
    assert views.node_state_label(engine.cluster.nodes["A"], quorum.voting) == "online"
    for line in ("vm-suspend web01", "vm-power web01 off"):
        outcome = engine.submit_at(engine.now + 1, parse(line))
        assert outcome.accepted, (line, outcome.reason)
    assert sink.asked == ["vm-suspend web01", "vm-power web01 off"]
    assert not events(engine, "quorum_lost")


def test_with_every_real_host_silent_the_console_still_decides() -> None:
    engine = hosts(1)
    submit(engine, 1, "observe-host H1 down eof")
    engine.run_until(40)
    assert engine.membership.has_quorum() and views.quorum(engine).text == "hosts 0/1 heard"
    assert engine.cluster.settings.quorum.voting is False


# -- 2. a silent host goes suspect then failed, whatever the number of hosts -------------------


@pytest.mark.parametrize("count", [1, 2, 3])
def test_a_silent_real_host_goes_suspect_then_failed_and_rejoins(count: int) -> None:
    engine = hosts(count)
    node = engine.cluster.nodes["H1"]
    heartbeat = engine.cluster.settings.heartbeat
    submit(engine, 10, "observe-host H1 down keepalive")
    engine.run_until(10 + heartbeat.suspect_after_missed * heartbeat.interval_s + 0.5)
    assert node.state is NodeState.SUSPECT and not node.heard
    engine.run_until(10 + heartbeat.failed_after_missed * heartbeat.interval_s + 0.5)
    assert node.state is NodeState.FAILED
    assert engine.membership.detection_s(node) == \
        heartbeat.failed_after_missed * heartbeat.interval_s
    assert views.heartbeat(engine, node, 5).strip[-1] is False
    assert all(other.state is NodeState.ONLINE
               for other in engine.cluster.nodes.values() if other is not node)
    submit(engine, 60, "observe-host H1 up")
    assert node.state is NodeState.ONLINE and node.heard
    assert [e.kind for e in engine.log.events if e.subject == "H1" and e.kind.startswith(
        "node_")] == ["node_suspect", "node_failed", "node_online"]


# -- 3. a request ends when the host refuses it or the VM is observed --------------------------


@pytest.mark.parametrize("verb", ["vm-power", "vm-power-on", "start"])
def test_a_refused_start_leaves_the_vm_as_last_observed(verb: str) -> None:
    engine = observed(Sink())
    db = engine.cluster.vms["db01"]
    submit(engine, 1, "vm-power db01 on")
    assert db.state is VmState.RESTARTING
    submit(engine, 2, f"observe-action-failed db01 {verb} \"Domain 'db01' is already running\"")
    assert db.state is VmState.STOPPED
    assert "already running" in messages(engine, "vm_start_failed")[0]
    submit(engine, 3, "observe-vm db01 running")  # a later observation wins
    assert db.state is VmState.RUNNING


def test_a_migration_ends_when_the_vm_is_observed_stopped_or_crashed() -> None:
    engine = observed(Sink())
    web = engine.cluster.vms["web01"]
    submit(engine, 1, "migrate web01 B")
    submit(engine, 2, "observe-vm web01 paused on A migration")  # the migration's own step
    assert web.state is VmState.MIGRATING
    submit(engine, 3, "observe-vm web01 stopped on A destroyed")
    assert web.state is VmState.STOPPED and web.host == "A"
    assert not views.migrations(engine) and messages(engine, "migration_failed")
    submit(engine, 4, "observe-vm web01 running booted")
    submit(engine, 5, "migrate web01 B")
    submit(engine, 6, "observe-vm web01 crashed on A")
    assert web.state is VmState.FAILED and not views.migrations(engine)


def test_a_shutdown_ends_when_the_vm_is_observed_otherwise_or_refused() -> None:
    engine = observed(Sink())
    web = engine.cluster.vms["web01"]
    submit(engine, 1, "vm-shutdown web01")
    assert engine.guest_power.shutting_down(web)
    submit(engine, 2, "observe-vm web01 paused user")
    assert web.state is VmState.PAUSED and not engine.guest_power.shutting_down(web)
    submit(engine, 3, "observe-vm web01 running unpaused")
    submit(engine, 4, "observe-vm web01 stopped destroyed")  # not the shutdown asked at 1
    assert messages(engine, "vm_stopped") == ["web01 is off on A (destroyed)"]
    submit(engine, 5, "observe-vm web01 running booted")
    submit(engine, 6, "vm-shutdown web01")
    submit(engine, 7, "observe-action-failed web01 vm-shutdown 'guest agent not responding'")
    assert web.state is VmState.RUNNING and not engine.guest_power.shutting_down(web)
    submit(engine, 8, "observe-vm web01 stopped destroyed")
    assert messages(engine, "vm_stopped")[-1] == "web01 is off on A (destroyed)"


# -- 4. a paused VM uses no CPU in any view ----------------------------------------------------


@pytest.mark.parametrize("truth", ["observed", "simulated"])
def test_a_paused_vm_uses_no_cpu_in_any_view(truth: str) -> None:
    engine = Engine(parse_cluster(OBSERVED.replace('"observed"', f'"{truth}"'), "t.toml"))
    if truth == "observed":
        submit(engine, 1, "vm-reading idle01 0.5 0.3 0.1")
    idle = engine.cluster.vms["idle01"]
    assert idle.state is VmState.PAUSED
    assert views.vm_cpu(engine, idle) == 0.0 and views.vm_cpu_all(engine)["idle01"] == 0.0
    demand = views.vm_demand(engine, idle)
    assert demand is not None and (demand.cpu, demand.disk_mbps, demand.dirty_mbps) == (0, 0, 0)
    assert "CPU 0% of" in next(line for line in vm_details(engine, "idle01")
                               if line.startswith("workload"))
    if truth == "simulated":  # the host's sum (an observed host's is its own reading)
        assert views.node_usage(engine, engine.cluster.nodes["B"]).cpu == 0.0


# -- 5. an unreachable real host: its last figures are not current -----------------------------


def test_an_unreachable_real_host_shows_no_live_figures() -> None:
    engine = observed()
    submit(engine, 1, "reading B 0.4 0.5 0.1")
    submit(engine, 1, "observe-vm db01 running booted")
    submit(engine, 1, "vm-reading db01 0.5 0.5 0")
    submit(engine, 1, "vm-reading web01 0 0 0")
    node, db = engine.cluster.nodes["B"], engine.cluster.vms["db01"]
    assert views.node_usage(engine, node).cpu == pytest.approx(0.4)
    assert views.vm_cpu(engine, db) == pytest.approx(0.5) and views.vm_last_seen(engine, db) is None
    submit(engine, 10, "observe-host B down eof")
    engine.run_until(40)
    assert views.node_usage(engine, node) == views.UNKNOWN_USAGE
    assert not views.host_answers(engine, node)
    assert views.vm_cpu(engine, db) is None and views.vm_cpu_all(engine)["db01"] is None
    assert views.vm_demand(engine, db) is None
    assert views.vm_last_seen(engine, db) == pytest.approx(10)
    assert db.state is VmState.RUNNING  # as last seen
    assert views.vm_cpu(engine, engine.cluster.vms["web01"]) == 0.0  # A answers
    assert any("not known now" in line for line in node_details(engine, "B"))
    assert any("as last seen at" in line for line in vm_details(engine, "db01"))
    assert meter(None, 10)[-1][0].strip() == "-"
    submit(engine, 50, "observe-host B up")
    assert views.vm_last_seen(engine, db) is None
    assert views.node_usage(engine, node).cpu == pytest.approx(0.4)


def test_a_simulated_host_keeps_its_figures_when_silent() -> None:
    engine = Engine(parse_cluster(OBSERVED.replace('"observed"', '"simulated"'), "t.toml"))
    submit(engine, 1, "isolate A")
    engine.run_until(40)
    node = engine.cluster.nodes["A"]
    assert views.host_answers(engine, node)
    assert views.node_usage(engine, node).cpu is not None
    assert views.vm_last_seen(engine, engine.cluster.vms["web01"]) is None
