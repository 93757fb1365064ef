"""Observed clusters (`[cluster] truth = "observed"`): real hosts whose truth enters as
observation commands; the model asks them to act (`Engine.actuations`) and changes state only
when the result is observed. No libvirt here: the observations are given by hand."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from cluster_helpers import events

from console.formats.cluster import parse_cluster
from console.formats.recording import Recorder, parse_recording
from console.formats.toml import ConfigError
from console.model import views
from console.model.commands import Command, parse
from console.model.engine import Engine
from console.model.entities import NodeState, VmState
from console.model.invariants import violations
from console.model.observed import REFUSALS
from console.replay import replay_headless
from console.session import OBSERVATION, Session

OBSERVED = """\
[cluster]
name = "real"
truth = "observed"

[[nodes]]
name = "A"
hypervisor = "kvm"
memory_gb = 16

[[nodes]]
name = "B"
hypervisor = "kvm"
memory_gb = 16

[[vms]]
name = "web01"
guest_os = "rhel"
host = "A"
memory_gb = 2

[[vms]]
name = "db01"
guest_os = "rhel"
host = "B"
state = "stopped"

[[vms]]
name = "idle01"
guest_os = "rhel"
host = "B"
state = "paused"
"""


class Sink:
    """An Actuations sink that notes what it was asked."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    def act(self, command: Command) -> None:
        self.asked.append(command.text())


def observed(sink: Sink | None = None) -> Engine:
    engine = Engine(parse_cluster(OBSERVED, "real.toml"))
    engine.actuations = sink
    return engine


def submit(engine: Engine, t: float, line: str) -> None:
    engine.submit_at(t, parse(line))
    assert not violations(engine.cluster), (line, violations(engine.cluster))


def messages(engine: Engine, kind: str) -> list[str]:
    return [e.message for e in events(engine, kind)]


def test_truth_key_and_the_autonomy_that_is_off() -> None:
    engine = observed()
    assert engine.cluster.observed
    assert not engine.cluster.settings.ha.enabled
    assert engine.cluster.settings.balancer.automation == "manual"
    assert len(events(engine, "observed")) == 1
    assert engine.cluster.vms["idle01"].state is VmState.PAUSED
    simulated = parse_cluster(OBSERVED.replace("observed", "simulated"), "t.toml")
    assert not Engine(simulated).cluster.observed
    with pytest.raises(ConfigError, match=r"^t.toml:3: cluster.truth: must be one of "):
        parse_cluster(OBSERVED.replace('"observed"', '"real"'), "t.toml")


def test_a_request_goes_to_the_hosts_and_the_state_changes_when_observed() -> None:
    sink = Sink()
    engine = observed(sink)
    web = engine.cluster.vms["web01"]
    submit(engine, 1, "vm-suspend web01")
    assert sink.asked == ["vm-suspend web01"] and web.state is VmState.RUNNING
    assert messages(engine, "action_requested") == ["asked A to suspend web01"]
    submit(engine, 2, "observe-vm web01 paused user")
    assert web.state is VmState.PAUSED
    assert messages(engine, "vm_paused") == ["web01 is paused on A (user)"]
    before = len(engine.log.events)
    submit(engine, 3, "observe-vm web01 paused user")  # unchanged: no event
    assert len(engine.log.events) == before
    submit(engine, 4, "vm-resume web01")
    submit(engine, 5, "observe-vm web01 running unpaused")
    assert web.state is VmState.RUNNING and events(engine, "vm_resumed")


def test_a_start_waits_for_its_observation_or_fails_with_the_hosts_reason() -> None:
    sink = Sink()
    engine = observed(sink)
    db = engine.cluster.vms["db01"]
    submit(engine, 1, "vm-power db01 on")
    assert sink.asked == ["vm-power db01 on"] and db.state is VmState.RESTARTING
    engine.run_until(600)
    assert db.state is VmState.RESTARTING  # nothing boots by itself
    submit(engine, 601, "observe-vm db01 running booted")
    assert db.state is VmState.RUNNING and db.host == "B"
    submit(engine, 602, "vm-power db01 off")
    assert db.state is VmState.RUNNING and sink.asked[-1] == "vm-power db01 off"
    submit(engine, 603, "observe-vm db01 stopped destroyed")
    assert db.state is VmState.STOPPED
    submit(engine, 604, "vm-power db01 on")
    submit(engine, 605, "observe-action-failed db01 vm-power 'not enough memory'")
    assert db.state is VmState.STOPPED and db.host == "B"  # no retry elsewhere
    assert messages(engine, "action_failed") == ["B could not vm-power db01: not enough memory"]
    assert "not enough memory" in messages(engine, "vm_start_failed")[0]


