"""The cluster writer: `cluster_text(cluster)` parses back into an equal cluster, and the copy
runs exactly as the original (the same event log)."""

from __future__ import annotations

import contextlib
import io
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from console.cli import main
from console.formats.cluster import load_cluster, parse_cluster
from console.formats.cluster.write import (
    basic_string,
    cluster_text,
    starting_state,
    toml_value,
)
from console.formats.toml import parse_toml
from console.model.cluster import Cluster
from console.model.commands import parse
from console.model.engine import Engine
from console.model.entities import VmState
from console.paths import SAMPLE_CLUSTERS

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

SAMPLES = sorted(path.name for path in SAMPLE_CLUSTERS.glob("*.toml"))
#: What a cluster file says, compared field by field (dataclass equality: every field).
PARTS = ("name", "description", "settings", "nodes", "vms", "services", "rules", "images",
         "groups", "traces")


def round_trip(cluster: Cluster, *, place: bool = True) -> Cluster:
    """`cluster` written and read back (its traces given, as a recording gives them)."""
    return parse_cluster(cluster_text(cluster), "written.toml", traces=cluster.traces,
                         place=place)


def assert_same(copy: Cluster, original: Cluster) -> None:
    for part in PARTS:
        assert getattr(copy, part) == getattr(original, part), part
    assert list(copy.nodes) == list(original.nodes)  # the order is the cluster's too
    assert list(copy.vms) == list(original.vms)
    assert copy.pending == original.pending


def event_log(cluster: Cluster) -> list[dict[str, object]]:
    """300 s of `cluster` with its first host failing and its last entering maintenance."""
    engine = Engine(cluster, 7)
    nodes = list(cluster.nodes)
    engine.submit_at(30.0, parse(f"fail-node {nodes[0]}"))
    engine.submit_at(60.0, parse(f"maintenance {nodes[-1]} on"))
    engine.run_until(300.0)
    return [event.as_dict() for event in engine.log.events]


@pytest.mark.parametrize("name", SAMPLES)
def test_every_sample_cluster_is_written_as_a_file_that_reads_back_equal(name: str) -> None:
    original = load_cluster(SAMPLE_CLUSTERS / name)
    copy = round_trip(original)
    assert_same(copy, original)
    assert cluster_text(copy) == cluster_text(original)
    assert event_log(copy) == event_log(load_cluster(SAMPLE_CLUSTERS / name))


@pytest.mark.parametrize("name", ["seed.toml", "planetlab.toml"])
def test_a_written_file_simulates_as_the_original(name: str, tmp_path: Path) -> None:
    """Through the files and `simulate`: the trace folder named by its absolute path."""
    original = SAMPLE_CLUSTERS / name
    written = tmp_path / name
    written.write_text(cluster_text(load_cluster(original),
                                    traces_folder=str(SAMPLE_CLUSTERS / "traces")))

    def simulate(path: Path) -> str:
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            assert main(["simulate", str(path), "--json", "--do", "40 fail-node B"]) == 0
        return out.getvalue()

    assert simulate(written) == simulate(original)


