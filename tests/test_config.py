"""Cluster files: the samples load as documented, and every mistake is one exact line."""

from __future__ import annotations

import json
import textwrap
from dataclasses import FrozenInstanceError
from pathlib import Path

import pytest
from cluster_helpers import TWO_HOSTS
from hypothesis import given, settings
from hypothesis import strategies as st

from console.formats.cluster import load_cluster, parse_cluster, summarize
from console.formats.toml import ConfigError, locate
from console.model.cluster import Cluster
from console.model.entities import Priority, Role, ServiceState, VmState
from console.paths import SAMPLE_CLUSTERS

SAMPLES = SAMPLE_CLUSTERS

BASE = TWO_HOSTS  # tests append to it; see cluster_helpers


def toml(text: str) -> str:
    return textwrap.dedent(text)


def error_of(text: str) -> str:
    """The one-line message parsing `text` gives; fails the test if it parses."""
    with pytest.raises(ConfigError) as caught:
        parse_cluster(text, "t.toml")
    return str(caught.value)


def vm(name: str, *extra: str, guest: str = "rhel") -> str:
    """A [[vms]] entry: 3 lines plus one per extra `key = value`."""
    return "\n".join(["[[vms]]", f'name = "{name}"', f'guest_os = "{guest}"', *extra]) + "\n"


def service(*extra: str) -> str:
    """A [[services]] entry: 3 lines plus one per extra line."""
    return "\n".join(["[[services]]", 'name = "s"', 'kind = "sql"', *extra]) + "\n"


def over_capacity(cluster: Cluster) -> list[str]:
    """Hosts whose running VMs exceed their capacity, recomputed from the VMs themselves."""
    found = []
    for node in cluster.nodes.values():
        running = [v for v in cluster.vms.values()
                   if v.host == node.name and v.state is VmState.RUNNING]
        if (sum(v.vcpus for v in running) > cluster.vcpu_capacity(node)
                or sum(v.memory_gb for v in running) > cluster.memory_capacity(node)):
            found.append(node.name)
    return found


# -- the samples ------------------------------------------------------------------------------


@pytest.mark.parametrize(("file", "summary"), [
    ("seed.toml", "cluster 'seed' (HA profile vsphere): "
                  "3 nodes (esxi), 12 VMs (12 running), 3 services, 1 rule"),
    ("hyperv.toml", "cluster 'hyperv' (HA profile wsfc): 4 nodes (hyperv), "
                    "11 VMs (10 running, 1 stopped), 1 service"),
    ("datacenter.toml", "cluster 'datacenter' (HA profile vsphere): "
                        "32 nodes (16 esxi, 8 hyperv, 8 kvm), "
                        "648 VMs (640 running, 8 stopped), 4 services"),
    ("xenserver.toml", "cluster 'xenserver' (HA profile vsphere): "
                       "4 nodes (xenserver), 12 VMs (12 running), "
                       "2 services, 3 base images + 4 layers, 4 rules"),
    ("planetlab.toml", "cluster 'planetlab' (HA profile pve): "
                       "10 nodes (kvm), 100 VMs (100 running), "
                       "0 services, 100 traces"),
])
def test_each_sample_loads_with_its_summary(file: str, summary: str) -> None:
    cluster = load_cluster(SAMPLES / file)
    assert summarize(cluster) == summary
    assert over_capacity(cluster) == []
    assert all(v.host in cluster.nodes for v in cluster.vms.values())
    assert cluster.pending == []


def test_seed_has_the_articles_hosts() -> None:
    cluster = load_cluster(SAMPLES / "seed.toml")
    assert list(cluster.nodes) == ["A", "B", "C"]
    for node in cluster.nodes.values():
        assert (node.hypervisor, node.cpus, node.cores_per_cpu) == ("esxi", 4, 4)
        assert node.memory_gb == 16
        assert node.disks_gb == (300,) * 5
        assert node.nics_gbps == (1,) * 4