def test_a_migration_shows_observed_progress_and_ends_when_observed() -> None:
    sink = Sink()
    engine = observed(sink)
    web = engine.cluster.vms["web01"]
    submit(engine, 1, "migrate web01 B")
    assert sink.asked == ["migrate web01 B"] and web.state is VmState.MIGRATING
    submit(engine, 2, "observe-migration web01 3 100 25")
    [view] = views.migrations(engine)
    assert (view.round, view.remaining_mb) == (3, 100)
    submit(engine, 3, "observe-vm web01 paused on A migration")  # the switchover's pause
    assert web.state is VmState.MIGRATING
    submit(engine, 4, "observe-migrated web01 B")
    assert web.state is VmState.RUNNING and web.host == "B"
    assert "switchover 25 ms" in messages(engine, "migration_completed")[0]
    assert engine.cluster.nodes["A"].used_memory_gb == 0


def test_a_failed_or_cancelled_migration_leaves_the_vm_on_its_source() -> None:
    sink = Sink()
    engine = observed(sink)
    submit(engine, 1, "migrate web01 B")
    submit(engine, 2, "observe-action-failed web01 migrate 'unsupported configuration'")
    assert engine.cluster.vms["web01"].host == "A"
    assert "unsupported configuration" in messages(engine, "migration_failed")[0]
    submit(engine, 3, "migrate web01 B")
    submit(engine, 4, "cancel-migration web01")
    assert sink.asked[-1] == "cancel-migration web01"
    assert engine.cluster.vms["web01"].state is VmState.RUNNING


def test_a_silent_host_goes_suspect_then_failed_and_comes_back() -> None:
    engine = observed()
    node = engine.cluster.nodes["A"]
    submit(engine, 10, "observe-host A down 'keepalive timeout'")
    engine.run_until(14)
    assert node.state is NodeState.SUSPECT
    engine.run_until(60)
    assert node.state is NodeState.FAILED
    assert engine.cluster.vms["web01"].state is VmState.RUNNING  # no HA restart, no response
    assert not events(engine, "quorum_lost") and not events(engine, "node_fencing")
    submit(engine, 100, "observe-host A up")
    assert node.state is NodeState.ONLINE


def test_fault_injection_and_simulated_provisioning_are_refused_with_a_reason() -> None:
    engine = observed()
    lines = ["fail-node A", "power-off A", "power-on A", "add-node C", "isolate A",
             "reconnect A", "fail-starts A", "fail-migrations A", "deploy x win2008",
             "publish-image win2008", "relocate web01 B"]
    reasons = {engine.submit(parse(line)).reason for line in lines}
    assert reasons == set(REFUSALS.values())


def test_defined_and_undefined_vms_keep_the_indexes_right() -> None:
    engine = observed()
    node = engine.cluster.nodes["A"]
    submit(engine, 1, "observe-defined new01 A 2 2048 20")
    vm = engine.cluster.vms["new01"]
    assert vm.state is VmState.STOPPED and "new01" in node.vms and vm.memory_gb == 2
    submit(engine, 2, "observe-vm new01 running booted")
    assert node.used_memory_gb == 4
    engine.run_until(30)  # a history sample with new01
    submit(engine, 31, "observe-undefined new01")
    assert "new01" not in engine.cluster.vms and "new01" not in node.vms
    assert node.used_memory_gb == 2
    engine.run_until(60)
    submit(engine, 61, "observe-defined new02 A 1 1024 10")
    engine.run_until(80)
    assert views.node_cpu_history(engine, node, 5, 10.0)


def test_readings_replace_the_workload_model() -> None:
    engine = observed()
    web = engine.cluster.vms["web01"]
    assert views.vm_cpu(engine, web) is None  # unread: nothing assumed, nothing shown
    assert views.vm_unread(engine, web)
    submit(engine, 1, "vm-reading web01 0.5 0.25 0.1")
    assert views.vm_cpu(engine, web) == 0.5
    submit(engine, 2, "reading B 0.3 0.2 0.1")
    assert views.node_usage(engine, engine.cluster.nodes["B"]).measured


