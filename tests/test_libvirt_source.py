"""The libvirt source against libvirt's test driver and the shipped sample hosts: the session
sees the real hosts and VMs, what libvirt reports enters as observation commands (and a
recording of them replays with no libvirt), actions are refused without --allow-actions and
carried out with it, a lost connection makes the node suspect then failed and back, and the
export is a cluster file that validates and runs."""

from __future__ import annotations

import json
import queue
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from libvirt_support import DEADLINE_S, FaultyConnections, needs_libvirt, sample_uri

from console.model.commands import parse
from console.model.engine import Engine
from console.model.observed import REFUSALS
from console.session import OBSERVATION, Heard, Session
from console.sources.libvirt import READ_ONLY, REAL_TIME, LibvirtSource

pytestmark = needs_libvirt

HOSTS = ("host-a", "host-b")


class Posted:
    """The session's thread, for a test: what the source posts waits here until `run_until`
    runs it on the test's thread."""

    def __init__(self) -> None:
        self.jobs: queue.SimpleQueue[Callable[[], None]] = queue.SimpleQueue()

    def __call__(self, job: Callable[[], None]) -> None:
        self.jobs.put(job)

    def run_until(self, done: Callable[[], bool], what: str,
                  deadline_s: float = DEADLINE_S) -> None:
        end = time.monotonic() + deadline_s
        while not done():
            left = end - time.monotonic()
            if left <= 0:
                raise AssertionError(f"not seen within {deadline_s} s: {what}")
            try:
                self.jobs.get(timeout=left)()
            except queue.Empty:
                continue


def started(*, allow_actions: bool, connect: Callable[[str], object] | None = None,
            uris: tuple[str, ...] | None = None) -> tuple[LibvirtSource, Session, Posted]:
    from console.sources.libvirt_client import LibvirtPool

    uris = uris or tuple(sample_uri(h) for h in HOSTS)
    kwargs = {} if connect is None else {"connect": connect}
    source = LibvirtSource(uris, allow_actions=allow_actions,
                           pool=LibvirtPool(uris, stats_interval_s=1.0, **kwargs))
    session = Session(Engine(source.build(), 0))
    posted = Posted()
    source.start(session, posted)
    return source, session, posted


@pytest.fixture
def read_only() -> Iterator[tuple[LibvirtSource, Session, Posted]]:
    source, session, posted = started(allow_actions=False)
    yield source, session, posted
    source.stop()


@pytest.fixture
def acting() -> Iterator[tuple[LibvirtSource, Session, Posted]]:
    source, session, posted = started(allow_actions=True)
    yield source, session, posted
    source.stop()


def state(session: Session, vm: str) -> str:
    return session.engine.cluster.vms[vm].state.value


def test_the_session_holds_both_hosts_and_every_vm_in_its_state(read_only) -> None:
    _source, session, _posted = read_only
    cluster = session.engine.cluster
    assert sorted(cluster.nodes) == ["host-a", "host-b"]
    assert {vm.name: (vm.host, vm.state.value) for vm in cluster.vms.values()} == {
        "web-01": ("host-a", "running"), "web-02": ("host-a", "running"),
        "db-01": ("host-a", "running"), "build-01": ("host-a", "stopped"),
        "app-01": ("host-b", "running"), "mail-01": ("host-b", "running"),
        "monitor-01": ("host-b", "paused")}
    assert cluster.nodes["host-a"].cpus * cluster.nodes["host-a"].cores_per_cpu == 16
    assert session.real_hosts["host-a"].endswith("host-a.xml")


def test_without_allow_actions_every_change_is_refused_and_not_heard(read_only) -> None:
    _source, session, _posted = read_only
    heard: list[Heard] = []
    session.add_listener(heard.append)
    for line in ("vm-suspend web-01", "vm-power web-01 off", "maintenance host-a on",
                 "migrate web-01 host-b"):
        outcome = session.submit(parse(line))
        assert not outcome.accepted and outcome.reason == READ_ONLY, line
    assert session.submit(parse("speed 4")).reason == REAL_TIME
    assert session.check(parse("vm-suspend web-01")).reason == READ_ONLY
    assert state(session, "web-01") == "running"
    assert not [h for h in heard if h.source != OBSERVATION]


