"""The libvirt client (console.sources.libvirt_client) against libvirt's test driver and the
shipped sample hosts: discovery, states and reasons, events after actions, a lost connection and
its reconnection, refused and timed-out calls, and secrets kept out of what it reports."""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from libvirt_support import (
    SAMPLE_HOSTS,
    FaultyConnections,
    Observations,
    needs_libvirt,
    sample_uri,
)

from console.sources import libvirt_client
from console.sources.libvirt_client import (
    INSTALL_HINT,
    ActionFailed,
    ConnectError,
    DomainDefined,
    DomainFacts,
    DomainState,
    DomainUndefined,
    HostReachable,
    LibvirtMissing,
    LibvirtPool,
    Readings,
    redact,
    redact_uri,
    require_libvirt,
)
from console.sources.libvirt_facts import domain_state, event_state

HOST_A, HOST_B = sample_uri("host-a"), sample_uri("host-b")


@pytest.fixture
def faults() -> Iterator[FaultyConnections]:
    faulty = FaultyConnections()
    yield faulty
    faulty.release()


@pytest.fixture
def fast_watch(monkeypatch: pytest.MonkeyPatch) -> None:
    """Probe every 0.05 s and retry a lost connection after 0.05 s, so a test takes moments."""
    monkeypatch.setattr(libvirt_client, "PROBE_INTERVAL_S", 0.05)
    monkeypatch.setattr(libvirt_client, "FIRST_RETRY_S", 0.05)


def started(pool: LibvirtPool) -> Observations:
    seen = Observations()
    pool.open()
    pool.start(seen)
    return seen


# -- without libvirt -------------------------------------------------------------------------

def test_redact_uri_masks_passwords_and_key_parameters() -> None:
    assert (redact_uri("qemu+ssh://root:s3cret@kvm1.example.com/system?keyfile=/root/.ssh/id"
                       "&no_verify=1")
            == "qemu+ssh://root:***@kvm1.example.com/system?keyfile=***&no_verify=1")
    assert (redact_uri("qemu+tls://kvm2/system?pkipath=/etc/pki;sshkey=k&token=t&mode=direct")
            == "qemu+tls://kvm2/system?pkipath=***;sshkey=***&token=***&mode=direct")
    assert redact_uri("esx://admin:p@ss:w@esx1/?no_verify=1") == "esx://admin:***@esx1/?no_verify=1"
    for plain in ("qemu:///system", "qemu+ssh://root@kvm1/system", "test:///default",
                  "test:///tmp/host@a.xml"):
        assert redact_uri(plain) == plain


def test_redact_scrubs_the_uris_given_and_secrets_anywhere_in_a_message() -> None:
    uri = "qemu+ssh://root:hunter2@kvm1/system?keyfile=/secret/id_rsa"
    message = (f"Cannot recv data: failed to connect to {uri}: Host key verification failed; "
               "retry with password=hunter2 or xen://u:hunter2@x/ (Passphrase=hunter2)")
    cleaned = redact(message, [uri])
    assert "hunter2" not in cleaned and "/secret/id_rsa" not in cleaned
    assert "qemu+ssh://root:***@kvm1/system?keyfile=***: Host key verification failed" in cleaned
    assert "xen://u:***@x/" in cleaned


@pytest.mark.parametrize("key", ["~/tilde_secret_key", "~root/tilde_secret_key",
                                 "relative/tilde_secret_key"])
def test_redact_masks_the_forms_a_transport_quotes_of_a_key_file(key: str) -> None:
    uri = f"qemu+ssh://user:PW@nohost.invalid/system?keyfile={key}"
    expanded = os.path.expanduser(key)
    for quoted in (expanded, os.path.abspath(expanded), "tilde_secret_key"):
        cleaned = redact(f"Identity file {quoted} not accessible: No such file or directory",
                         [uri])
        assert cleaned == "Identity file *** not accessible: No such file or directory"


def test_without_libvirt_python_connecting_says_what_to_install(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "libvirt", None)  # import libvirt raises ImportError
    with pytest.raises(LibvirtMissing) as caught:
        require_libvirt()
    assert str(caught.value) == INSTALL_HINT
    assert "pip install 'cluster-console[libvirt]'" in INSTALL_HINT and "\n" not in INSTALL_HINT
    assert "from a checkout: pip install '.[libvirt]'" in INSTALL_HINT
    assert INSTALL_HINT.startswith("real hosts need")  # --connect and [[connections]] alike
    with pytest.raises(LibvirtMissing):
        LibvirtPool(["test:///default"]).open()