SEED_LAYOUT = {
    # name: (host, guest OS, vCPUs, memory GB, priority)
    "exch01": ("A", "windows2008", 4, 4, Priority.HIGH),
    "iis02": ("A", "windows2008", 2, 2, Priority.MEDIUM),
    "dc01": ("A", "windows2008", 2, 2, Priority.HIGH),
    "web01": ("A", "rhel", 1, 1, Priority.LOW),
    "sql01": ("B", "windows2008", 4, 4, Priority.HIGH),
    "exch02": ("B", "windows2008", 4, 4, Priority.HIGH),
    "iis01": ("B", "windows2008", 2, 2, Priority.MEDIUM),
    "app01": ("B", "rhel", 2, 2, Priority.LOW),
    "sql02": ("C", "windows2008", 4, 4, Priority.HIGH),
    "file01": ("C", "windows2008", 2, 2, Priority.MEDIUM),
    "web02": ("C", "rhel", 1, 1, Priority.LOW),
    "mon01": ("C", "ubuntu", 1, 1, Priority.LOW),
}


def test_seed_vms_are_laid_out_as_in_the_article() -> None:
    cluster = load_cluster(SAMPLES / "seed.toml")
    layout = {v.name: (v.host, v.guest_os, v.vcpus, v.memory_gb, v.priority)
              for v in cluster.vms.values()}
    assert layout == SEED_LAYOUT
    assert {name: sorted(node.vms) for name, node in cluster.nodes.items()} == {
        "A": ["dc01", "exch01", "iis02", "web01"],
        "B": ["app01", "exch02", "iis01", "sql01"],
        "C": ["file01", "mon01", "sql02", "web02"],
    }
    assert [(n.used_vcpus, n.used_memory_gb) for n in cluster.nodes.values()] == [
        (9, 9), (12, 12), (8, 8)]
    assert cluster.anti_affine["web01"] == {"web02"}
    assert all(0.1 <= v.workload.cpu <= 0.6 and 5 <= v.workload.dirty_mbps <= 60
               for v in cluster.vms.values())


def test_seed_services_and_roles() -> None:
    cluster = load_cluster(SAMPLES / "seed.toml")
    services = {s.name: (s.kind, s.members, s.active, s.failback, s.failback_delay_s)
                for s in cluster.services.values()}
    assert services == {
        "sql": ("sql", ("sql01", "sql02"), "sql01", "never", 300),
        "exchange": ("exchange", ("exch01", "exch02"), "exch01", "delayed", 300),
        "iis": ("iis", ("iis01", "iis02"), "iis01", "immediate", 300),
    }
    assert cluster.services["sql"].preferred_owners == ("sql01",)
    assert cluster.services["sql"].roles == {"sql01": Role.ACTIVE, "sql02": Role.PASSIVE}
    assert all(s.state is ServiceState.ONLINE for s in cluster.services.values())
    assert cluster.member_of["exch02"] == "exchange"


def test_settings_sections_reach_the_model() -> None:
    cluster = load_cluster(SAMPLES / "hyperv.toml")
    settings = cluster.settings
    assert settings.quorum.isolation_response == "shutdown"
    assert settings.quorum.witness is True
    assert settings.heartbeat.failed_after_missed == 5
    assert settings.heartbeat.datastore_heartbeat is False
    assert settings.ha.cpu_overcommit == 2.0
    assert {v.guest_os for v in cluster.vms.values()} <= {
        "windows2003", "windows2008", "windows2008r2", "suse"}


# -- errors: one exact line each ----------------------------------------------------------------