def test_without_allow_actions_what_no_console_can_do_says_so_not_to_allow_actions(
        read_only) -> None:
    """--allow-actions would not let `x` crash a real host: the refusal says what is true
    (it told the operator to start again with --allow-actions)."""
    _source, session, _posted = read_only
    for line in ("fail-node host-a", "isolate host-b", "power-off host-a"):
        reason = session.check(parse(line)).reason
        assert reason in REFUSALS.values() and reason != READ_ONLY, line


def test_with_allow_actions_no_console_can_crash_a_real_host(acting) -> None:
    _source, session, _posted = acting
    for line, command in (("fail-node host-a", "FailNode"), ("isolate host-b", "Isolate"),
                          ("power-off host-a", "PowerOff")):
        reason = session.submit(parse(line)).reason
        assert reason in REFUSALS.values() and reason, (line, command)
    assert "cannot be crashed" in session.submit(parse("fail-node host-a")).reason


def test_a_suspend_reaches_libvirt_and_its_event_sets_the_state(acting) -> None:
    _source, session, posted = acting
    heard: list[Heard] = []
    session.add_listener(heard.append)
    assert session.submit(parse("vm-suspend web-01")).accepted
    assert state(session, "web-01") == "running"  # asked, not yet observed
    posted.run_until(lambda: state(session, "web-01") == "paused", "web-01 paused")
    observed = [h.command.text() for h in heard if h.source == OBSERVATION
                and h.command is not None and h.command.verb == "observe-vm"]
    assert "observe-vm web-01 paused on host-a user" in observed
    assert session.submit(parse("vm-resume web-01")).accepted
    posted.run_until(lambda: state(session, "web-01") == "running", "web-01 running again")


def test_force_off_and_start_come_back_as_events(acting) -> None:
    _source, session, posted = acting
    assert session.submit(parse("vm-power web-02 off")).accepted
    posted.run_until(lambda: state(session, "web-02") == "stopped", "web-02 stopped")
    assert session.submit(parse("vm-power web-02 on")).accepted
    posted.run_until(lambda: state(session, "web-02") == "running", "web-02 running")


def test_migration_is_refused_with_the_drivers_reason(acting) -> None:
    from console.model.commands import Maintenance, Migrate

    source, session, _posted = acting
    assert session.capability is not None
    assert "virDomainMigrate" in (session.capability(Migrate("any")) or "")  # the key greyed
    assert session.capability(Maintenance("any", False)) is None
    assert source.refusal(parse("maintenance host-a on")) is not None
    outcome = session.submit(parse("migrate web-01 host-b"))
    assert not outcome.accepted and outcome.reason == (
        "this function is not supported by the connection driver: virDomainMigrate")
    maintenance = session.submit(parse("maintenance host-a on"))
    assert not maintenance.accepted and "live migration" in maintenance.reason
    assert session.engine.cluster.nodes["host-a"].state.value == "online"


def test_a_host_with_nothing_running_enters_maintenance_on_any_driver(acting) -> None:
    from console.sources.libvirt_client import DomainState

    source, session, _posted = acting
    for vm in ("web-01", "web-02", "db-01"):
        source.observe(DomainState("host-a", vm, "stopped", "shutdown"))
    assert source.refusal(parse("maintenance host-a on")) is None
    assert session.submit(parse("maintenance host-a on")).accepted