@pytest.mark.parametrize(("state", "reason", "expected"), [
    (0, 0, ("stopped", "unknown")),      # nostate
    (1, 1, ("running", "booted")),
    (1, 2, ("running", "migrated")),
    (1, 5, ("running", "unpaused")),
    (2, 0, ("running", "unknown")),      # blocked
    (3, 1, ("paused", "user")),
    (3, 2, ("paused", "migration")),
    (4, 0, ("running", "shutdown")),     # shutdown: being shut down, it still runs
    (4, 1, ("running", "shutdown")),
    (5, 1, ("stopped", "shutdown")),
    (5, 2, ("stopped", "destroyed")),
    (5, 4, ("stopped", "migrated")),
    (6, 1, ("crashed", "panicked")),
    (7, 0, ("paused", "unknown")),       # pmsuspended
    (5, 99, ("stopped", "unknown")),     # a reason libvirt may add later
    (42, 0, ("stopped", "unknown")),     # a state libvirt may add later
])
def test_every_libvirt_state_maps_to_ours(state: int, reason: int,
                                          expected: tuple[str, str]) -> None:
    assert domain_state(state, reason) == expected


def test_lifecycle_events_map_to_the_state_they_leave() -> None:
    assert event_state(2, 0) == ("running", "booted")
    assert event_state(3, 0) == ("paused", "user")
    assert event_state(4, 0) == ("running", "unpaused")
    assert event_state(5, 1) == ("stopped", "destroyed")
    assert event_state(8, 0) == ("crashed", "panicked")
    assert event_state(0, 0) is None and event_state(6, 0) is None  # defined; shutting down


@needs_libvirt
def test_a_connection_that_fails_says_which_uri_and_why_without_its_secrets() -> None:
    uri = "qemu+ssh://root:hunter2@kvm1/system?keyfile=/secret/id"

    def refuse(attempted: str) -> None:
        raise OSError(f"unable to connect to {attempted}:\nConnection refused")

    with pytest.raises(ConnectError) as caught:
        LibvirtPool([uri], connect=refuse).open()
    assert str(caught.value) == (
        "cannot connect to qemu+ssh://root:***@kvm1/system?keyfile=***: unable to connect to "
        "qemu+ssh://root:***@kvm1/system?keyfile=***: Connection refused")


# -- against the test driver -----------------------------------------------------------------

@needs_libvirt
def test_open_discovers_the_sample_hosts_and_their_vms() -> None:
    pool = LibvirtPool([HOST_A, HOST_B])
    try:
        (host_a, vms_a), (host_b, vms_b) = pool.open()
    finally:
        pool.stop()
    assert (host_a.name, host_a.hypervisor, host_a.driver.lower()) == ("host-a", "kvm", "test")
    assert (host_a.sockets, host_a.cores_per_socket, host_a.mhz, host_a.memory_mb) == (
        2, 8, 2600, 128 * 1024)
    assert host_a.nics_gbps == (10.0, 10.0) and host_a.disks_gb == (480.0, 1920.0)
    assert host_a.uri == HOST_A and host_b.name == "host-b" and host_b.memory_mb == 96 * 1024
    assert [(v.name, v.state, v.vcpus, v.memory_mb, v.disk_gb) for v in vms_a] == [
        ("build-01", "stopped", 4, 8192, 100.0),
        ("db-01", "running", 8, 32768, 250.0),
        ("web-01", "running", 2, 4096, 40.0),
        ("web-02", "running", 2, 4096, 40.0),
    ]
    assert [(v.name, v.state) for v in vms_b] == [
        ("app-01", "running"), ("mail-01", "running"), ("monitor-01", "paused")]
    assert all(v.persistent and len(v.uuid) == 36 for v in vms_a + vms_b)


@needs_libvirt
def test_host_names_come_from_the_uri_and_are_unique(tmp_path: Path) -> None:
    copy = tmp_path / "host-a.xml"
    copy.write_text((SAMPLE_HOSTS / "host-a.xml").read_text(encoding="utf-8"), encoding="utf-8")
    pool = LibvirtPool(["test:///default", HOST_A, f"test://{copy}"])
    try:
        names = [facts.name for facts, _vms in pool.open()]
    finally:
        pool.stop()
    assert names == ["default", "host-a", "host-a-2"]
    with pytest.raises(ConnectError, match="given twice"):
        LibvirtPool([HOST_A, HOST_A]).open()