ERRORS = [
    # values
    pytest.param(BASE.replace("memory_gb = 8", "memory_gb = -16"),
                 "t.toml:12: nodes[1].memory_gb: must be a number above 0, at most "
                 "24576 GB, got -16",
                 id="negative"),
    pytest.param(BASE.replace("memory_gb = 8", "memory_gb = true"),
                 "t.toml:12: nodes[1].memory_gb: must be a number above 0, at most "
                 "24576 GB, got true", id="bool"),
    pytest.param(BASE + "cpus = 2.5\n",
                 "t.toml:13: nodes[1].cpus: must be an integer from 1 to 64 sockets, "
                 "got 2.5", id="integer"),
    pytest.param(BASE + "disks_gb = [300, 0]\n",
                 "t.toml:13: nodes[1].disks_gb[1]: must be a number above 0, at most "
                 "65536 GB, got 0", id="list"),
    pytest.param(BASE + "nics_gbps = []\n",
                 "t.toml:13: nodes[1].nics_gbps: must be a non-empty array, got []", id="empty"),
    pytest.param(BASE.replace('"esxi"\nmemory_gb = 8', '"vmware"\nmemory_gb = 8'),
                 't.toml:11: nodes[1].hypervisor: must be one of esxi, hyperv, xenserver, kvm; '
                 'got "vmware"', id="choice"),
    pytest.param(BASE.replace('name = "B"', 'name = "B 2"'),
                 "t.toml:10: nodes[1].name: must be a name (a letter or digit, then letters, "
                 "digits, '_', '.' or '-', at most 64 characters), got \"B 2\"", id="name"),
    pytest.param(BASE.replace('name = "B"\n', ""),
                 "t.toml:9: nodes[1].name: required key is missing", id="required"),
    pytest.param(BASE + vm("v", "count = 0"),
                 "t.toml:16: vms[0].count: must be an integer from 1 to 100000, got 0", id="count"),
    pytest.param(BASE + "[heartbeat]\nsuspect_after_missed = 20\n",
                 "t.toml:14: heartbeat.suspect_after_missed: failed_after_missed (15) must be "
                 "greater than suspect_after_missed (20)", id="heartbeat"),
    pytest.param(BASE + '[quorum]\nisolation_response = "reboot"\n',
                 "t.toml:14: quorum.isolation_response: must be one of leave_powered_on, "
                 'power_off, shutdown; got "reboot"', id="quorum"),
    pytest.param(BASE + vm("v") + "[vms.workload]\ncpu = 0.5\nprofile = \"trace\"\n",
                 't.toml:16: vms[0].workload.trace: required when profile is "trace"',
                 id="workload-table"),
    pytest.param(BASE + vm("v", "workload = { cpu = 2 }"),
                 "t.toml:16: vms[0].workload.cpu: must be a number from 0 to 1, got 2",
                 id="workload-inline"),
    # structure
    pytest.param(BASE.replace("memory_gb = 8", "memroy_gb = 8"),
                 "t.toml:12: nodes[1].memroy_gb: unknown key (known: name, hypervisor, cpus, "
                 "cores_per_cpu, mhz, memory_gb, disks_gb, nics_gbps, disk_mbps, boot_s, count, "
                 "images, powered, maintenance, subnet)",
                 id="unknown-key"),
    pytest.param(BASE + "[balancing]\nlevel = 3\n",
                 "t.toml:13: balancing: unknown section (known: cluster, heartbeat, quorum, ha, "
                 "migration, balancer, workloads, images, layers, nodes, vms, services, "
                 "rules, groups)", id="unknown-section"),
    pytest.param(BASE.replace('[cluster]\nname = "t"\n', ""),
                 "t.toml: cluster: required section [cluster] is missing", id="no-cluster"),
    pytest.param('[cluster]\nname = "t"\n',
                 "t.toml: nodes: at least one [[nodes]] entry is required", id="no-nodes"),
    pytest.param('[cluster]\nname = "t"\n[nodes]\nname = "A"\n',
                 "t.toml:3: nodes: must be an array of tables ([[nodes]]), got a table",
                 id="nodes-table"),
    pytest.param(BASE + "[ha]\nfence_s = -1\n",
                 "t.toml:14: ha.fence_s: must be a number from 0 to 3600 s, got -1", id="ha"),
    # names
    pytest.param(BASE.replace('name = "B"', 'name = "A"'),
                 't.toml:10: nodes[1].name: duplicate name "A" (already used by nodes[0])',
                 id="duplicate-node"),
    pytest.param(BASE + vm("B"),
                 't.toml:14: vms[0].name: duplicate name "B" (already used by nodes[1])',
                 id="vm-named-like-node"),
    pytest.param(BASE + service('members = ["v", "w"]') + service('members = ["v", "w"]'),
                 't.toml:18: services[1].name: duplicate name "s" (already used by services[0])',
                 id="duplicate-service"),
    pytest.param(BASE + vm("v", 'host = "D"'),
                 't.toml:16: vms[0].host: unknown node "D" (nodes: A, B)', id="unknown-host"),
    pytest.param(BASE + vm("v", 'anti_affinity = ["w"]'),
                 't.toml:16: vms[0].anti_affinity[0]: unknown VM "w"', id="unknown-anti-affine"),
    pytest.param(BASE + vm("v", 'anti_affinity = ["v"]'),
                 "t.toml:16: vms[0].anti_affinity[0]: v cannot be anti-affine with itself",
                 id="self-anti-affine"),
    pytest.param(BASE + vm("v", "count = 2", 'anti_affinity = ["x"]'),
                 "t.toml:17: vms[0].anti_affinity: not allowed together with count",
                 id="count-anti-affinity"),
    # services
    pytest.param(BASE + vm("v") + service('members = ["v", "x"]'),
                 't.toml:19: services[0].members[1]: unknown VM "x"', id="unknown-member"),
    pytest.param(BASE + vm("v") + service('members = ["v"]'),
                 "t.toml:19: services[0].members: a service needs at least two members, got 1",
                 id="one-member"),
    pytest.param(BASE + vm("v") + service('members = ["v", "v"]'),
                 't.toml:19: services[0].members[1]: "v" is listed twice', id="twice"),
    pytest.param(BASE + vm("v") + vm("w") + vm("x")
                 + service('members = ["v", "w"]', 'preferred_owners = ["x"]'),
                 "t.toml:26: services[0].preferred_owners[0]: x is not a member of service s "
                 "(members: v, w)", id="owner-not-member"),
    pytest.param(BASE + vm("v") + vm("w") + service('members = ["v", "w"]', 'active = "q"'),
                 't.toml:23: services[0].active: unknown VM "q"', id="unknown-active"),
    pytest.param(BASE + vm("v", 'state = "stopped"') + vm("w")
                 + service('members = ["v", "w"]', 'active = "v"'),
                 "t.toml:24: services[0].active: v is stopped; the active member must be running",
                 id="active-stopped"),
    # compatibility and capacity
    pytest.param(BASE.replace('"esxi"', '"hyperv"') + vm("v"),
                 "t.toml:15: vms[0].guest_os: no node in the cluster runs rhel "
                 "(hypervisors here: hyperv)", id="guest-nowhere"),
    pytest.param(BASE.replace('"esxi"\nmemory_gb = 8', '"hyperv"\nmemory_gb = 8')
                 + vm("v", 'host = "B"'),
                 "t.toml:15: vms[0].guest_os: host B runs hyperv, which does not run rhel "
                 "(hyperv runs windows2003, windows2008, windows2008r2, windows2012, suse)",
                 id="guest-not-on-host"),
    pytest.param(BASE + vm("v", "vcpus = 65"),
                 "t.toml:16: vms[0].vcpus: v needs 65 vCPUs, more than any host that runs rhel "
                 "can hold (at most 64)", id="too-many-vcpus"),
    pytest.param(BASE + vm("v", "memory_gb = 17"),
                 "t.toml:16: vms[0].memory_gb: v needs 17 GB, more than any host that runs rhel "
                 "can hold (at most 16 GB)", id="too-much-memory"),
    pytest.param(BASE + vm("v", 'host = "B"', "memory_gb = 6") + vm("w", 'host = "B"',
                                                                   "memory_gb = 3"),
                 "t.toml:21: vms[1].host: host B is over capacity at load: its running VMs need "
                 "2 vCPUs / 9 GB, it has 64 vCPUs / 8 GB", id="host-over-capacity"),
    pytest.param(BASE + vm("v", "count = 3", "memory_gb = 9"),
                 "t.toml:13: vms[0]: no host can take v002: no room: needs 1 vCPU and 9 GB, "
                 "the most free is 8 GB and 64 vCPUs on B", id="nothing-fits"),
    # capacities in whole vCPUs: 16 cores x 1.3 hold 20 vCPUs, not 20.8
    pytest.param(BASE + "[ha]\ncpu_overcommit = 1.3\n" + vm("v", "vcpus = 21"),
                 "t.toml:18: vms[0].vcpus: v needs 21 vCPUs, more than any host that runs rhel "
                 "can hold (at most 20)", id="too-many-vcpus-fractional-ratio"),
    pytest.param(BASE + "[ha]\ncpu_overcommit = 1.3\n" + vm("v", 'host = "B"', "vcpus = 12")
                 + vm("w", 'host = "B"', "vcpus = 9"),
                 "t.toml:23: vms[1].host: host B is over capacity at load: its running VMs need "
                 "21 vCPUs / 2 GB, it has 20 vCPUs / 8 GB", id="host-over-capacity-fractional"),
]