ODD = """
[cluster]
name = "odd.cluster-1"
description = "quotes \\" \\\\ tab\\t newline\\n DEL\\u007f \\u00e9 \\U0001f600"

[heartbeat]
interval_s = 0.3
cross_subnet_failed_after_missed = 40

[quorum]
voting = true
witness = true
watchdog_s = 12.5

[ha]
profile = "vsphere"
admission_policy = "failover_hosts"
failover_hosts = ["host-c.3"]
cpu_overcommit = 2.7182818284590455

[migration]
downtime_target_ms = 123.456
auto_converge = true

[balancer]
automation = "partial"
interval_s = 0

[[images]]
name = "base.v1"
label = "Base \\"one\\""
size_gb = 12.5
version = 3
guest_os = "rhel"
vcpus = 2
memory_gb = 1.5

[[layers]]
name = "app-layer"
size_gb = 2
memory_gb = 0.25
bases = ["base.v1"]

[[nodes]]
name = "host-a.1"
hypervisor = "kvm"
cpus = 2
cores_per_cpu = 8
memory_gb = 64
disks_gb = [1000.5]
nics_gbps = [10, 25]
subnet = "site-1"
images = ["app-layer", "base.v1"]

[[nodes]]
name = "host_b.2"
hypervisor = "kvm"
memory_gb = 64
subnet = "site.2"

[[nodes]]
name = "host-c.3"
hypervisor = "kvm"
memory_gb = 64

[[nodes]]
name = "off.host"
hypervisor = "kvm"
powered = false

[[nodes]]
name = "maint-host"
hypervisor = "kvm"
maintenance = true

[[nodes]]
name = "off-and-maint"
hypervisor = "kvm"
powered = false
maintenance = true

[[vms]]
name = "vm.no-host"
guest_os = "rhel"
memory_gb = 0.1
workload = { cpu = 0.123456789, profile = "bursty" }

[[vms]]
name = "vm-img.1"
host = "host-a.1"
image = "base.v1+app-layer"
priority = "highest"
isolation_response = "shutdown"
group = "grp.1"
anti_affinity = ["vm_ignored"]
boot_s = 0

[[vms]]
name = "vm_ignored"
host = "host_b.2"
guest_os = "rhel"
ha_state = "ignored"
priority = "disabled"

[[vms]]
name = "vm.stopped"
host = "off.host"
guest_os = "rhel"
state = "stopped"

[[vms]]
name = "vm.disabled"
host = "maint-host"
guest_os = "rhel"
ha_state = "disabled"

[[vms]]
name = "vm.kept-off"
guest_os = "rhel"
ha_state = "stopped"

[[vms]]
name = "sql-1"
host = "host-a.1"
guest_os = "windows2008"

[[vms]]
name = "sql.2"
host = "host_b.2"
guest_os = "windows2008"

[[services]]
name = "sql.svc"
kind = "sql"
members = ["sql-1", "sql.2"]
active = "sql.2"
preferred_owners = ["sql-1"]
failback = "window"
failback_window = [22, 6]
max_failovers = 7
failover_s = 4.5

[[rules]]
name = "keep.apart"
kind = "anti-affinity"
strength = "should"
vms = ["sql-1", "sql.2"]

[[rules]]
name = "on-a"
kind = "vm-host"
strength = "must"
vms = ["vm-img.1"]
hosts = ["host-a.1", "host_b.2"]

[[groups]]
name = "grp.1"
nodes = ["host-a.1:5", "host_b.2"]
restricted = true
nofailback = true
"""


@pytest.mark.parametrize("place", [True, False])
def test_odd_names_strings_and_every_key_read_back_equal(place: bool) -> None:
    """Dots and dashes in names, a description with quotes, control characters (DEL, which
    TOML refuses raw) and characters beyond the BMP, a VM without a host (left without one
    when not placed), powered-off hosts and hosts in maintenance, every settings section."""
    original = parse_cluster(ODD, "odd.toml", place=place)
    assert (original.vms["vm.no-host"].host is None) is not place
    copy = round_trip(original, place=place)
    assert_same(copy, original)
    nodes = copy.nodes
    assert not nodes["off.host"].powered and nodes["maint-host"].maintenance
    assert not nodes["off-and-maint"].powered and nodes["off-and-maint"].maintenance
    assert copy.description == 'quotes " \\ tab\t newline\n DEL\x7f é 😀'
    if place:
        assert event_log(copy) == event_log(parse_cluster(ODD, "odd.toml"))


def test_only_what_differs_from_the_defaults_is_written() -> None:
    text = cluster_text(load_cluster(SAMPLE_CLUSTERS / "pve.toml"))
    document = tomllib.loads(text)
    assert "profile" not in document.get("ha", {})  # KVM hosts: pve is their profile
    assert "datastore_heartbeat" not in document.get("heartbeat", {})
    assert all("state" not in vm for vm in document["vms"]
               if vm.get("ha_state", "started") == "started")
    kvm = cluster_text(parse_cluster(ODD, "odd.toml"))
    assert 'profile = "vsphere"' in kvm  # not the hosts' family's: said


OBSERVED = """
[cluster]
name = "real"
truth = "observed"

[[nodes]]
name = "host-a"
hypervisor = "kvm"
cpus = 1
cores_per_cpu = 4
mhz = 2400
memory_gb = 16

[[vms]]
name = "web-01"
host = "host-a"
guest_os = "debian"
state = "paused"

[[vms]]
name = "build-01"
host = "host-a"
guest_os = "debian"
state = "stopped"
"""