@needs_libvirt
def test_a_missing_host_file_is_a_connect_error_naming_the_uri() -> None:
    with pytest.raises(ConnectError) as caught:
        LibvirtPool([HOST_A, "test:///no/such/host.xml"]).open()
    message = str(caught.value)
    assert message == "cannot connect to test:///no/such/host.xml: /no/such/host.xml: no such file"


def test_a_folder_for_a_host_file_is_not_a_file(tmp_path: Path) -> None:
    with pytest.raises(ConnectError) as caught:
        LibvirtPool([f"test://{tmp_path}"]).open()
    assert str(caught.value) == f"cannot connect to test://{tmp_path}: {tmp_path}: not a file"


@needs_libvirt
def test_events_after_suspend_resume_destroy_and_define(faults: FaultyConnections) -> None:
    pool = LibvirtPool([HOST_A, HOST_B], connect=faults)
    seen = started(pool)
    try:
        def state_of(vm: str, state: str):
            return lambda o: isinstance(o, DomainState) and (o.name, o.state) == (vm, state)

        pool.act("vm-suspend", "web-01", "host-a")
        assert seen.wait_for(state_of("web-01", "paused")) == DomainState(
            "host-a", "web-01", "paused", "user")
        mark = len(seen.seen)
        pool.act("vm-resume", "web-01", "host-a")
        assert seen.wait_for(state_of("web-01", "running"), after=mark).reason == "unpaused"
        pool.act("vm-power-off", "web-02", "host-a")
        assert seen.wait_for(state_of("web-02", "stopped")).reason == "destroyed"
        pool.act("vm-power-on", "build-01", "host-b")  # not on host-b: libvirt says so
        failed = seen.wait_for(lambda o: isinstance(o, ActionFailed))
        assert failed.name == "build-01" and failed.verb == "vm-power-on"
        assert failed.reason == "Domain not found"  # libvirt's message

        # defined, started and undefined outside the console
        xml = faults.latest(HOST_B).lookupByName("monitor-01").XMLDesc(0)
        xml = (xml.replace("<name>monitor-01<", "<name>batch-01<")  # on the same volume
               .replace("5c0e7a1e-0000-4000-8000-000000000013",
                        "5c0e7a1e-0000-4000-8000-000000000099"))
        defined = faults.latest(HOST_B).defineXML(xml)
        assert seen.wait_for(lambda o: isinstance(o, DomainDefined)) == DomainDefined(
            "host-b", DomainFacts("batch-01", "5c0e7a1e-0000-4000-8000-000000000099", "stopped",
                                  "unknown", 2, 4096, 30.0, True))
        defined.create()
        assert seen.wait_for(state_of("batch-01", "running")).reason == "booted"
        defined.destroy()
        defined.undefine()
        assert seen.wait_for(lambda o: isinstance(o, DomainUndefined)) == DomainUndefined(
            "host-b", "batch-01")
    finally:
        pool.stop()


@needs_libvirt
def test_stats_come_as_fractions_of_the_host_and_of_each_running_vm(fast_watch: None) -> None:
    pool = LibvirtPool([HOST_B], stats_interval_s=0.05)
    seen = started(pool)
    try:
        readings = seen.wait_for(lambda o: isinstance(o, Readings) and any(
            d.name == "app-01" for d in o.domains))
        assert isinstance(readings, Readings)
        host = readings.figures
        assert host is not None
        vm = next(d for d in readings.domains if d.name == "app-01")
        assert (readings.period_s, readings.active) == (0.05, 3)  # 3 domains: read every pass
    finally:
        pool.stop()
    assert host.host == "host-b" and vm.host == "host-b"
    for figure in (host.cpu, host.memory, host.disk, vm.cpu, vm.memory, vm.disk):
        assert 0.0 <= figure <= 1.0
    assert host.memory == pytest.approx((16 + 12 + 4) / 96)  # what its active VMs hold