@pytest.mark.parametrize(("text", "expected"), ERRORS)
def test_each_mistake_is_one_exact_line(text: str, expected: str) -> None:
    assert error_of(text) == expected


def test_stopped_vms_do_not_count_against_capacity() -> None:
    text = BASE + vm("v", 'host = "B"', "memory_gb = 6") + vm("w", 'host = "B"', "memory_gb = 3",
                                                           'state = "stopped"')
    cluster = parse_cluster(text, "t.toml")
    assert cluster.nodes["B"].used_memory_gb == 6
    assert cluster.vms["w"].state is VmState.STOPPED


def test_first_error_in_file_order_wins() -> None:
    text = BASE.replace("memory_gb = 16", "memory_gb = 0").replace("memory_gb = 8", "mhz = -1")
    assert error_of(text) == ("t.toml:7: nodes[0].memory_gb: must be a number above 0, "
                              "at most 24576 GB, got 0")


def test_error_carries_its_parts() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_cluster(BASE + "cpus = 0\n", "dir/t.toml")
    error = caught.value
    assert (error.file, error.line, error.key) == ("dir/t.toml", 13, "nodes[1].cpus")
    assert error.message == "must be an integer from 1 to 64 sockets, got 0"
    assert "\n" not in str(error)


# -- TOML syntax and files ----------------------------------------------------------------------