def test_a_lost_connection_turns_the_node_suspect_then_failed_and_back() -> None:
    faults = FaultyConnections()
    uri = sample_uri("host-b")
    source, session, posted = started(allow_actions=False, connect=faults)
    try:
        node = session.engine.cluster.nodes["host-b"]
        faults.cut(uri, notify=True)
        posted.run_until(lambda: _said(session, "observe-host host-b down"), "host-b down")
        session.advance(5)
        assert node.state.value == "suspect"
        session.advance(15)
        assert node.state.value == "failed"
        faults.restore(uri)
        posted.run_until(lambda: _said(session, "observe-host host-b up"), "host-b up",
                         deadline_s=10)
        session.advance(3)
        assert node.state.value == "online"
    finally:
        source.stop()
        faults.release()


def _said(session: Session, text: str) -> bool:
    return any(command.text().startswith(text) for _t, command in session.engine.command_log)


def test_a_recording_of_a_real_session_replays_with_no_libvirt(acting, tmp_path: Path) -> None:
    from console.formats.recording import Recorder, load_recording

    source, session, posted = acting
    path = tmp_path / "real.jsonl"
    recorder = Recorder(path, seed=0, cluster_file="libvirt", cluster=source.text,
                        created_by="console")
    session.record(recorder)
    session.submit(parse("vm-suspend web-01"))
    posted.run_until(lambda: state(session, "web-01") == "paused", "web-01 paused")
    session.advance(3)
    session.close()
    replayed = load_recording(path).build_engine()
    for t, command in load_recording(path).commands():
        replayed.submit_at(t, command)
    replayed.run_until(session.now)
    assert [str(e) for e in replayed.log.events] == [str(e) for e in session.engine.log.events]
    assert replayed.cluster.vms["web-01"].state.value == "paused"