@needs_libvirt
@pytest.mark.parametrize("notify", [False, True], ids=["probe", "close-callback"])
def test_a_lost_connection_is_seen_then_reconnected_with_what_changed(
        faults: FaultyConnections, fast_watch: None, notify: bool) -> None:
    pool = LibvirtPool([HOST_A, HOST_B], connect=faults, stats_interval_s=60)
    seen = started(pool)
    try:
        pool.act("vm-suspend", "db-01", "host-a")
        seen.wait_for(lambda o: isinstance(o, DomainState) and o.name == "db-01")
        conn = faults.latest(HOST_A)
        conn.defineXML(conn.lookupByName("web-01").XMLDesc(0)
                       .replace("<name>web-01<", "<name>scratch-01<")
                       .replace("-000000000001<", "-000000000098<"))
        seen.wait_for(lambda o: isinstance(o, DomainDefined))
        faults.cut(HOST_A, notify=notify)
        down = seen.wait_for(lambda o: isinstance(o, HostReachable))
        assert (down.host, down.up) == ("host-a", False)
        assert down.reason == ("connection closed by the host" if notify
                               else "Cannot recv data: Connection reset by peer")
        mark = len(seen.seen)
        faults.restore(HOST_A)
        assert seen.wait_for(lambda o: isinstance(o, HostReachable), after=mark) == HostReachable(
            "host-a", True, "reconnected")
        # the new connection reads the file afresh: db-01 runs there again, scratch-01 is gone
        assert seen.wait_for(lambda o: isinstance(o, DomainState), after=mark) == DomainState(
            "host-a", "db-01", "running", "unknown")
        assert seen.wait_for(lambda o: isinstance(o, DomainUndefined), after=mark) == (
            DomainUndefined("host-a", "scratch-01"))
        assert not any(isinstance(o, DomainDefined) for o in seen.seen[mark:])
        assert not any(isinstance(o, HostReachable) and o.host == "host-b" for o in seen.seen)
    finally:
        pool.stop()


@needs_libvirt
def test_migration_is_refused_with_the_drivers_reason() -> None:
    pool = LibvirtPool([HOST_A, HOST_B])
    seen = started(pool)
    try:
        assert pool.supports("migrate", "host-a") == (
            "this function is not supported by the connection driver: virDomainMigrate")
        assert pool.supports("cancel-migration", "host-a") == (
            "this function is not supported by the connection driver: virDomainAbortJob")
        assert pool.supports("vm-suspend", "host-a") is None
        assert pool.supports("cold-migrate", "host-a") is None
        assert pool.supports("vm-suspend", "host-z") == "host-z is not a connected host"
        pool.act("migrate", "web-01", "host-a", "host-b")
        failed = seen.wait_for(lambda o: isinstance(o, ActionFailed))
    finally:
        pool.stop()
    assert failed == ActionFailed(
        "web-01", "migrate",
        "this function is not supported by the connection driver: virDomainMigrate")


@needs_libvirt
def test_cold_migrate_defines_on_the_target_and_removes_from_the_source() -> None:
    pool = LibvirtPool([HOST_A, HOST_B])
    seen = started(pool)
    try:
        pool.act("cold-migrate", "web-02", "host-a", "host-b")
        running = seen.wait_for(lambda o: isinstance(o, DomainState) and o.host == "host-b")
        undefined = seen.wait_for(lambda o: isinstance(o, DomainUndefined))
    finally:
        pool.stop()
    assert running == DomainState("host-b", "web-02", "running", "booted")
    assert undefined == DomainUndefined("host-a", "web-02")
    defined = [o for o in seen.seen if isinstance(o, DomainDefined)]
    assert [(o.host, o.domain.name, o.domain.disk_gb) for o in defined] == [
        ("host-b", "web-02", 40.0)]


@needs_libvirt
def test_cold_migrate_to_a_host_running_the_same_domain_changes_nothing(tmp_path: Path) -> None:
    """Two copies of one host file: the target already runs web-01 (same name and UUID), so
    the move is refused before the source's VM is stopped."""
    import shutil

    uris = []
    for folder in ("d1", "d2"):
        (tmp_path / folder).mkdir()
        shutil.copy(Path(HOST_A[len("test://"):]), tmp_path / folder / "host-a.xml")
        uris.append(f"test://{tmp_path / folder / 'host-a.xml'}")
    pool = LibvirtPool(uris)
    seen = started(pool)
    try:
        pool.act("cold-migrate", "web-01", "host-a", "host-a-2")
        failed = seen.wait_for(lambda o: isinstance(o, ActionFailed))
        assert "already runs on host-a-2: nothing was changed" in failed.reason
        pool.act("vm-suspend", "web-02", "host-a")  # a later event: nothing came before it
        seen.wait_for(lambda o: isinstance(o, DomainState) and o.name == "web-02")
    finally:
        pool.stop()
    assert not [o for o in seen.seen if isinstance(o, (DomainUndefined, DomainDefined))
                or (isinstance(o, DomainState) and o.name == "web-01")]