def test_toml_syntax_error_keeps_the_parsers_line() -> None:
    text = BASE.replace("memory_gb = 8", "memory_gb = ")
    assert error_of(text) == "t.toml:12: invalid TOML: Invalid value (column 13)"


def test_toml_error_at_end_of_file_points_at_the_last_line() -> None:
    text = BASE + 'description = "never closed'  # no newline: the string runs to the end
    assert error_of(text) == "t.toml:13: invalid TOML: Unterminated string (at end of file)"


def test_missing_file_names_the_path_as_given(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError) as caught:
        load_cluster("nope.toml")
    assert str(caught.value) == "nope.toml: cannot read: No such file or directory"
    assert caught.value.key == ""


def test_errors_in_a_file_name_it_relative_as_typed(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("bad.toml").write_text(BASE + "cpus = 0\n", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_cluster("bad.toml")
    assert str(caught.value) == ("bad.toml:13: nodes[1].cpus: must be an integer from 1 "
                                 "to 64 sockets, got 0")


def test_non_utf8_file_is_a_config_error(tmp_path: Path) -> None:
    path = tmp_path / "latin.toml"
    path.write_bytes(b'[cluster]\nname = "caf\xe9"\n')
    with pytest.raises(ConfigError) as caught:
        load_cluster(path)
    assert str(caught.value) == f"{path}:2: not UTF-8 text"


# -- count and placement ------------------------------------------------------------------------


def test_count_expands_nodes_and_vms_with_padded_numbers() -> None:
    text = toml("""\
        [cluster]
        name = "t"
        [[nodes]]
        name = "esx"
        hypervisor = "esxi"
        count = 3
        [[vms]]
        name = "web"
        guest_os = "rhel"
        count = 12
        workload = { cpu = 0.5 }
        """)
    cluster = parse_cluster(text, "t.toml")
    assert list(cluster.nodes) == ["esx01", "esx02", "esx03"]
    assert list(cluster.vms) == [f"web{i:03d}" for i in range(1, 13)]
    assert cluster.vms["web012"].workload.cpu == 0.5
    with pytest.raises(FrozenInstanceError):  # shared by the copies: a value, not changed
        cluster.vms["web001"].workload.cpu = 0.9  # type: ignore[misc]


def test_expanded_names_collide_like_written_ones() -> None:
    text = BASE.replace('name = "B"', 'name = "A0"').replace('name = "A"', 'name = "A"\ncount = 2')
    # A01, A02 from nodes[0]; then "A0" is fine, but a VM named A02 is not.
    assert error_of(text + vm("A02")) == (
        't.toml:15: vms[0].name: duplicate name "A02" (already used by nodes[0])')


MIXED = toml("""\
    [cluster]
    name = "mixed"
    [[nodes]]
    name = "esx"
    hypervisor = "esxi"
    count = 2
    memory_gb = 16
    [[nodes]]
    name = "hv"
    hypervisor = "hyperv"
    count = 2
    memory_gb = 32
    [[vms]]
    name = "lin"
    guest_os = "rhel"
    count = 4
    memory_gb = 2
    [[vms]]
    name = "win"
    guest_os = "windows2008"
    count = 6
    memory_gb = 4
    [[vms]]
    name = "sqla"
    guest_os = "windows2008"
    [[vms]]
    name = "sqlb"
    guest_os = "windows2008"
    [[services]]
    name = "sql"
    kind = "sql"
    members = ["sqla", "sqlb"]
    """)


def test_hostless_vms_are_placed_on_hosts_that_run_them() -> None:
    cluster = parse_cluster(MIXED, "mixed.toml")
    hosts = {name: v.host for name, v in cluster.vms.items()}
    # rhel only runs on ESXi; Windows goes where most memory is free, Hyper-V first (32 GB).
    assert hosts == {
        "lin001": "esx01", "lin002": "esx02", "lin003": "esx01", "lin004": "esx02",
        "win001": "hv01", "win002": "hv02", "win003": "hv01", "win004": "hv02",
        "win005": "hv01", "win006": "hv02",
        "sqla": "hv01", "sqlb": "hv02",
    }
    assert cluster.vm_hypervisor["lin001"] == "esxi"
    assert cluster.vm_hypervisor["win001"] == "hyperv"
    assert cluster.pending == []
    assert summarize(cluster) == ("cluster 'mixed' (HA profile vsphere): "
                                  "4 nodes (2 esxi, 2 hyperv), "
                                  "12 VMs (12 running), 1 service")


def test_hostless_placement_is_deterministic() -> None:
    first = parse_cluster(MIXED, "mixed.toml")
    for _ in range(3):
        again = parse_cluster(MIXED, "mixed.toml")
        assert [(v.name, v.host) for v in again.vms.values()] == [
            (v.name, v.host) for v in first.vms.values()]
        assert {n: sorted(node.vms) for n, node in again.nodes.items()} == {
            n: sorted(node.vms) for n, node in first.nodes.items()}


def test_hostless_placement_keeps_anti_affine_vms_apart() -> None:
    # Both placed by the loader: web01 first, on A (most free memory); web02 names the rule and
    # would also prefer A, so it must see its own rule before it is placed.
    text = BASE + vm("web01") + vm("web02", 'anti_affinity = ["web01"]')
    cluster = parse_cluster(text, "t.toml")
    assert cluster.vms["web01"].host == "A"
    assert cluster.vms["web02"].host == "B"


def test_hostless_vm_avoids_pinned_service_partner() -> None:
    text = BASE + vm("v", 'host = "A"') + vm("w") + service('members = ["v", "w"]')
    cluster = parse_cluster(text, "t.toml")
    assert cluster.vms["w"].host == "B"  # A has more free memory, but v is there


# -- roles --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("states", "extra", "roles", "state"), [
    pytest.param(("running", "running"), ['preferred_owners = ["w"]'],
                 {"v": Role.PASSIVE, "w": Role.ACTIVE}, ServiceState.ONLINE, id="preferred"),
    pytest.param(("running", "stopped"), ['preferred_owners = ["w"]'],
                 {"v": Role.ACTIVE, "w": Role.OFFLINE}, ServiceState.ONLINE,
                 id="preferred-stopped"),
    pytest.param(("stopped", "running"), [],
                 {"v": Role.OFFLINE, "w": Role.ACTIVE}, ServiceState.ONLINE, id="first-running"),
    pytest.param(("stopped", "stopped"), [],
                 {"v": Role.OFFLINE, "w": Role.OFFLINE}, ServiceState.OFFLINE, id="none-running"),
])
def test_default_active_member(states: tuple[str, str], extra: list[str],
                               roles: dict[str, Role], state: ServiceState) -> None:
    text = (BASE + vm("v", f'state = "{states[0]}"') + vm("w", f'state = "{states[1]}"')
            + service('members = ["v", "w"]', *extra))
    service_ = parse_cluster(text, "t.toml").services["s"]
    assert service_.roles == roles
    assert service_.state is state