def test_history_keeps_what_was_read_when() -> None:
    engine = observed()
    web = engine.cluster.vms["web01"]
    submit(engine, 1, "vm-reading web01 0.5 0.25 0.1")
    submit(engine, 2, "reading A 0.3 0.2 0.1")
    engine.run_until(15)
    submit(engine, 15, "vm-reading web01 0.1 0.25 0.1")
    submit(engine, 16, "reading A 0.6 0.2 0.1")
    engine.run_until(25)
    assert views.vm_cpu_history(engine, web, 3, 10.0)[1:] == [0.5, 0.1]
    assert views.node_cpu_history(engine, engine.cluster.nodes["A"], 3, 10.0)[1:] == [0.3, 0.6]


def test_a_simulated_cluster_refuses_observations() -> None:
    engine = Engine(parse_cluster(OBSERVED.replace("observed", "simulated"), "t.toml"))
    outcome = engine.submit(parse("observe-vm web01 paused"))
    assert not outcome.accepted and "observed cluster" in outcome.reason


def test_a_fork_never_acts_on_real_hosts() -> None:
    sink = Sink()
    engine = observed(sink)
    assert engine.check(parse("vm-suspend web01")).accepted
    assert sink.asked == []


SCRIPT = [(1, "vm-suspend web01"), (2, "observe-vm web01 paused user"),
          (3, "vm-resume web01"), (4, "observe-vm web01 running unpaused"),
          (5, "vm-power db01 on"), (6, "observe-vm db01 running booted"),
          (7, "migrate web01 B"), (8, "observe-migration web01 1 900 40"),
          (9, "observe-migrated web01 B"), (10, "vm-reading web01 0.4 0.5 0.1"),
          (11, "observe-host A down eof"), (40, "observe-host A up"),
          (41, "observe-defined new01 A 1 1024 10"), (42, "vm-shutdown db01"),
          (43, "observe-vm db01 stopped shutdown"), (44, "observe-undefined new01"),
          (45, "fail-node B")]


def run_script(path: Path) -> Engine:
    """The script through a Session (observations from the source), recorded at `path`."""
    engine = observed(Sink())
    session = Session(engine)
    session.record(Recorder(path, seed=0, cluster_file="real.toml", cluster=OBSERVED,
                            created_by="console"))
    for t, line in SCRIPT:
        session.advance(t - engine.now)
        command = parse(line)
        session.submit(command, source=OBSERVATION if command.observation else "operator")
        assert not violations(engine.cluster), line
    session.advance(30)
    session.close()
    return engine


def test_the_same_observations_give_the_same_events_and_a_recording_replays_them() -> None:
    with tempfile.TemporaryDirectory() as folder:
        first = run_script(Path(folder) / "one.jsonl")
        second = run_script(Path(folder) / "two.jsonl")
        recording = parse_recording((Path(folder) / "one.jsonl").read_text(encoding="utf-8"),
                                    "one.jsonl")
    log = [e.as_dict() for e in first.log.events]
    assert log == [e.as_dict() for e in second.log.events]
    replayed = replay_headless(recording)
    assert replayed.actuations is None
    assert [e.as_dict() for e in replayed.log.events] == log


def test_a_crashed_real_vm_forced_off_is_asked_of_its_host() -> None:
    """libvirt's crashed domain is still there: `vm-power off` asks its host to destroy it,
    and the VM stops only when that is observed (no restart is 'withdrawn')."""
    sink = Sink()
    engine = observed(sink)
    submit(engine, 1, "observe-vm web01 crashed on A panicked")
    assert engine.cluster.vms["web01"].state is VmState.FAILED
    submit(engine, 2, "vm-power web01 off")
    assert sink.asked == ["vm-power web01 off"]
    assert engine.cluster.vms["web01"].state is VmState.FAILED
    assert not [m for m in messages(engine, "vm_stopped") if "withdrawn" in m]
    submit(engine, 3, "observe-vm web01 stopped on A destroyed")
    assert engine.cluster.vms["web01"].state is VmState.STOPPED