@needs_libvirt
def test_a_blocking_connect_is_a_connect_error_naming_the_timeout(
        faults: FaultyConnections) -> None:
    faults.hang(HOST_B)
    started_at = time.monotonic()
    with pytest.raises(ConnectError) as caught:
        LibvirtPool([HOST_A, HOST_B], connect=faults, timeout_s=0.2).open()
    assert time.monotonic() - started_at < 2
    assert str(caught.value) == (f"cannot connect to {HOST_B}: connecting to {HOST_B}: "
                                 "timed out after 0.2 s without an answer")


@needs_libvirt
def test_a_blocking_action_is_an_action_failed_naming_the_timeout(
        faults: FaultyConnections) -> None:
    pool = LibvirtPool([HOST_A], connect=faults, timeout_s=0.2)
    seen = started(pool)
    try:
        faults.hang(HOST_A)
        pool.act("vm-suspend", "web-01", "host-a")
        failed = seen.wait_for(lambda o: isinstance(o, ActionFailed))
    finally:
        pool.stop()
    assert failed == ActionFailed("web-01", "vm-suspend", "looking up web-01 on host-a: "
                                  "timed out after 0.2 s without an answer")


@needs_libvirt
def test_reconnection_backs_off_from_one_second_to_thirty(faults: FaultyConnections) -> None:
    pool = LibvirtPool([HOST_A], connect=faults)
    pool.open()
    host = pool._hosts["host-a"]
    pool._lost(host, "connection reset")
    waits = [host.retry_s]
    faults.cut(HOST_A)
    for _attempt in range(7):
        pool._reconnect(host)
        waits.append(host.retry_s)
    pool.stop()
    assert waits == [1, 2, 4, 8, 16, 30, 30, 30]


def _until(condition: Callable[[], bool], what: str, deadline_s: float = 5.0) -> None:
    """Wait (checking every 10 ms) until `condition()`; AssertionError naming `what` after
    `deadline_s`."""
    end = time.monotonic() + deadline_s
    pause = threading.Event()
    while not condition():
        assert time.monotonic() < end, f"not within {deadline_s} s: {what}"
        pause.wait(0.01)


@needs_libvirt
@pytest.mark.parametrize("notify", [False, True], ids=["probe", "close-callback"])
def test_a_host_that_freezes_then_thaws_is_closed_once_and_reconnected_once(
        faults: FaultyConnections, fast_watch: None, notify: bool) -> None:
    """Calls that block, then return (a host frozen, then thawed): its connection is closed
    once, after the calls running on it return, by one thread; one reconnection at a time;
    an open that returns after its timeout is closed once too."""
    pool = LibvirtPool([HOST_A, HOST_B], connect=faults, timeout_s=0.2, stats_interval_s=60)
    seen = started(pool)
    try:
        faults.hang(HOST_A)
        if notify:
            faults.notify_close(HOST_A)
        down = seen.wait_for(lambda o: isinstance(o, HostReachable))
        assert (down.host, down.up) == ("host-a", False)
        host = pool._hosts["host-a"]
        _until(lambda: host.retry_s >= 0.8, "three reconnection attempts timed out")
        mark = len(seen.seen)
        faults.release()
        assert seen.wait_for(lambda o: isinstance(o, HostReachable), after=mark) == (
            HostReachable("host-a", True, "reconnected"))
    finally:
        pool.stop()
    _until(lambda: all(w.closes for w in faults.wrappers), "every connection closed")
    assert faults.violations == []
    assert [w.closes for w in faults.wrappers] == [1] * len(faults.wrappers)
    assert faults.most_opening[HOST_A] == 1
    assert len(faults.wrappers) >= 3  # host-b, host-a, its reconnection (and late opens)