def test_an_observed_cluster_with_paused_and_stopped_vms_reads_back_equal() -> None:
    original = parse_cluster(OBSERVED, "observed.toml")
    text = cluster_text(original)
    assert 'truth = "observed"' in text and 'state = "paused"' in text
    copy = parse_cluster(text, "written.toml")
    assert_same(copy, original)
    assert copy.observed and copy.vms["web-01"].state is VmState.PAUSED


def test_a_header_comes_first_as_comments() -> None:
    cluster = load_cluster(SAMPLE_CLUSTERS / "two-node.toml")
    text = cluster_text(cluster, header="# Exported from qemu+ssh://a/system\non\x1b[31m now")
    assert text.splitlines()[:3] == ["# Exported from qemu+ssh://a/system",
                                     "# on\\u001b[31m now", ""]
    assert_same(round_trip(cluster), parse_cluster(text, "h.toml"))


def test_a_vm_in_a_passing_state_is_refused_with_its_name() -> None:
    cluster = load_cluster(SAMPLE_CLUSTERS / "seed.toml")
    vm = cluster.vms["web01"]
    assert starting_state(vm) == "running"
    vm.state = VmState.MIGRATING
    with pytest.raises(ValueError, match="VM web01 is migrating: a cluster file starts a VM "
                                         "running or paused or stopped"):
        cluster_text(cluster)


@given(st.text(max_size=20))
def test_any_string_is_a_toml_basic_string_that_reads_back(text: str) -> None:
    text = "".join(c for c in text if not "\ud800" <= c <= "\udfff")  # no file holds those
    line = f"x = {basic_string(text)}"
    assert tomllib.loads(line) == parse_toml(line, "s.toml") == {"x": text}


@given(st.one_of(st.floats(allow_nan=False), st.integers(-2**63, 2**63 - 1), st.booleans()))
def test_any_number_is_written_so_that_it_reads_back_the_same(value: float) -> None:
    line = f"x = {toml_value(value)}"
    for read in (tomllib.loads(line)["x"], parse_toml(line, "n.toml")["x"]):
        assert read == value and type(read) is type(value)


# -- small random clusters ----------------------------------------------------------------------

_HYPERVISORS = ("esxi", "kvm", "hyperv", "xenserver")
_NAME = st.from_regex(r"[a-z][a-z0-9._-]{0,6}", fullmatch=True)
_SHARE = st.floats(0, 1)


@st.composite
def small_clusters(draw: st.DrawFn) -> str:
    """The text of a cluster file of 1-4 roomy hosts (some off or in maintenance) and up to 6
    small VMs (some without a host, some stopped), with random numbers throughout."""
    names = draw(st.lists(_NAME, min_size=2, max_size=10, unique=True))
    hosts, vms = names[:max(1, len(names) // 3)], names[max(1, len(names) // 3):]
    hypervisor = draw(st.sampled_from(_HYPERVISORS))
    lines = ['[cluster]', f'name = "{draw(_NAME)}"',
             f"[heartbeat]\ninterval_s = {draw(st.floats(0.1, 60))!r}",
             f"[migration]\nlink_efficiency = {draw(st.floats(0.01, 1))!r}"]
    usable = []
    for i, host in enumerate(hosts):
        powered = i == 0 or draw(st.booleans())
        maintenance = i > 0 and draw(st.booleans())
        if powered and not maintenance:
            usable.append(host)
        lines += ["[[nodes]]", f'name = "{host}"', f'hypervisor = "{hypervisor}"',
                  "memory_gb = 512", "cores_per_cpu = 32",
                  f"mhz = {draw(st.integers(1, 100_000))}",
                  f"disk_mbps = {draw(st.floats(0.001, 1e5))!r}",
                  f"powered = {str(powered).lower()}",
                  f"maintenance = {str(maintenance).lower()}"]
    for vm in vms:
        running = draw(st.booleans())
        host = draw(st.sampled_from([None, *(usable if running else hosts)]))
        lines += ["[[vms]]", f'name = "{vm}"', 'guest_os = "windows2008"',
                  f'state = "{"running" if running else "stopped"}"',
                  f"memory_gb = {draw(st.floats(0.01, 4))!r}",
                  f"workload = {{ cpu = {draw(_SHARE)!r}, memory = {draw(_SHARE)!r} }}"]
        if host is not None:
            lines.append(f'host = "{host}"')
    return "\n".join(lines) + "\n"


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_clusters())
def test_small_random_clusters_read_back_equal(text: str) -> None:
    original = parse_cluster(text, "random.toml")
    assert_same(round_trip(original), original)