# -- the line locator ---------------------------------------------------------------------------

LOCATE = toml("""\
    top = 1
    [cluster]
    name = "x"
    [[vms]]
    name = "a"
    [[vms]]
    name = "b"
    members = [
      "x",
    ]
    [vms.workload]
    cpu = 2
    [ha]
    fence_s = 1
    """)


@pytest.mark.parametrize(("key", "line"), [
    ("top", 1),
    ("cluster.name", 3),
    ("vms[0].name", 5),
    ("vms[1].name", 7),
    ("vms[1].members[0]", 9),        # the element's own line
    ("vms[1].workload.cpu", 12),
    ("vms[1].workload.memory", 11),  # not written: its table's header
    ("vms[0].workload.cpu", 4),      # vms[0] has no workload table: the entry's header
    ("vms[1].host", 6),
    ("ha.fence_s", 14),
    ("ha", 13),
    ("vms[2].name", 4),              # no such entry: the array of tables' first header
    ("quorum", None),
    ("", None),
])
def test_locate(key: str, line: int | None) -> None:
    assert locate(LOCATE, key) == line


# -- never a traceback --------------------------------------------------------------------------

SEED_LINES = (SAMPLES / "seed.toml").read_text(encoding="utf-8").splitlines()
VALUE_LINES = [i for i, line in enumerate(SEED_LINES) if " = " in line and not line.startswith("#")]
TOML_VALUES = st.one_of(
    st.integers(-10**6, 10**6).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(
        lambda f: "nan" if f != f else ("inf" if f == float("inf") else
                                        "-inf" if f == float("-inf") else repr(f))),
    st.booleans().map(lambda b: "true" if b else "false"),
    st.text(max_size=8).map(json.dumps),
    st.sampled_from(['[]', '[1, "a"]', "{}", "{ a = 1 }", "1979-05-27", '"A"', '"web01"']),
)