def test_export_round_trip_validates_and_simulates(tmp_path: Path, capsys) -> None:
    from console.cli import main

    out = tmp_path / "mycluster.toml"
    uris = [arg for host in HOSTS for arg in ("--connect", sample_uri(host))]
    assert main(["export", *uris, "-o", str(out)]) == 0
    text = out.read_text()
    assert 'truth = "observed"' not in text and "[[vms]]" in text
    assert main(["validate", str(out)]) == 0
    capsys.readouterr()
    assert main(["simulate", str(out), "--for", "60", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert summary["vms"]["monitor-01"]["state"] == "paused"
    assert summary["vms"]["web-01"] == {**summary["vms"]["web-01"], "host": "host-a",
                                       "state": "running"}


def test_export_never_overwrites_a_host_file(capsys) -> None:
    from console.cli import main

    host = Path(sample_uri("host-a")[len("test://"):])
    before = host.read_bytes()
    assert main(["export", "--connect", sample_uri("host-a"), "-o", str(host)]) == 2
    assert host.read_bytes() == before
    assert "--output" in capsys.readouterr().err


def test_a_reading_that_did_not_move_is_not_submitted_again(read_only) -> None:
    from console.sources.libvirt_client import DomainStats, HostStats

    source, _session, _posted = read_only
    first = source.commands_for(HostStats("host-a", 0.2, 0.3, 0.0))
    assert [c.text() for c in first] == ["reading host-a 0.2 0.3 0"]
    assert source.commands_for(HostStats("host-a", 0.205, 0.3, 0.004)) == []
    assert [c.text() for c in source.commands_for(HostStats("host-a", 0.21, 0.3, 0.0))] == \
        ["reading host-a 0.21 0.3 0"]
    assert [c.text() for c in source.commands_for(DomainStats("host-a", "web-01", 0.5, 0, 0))] \
        == ["vm-reading web-01 0.5 0 0"]
    assert source.commands_for(DomainStats("host-a", "web-01", 0.5, 0, 0)) == []
    assert source.commands_for(DomainStats("host-a", "no-such-vm", 0.5, 0, 0)) == []


def facts_of(source: LibvirtSource, name: str):
    return next(domain for _host, domains in source.found for domain in domains
                if domain.name == name)


def test_an_offline_move_of_a_stopped_vm_moves_it_and_keeps_it(acting) -> None:
    """cold-migrate as libvirt reports it: defined on the target, undefined on the source."""
    from console.sources.libvirt_client import DomainDefined, DomainUndefined

    source, session, _posted = acting
    facts = facts_of(source, "build-01")
    source.observe(DomainDefined("host-b", facts))
    source.observe(DomainUndefined("host-a", "build-01"))
    vm = session.engine.cluster.vms["build-01"]
    assert (vm.host, vm.state.value) == ("host-b", "stopped")
    source.observe(DomainUndefined("host-b", "build-01"))  # removed where it is: gone
    assert "build-01" not in session.engine.cluster.vms


def test_an_offline_move_of_a_running_vm_keeps_it_running_on_the_target(acting) -> None:
    """The order libvirt reports a running VM's offline move in: defined on the target, off
    on the source, undefined there, started on the target."""
    import dataclasses

    from console.sources.libvirt_client import DomainDefined, DomainState, DomainUndefined

    source, session, _posted = acting
    facts = dataclasses.replace(facts_of(source, "web-02"), state="stopped")
    for observation in (DomainDefined("host-b", facts),
                        DomainState("host-a", "web-02", "stopped", "destroyed"),
                        DomainUndefined("host-a", "web-02"),
                        DomainState("host-b", "web-02", "running", "booted")):
        source.observe(observation)
    vm = session.engine.cluster.vms["web-02"]
    assert (vm.host, vm.state.value) == ("host-b", "running")
    assert "web-02" in session.engine.cluster.nodes["host-b"].vms
    assert "web-02" not in session.engine.cluster.nodes["host-a"].vms


def test_a_migrated_vm_stopped_on_its_old_host_still_runs(acting) -> None:
    """After a move, the source's copy going off says nothing of the VM."""
    from console.sources.libvirt_client import DomainDefined, DomainState

    source, session, _posted = acting
    source.observe(DomainDefined("host-b", facts_of(source, "web-01")))  # running there now
    assert session.engine.cluster.vms["web-01"].host == "host-b"
    source.observe(DomainState("host-a", "web-01", "stopped", "migrated"))
    vm = session.engine.cluster.vms["web-01"]
    assert (vm.host, vm.state.value) == ("host-b", "running")

def test_a_journal_of_real_hosts_is_not_resumed_in_the_console(read_only, tmp_path: Path,
                                                                capsys) -> None:
    from console.cli import main
    from console.formats.journal import JournalWriter
    from console.ui.launch import console_header

    source, session, _posted = read_only
    path = tmp_path / "real.journal"
    journal = JournalWriter(path, events=session.engine.log.events,
                            header=console_header(session.engine, cluster_file="libvirt",
                                                  cluster_text=source.text, read_only=False))
    session.keep_journal(journal)
    session.advance(2)
    session.close()
    before = path.read_bytes()
    assert main(["resume", str(path)]) == 2
    assert "a session of real hosts" in capsys.readouterr().err
    assert path.read_bytes() == before
    assert main(["resume", str(path), "--headless"]) == 0


def test_two_hosts_with_the_same_domains_make_two_sets_of_vms(tmp_path: Path) -> None:
    """Copies of one host file (same names, same UUIDs, running on both): every running copy
    is a VM of its own, renamed where the name is taken."""
    import shutil

    uris = []
    for folder in ("d1", "d2"):
        (tmp_path / folder).mkdir()
        shutil.copy(Path(sample_uri("host-a")[len("test://"):]), tmp_path / folder / "host-a.xml")
        uris.append(f"test://{tmp_path / folder / 'host-a.xml'}")
    source, session, _posted = started(allow_actions=False, uris=tuple(uris))
    try:
        cluster = session.engine.cluster
        assert sorted(cluster.nodes) == ["host-a", "host-a-2"]
        running = sorted(vm.name for vm in cluster.vms.values() if vm.state.value == "running")
        assert running == ["db-01", "db-01-2", "web-01", "web-01-2", "web-02", "web-02-2"]
        assert {cluster.vms[n].host for n in ("web-01", "web-01-2")} == {"host-a", "host-a-2"}
    finally:
        source.stop()