@settings(max_examples=300, deadline=None)
@given(line=st.sampled_from(VALUE_LINES), value=TOML_VALUES)
def test_any_one_value_changed_gives_a_cluster_or_one_line(line: int, value: str) -> None:
    lines = list(SEED_LINES)
    lines[line] = lines[line].split(" = ")[0] + " = " + value
    try:
        parse_cluster("\n".join(lines), "seed.toml")
    except ConfigError as error:
        assert "\n" not in str(error)
        assert str(error).startswith("seed.toml")


def test_the_error_line_quoted_in_readme_and_seed_toml_is_the_real_one(tmp_path) -> None:
    """README and seed.toml show `seed.toml:LINE: nodes[2].memory_gb: ...`: it must be true."""
    import re

    from console.paths import SAMPLE_CLUSTERS

    seed = (SAMPLE_CLUSTERS / "seed.toml").read_text(encoding="utf-8")
    lines = seed.splitlines()
    tables = [i for i, line in enumerate(lines) if line == "[[nodes]]"]
    third = next(i for i in range(tables[2], len(lines)) if lines[i].startswith("memory_gb ="))
    lines[third] = "memory_gb = -16"
    (tmp_path / "seed.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_cluster(tmp_path / "seed.toml")
    message = str(caught.value).replace(str(tmp_path / "seed.toml"), "seed.toml")
    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    quoted = re.compile(r"seed\.toml:\d+: nodes\[2\]\.memory_gb: [^\n]*")
    assert quoted.findall(readme) == [message]
    assert quoted.findall(seed) == [message]


def test_a_cross_subnet_threshold_below_suspicion_is_one_line_naming_the_key() -> None:
    text = BASE + "[heartbeat]\ncross_subnet_failed_after_missed = 2\n"
    with pytest.raises(ConfigError) as caught:
        parse_cluster(text, "t.toml")
    assert str(caught.value).startswith("t.toml:")
    assert "heartbeat.cross_subnet_failed_after_missed: must be greater than " \
           "suspect_after_missed (3)" in str(caught.value)
