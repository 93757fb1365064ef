"""Starting situations a cluster file can state: a host that starts powered off or in
maintenance, and VM placements that break a `must` rule (accepted, reported at time 0)."""

from __future__ import annotations

import pytest
from cluster_helpers import TWO_HOSTS, events, run_checked

from console.cli import main
from console.formats.cluster import check_cluster, load_cluster, parse_cluster, summarize
from console.formats.toml import ConfigError
from console.model import views
from console.model.commands import parse
from console.model.engine import Engine
from console.model.entities import NodeState, VmState
from console.model.placement import broken_rules
from console.model.summary import summary
from console.paths import SAMPLE_CLUSTERS

# TWO_HOSTS (A 16 GB, B 8 GB: 12 lines) and a third host C, powered off: 18 lines.
THREE = (TWO_HOSTS
         + '\n[[nodes]]\nname = "C"\nhypervisor = "esxi"\nmemory_gb = 16\npowered = false\n')


def vm(name: str, *extra: str) -> str:
    return "\n".join(["", "[[vms]]", f'name = "{name}"', 'guest_os = "rhel"', *extra]) + "\n"


def entry(table: str, *lines: str) -> str:
    return "\n".join(["", f"[[{table}]]", *lines]) + "\n"


def error_of(text: str) -> str:
    with pytest.raises(ConfigError) as caught:
        parse_cluster(text, "t.toml")
    return str(caught.value)


def engine_of(text: str) -> Engine:
    return Engine(parse_cluster(text, "t.toml"))


# -- a host that starts powered off -----------------------------------------------------------


def test_a_host_starts_powered_off_as_a_clean_shutdown_leaves_it() -> None:
    engine = engine_of(THREE + vm("old", 'host = "C"', 'state = "stopped"'))
    node = engine.cluster.nodes["C"]
    assert (node.powered, node.state, node.fenced, node.has_vote, node.heard) == (
        False, NodeState.OFFLINE, True, False, False)
    assert [(e.t, e.subject, e.message) for e in events(engine, "node_offline")] == [
        (0.0, "C", "C starts powered off; power-on boots it (120 s)")]
    assert engine.cluster.vms["old"].host == "C"
    # the vote: the two hosts that are up hold all there is (no witness named), as after a
    # clean shutdown
    assert engine.membership.votes() == (2, 2) and engine.membership.has_quorum()


def test_power_on_boots_it_and_it_rejoins_with_its_vote() -> None:
    engine = engine_of(THREE)
    run_checked(engine, 200, {10: "power-on C"})
    node = engine.cluster.nodes["C"]
    assert (node.state, node.fenced, node.has_vote, node.heard) == (
        NodeState.ONLINE, False, True, True)
    assert [e.t for e in events(engine, "node_online")] == [130.0]
    assert engine.membership.votes() == (3, 3)


def test_its_heartbeats_read_missed_from_before_time_0_until_it_rejoins() -> None:
    engine = engine_of(THREE)
    engine.run_until(30)
    beat = views.heartbeat(engine, engine.cluster.nodes["C"], 10)
    assert (beat.strip, beat.since_last, beat.heard) == ((False,) * 10, None, False)
    run_checked(engine, 200, {40: "power-on C"})
    assert views.heartbeat(engine, engine.cluster.nodes["C"], 10).strip == (True,) * 10


def test_heartbeat_slots_from_before_time_0_show_nothing_received_or_missed() -> None:
    """Nothing was seen before the start: those slots are None (blank on screen), and the strip
    fills in as time goes, for a host that beats (A) as for one that starts off (C)."""
    engine = engine_of(THREE)
    nodes = engine.cluster.nodes
    assert views.heartbeat(engine, nodes["A"], 10).strip == (None,) * 9 + (True,)
    assert views.heartbeat(engine, nodes["C"], 10).strip == (None,) * 9 + (False,)
    engine.run_until(3)
    assert views.heartbeat(engine, nodes["A"], 10).strip == (None,) * 6 + (True,) * 4
    assert views.heartbeat(engine, nodes["C"], 10).strip == (None,) * 6 + (False,) * 4


def test_a_running_vm_on_a_host_that_starts_off_is_an_error_at_its_host_key() -> None:
    assert error_of(THREE + vm("v", 'host = "C"')) == (
        't.toml:23: vms[0].host: host C starts powered off, so v cannot run on it (give v '
        'state = "stopped", or another host)')


def test_vms_without_a_host_are_never_placed_on_a_host_that_is_off() -> None:
    text = THREE + "".join(vm(f"v{i}", "memory_gb = 4") for i in range(4))
    cluster = parse_cluster(text, "t.toml")
    assert {v.host for v in cluster.vms.values()} == {"A", "B"}


def test_a_vm_without_a_host_that_only_an_off_host_could_take_is_an_error() -> None:
    text = THREE.replace("memory_gb = 8", "memory_gb = 8\npowered = false").replace(
        'name = "A"\nhypervisor = "esxi"', 'name = "A"\nhypervisor = "esxi"\npowered = false')
    assert error_of(text + vm("v")) == "t.toml:22: vms[0]: no host can take v: no host is online"


def test_nothing_is_placed_restarted_or_balanced_onto_a_host_that_is_off() -> None:
    text = THREE + vm("a1", 'host = "A"', "memory_gb = 4") + vm("a2", 'host = "A"', "memory_gb = 4")
    engine = engine_of(text)
    run_checked(engine, 900, {10: "fail-node A", 400: "rebalance", 500: "migrate a1"})
    assert {engine.cluster.vms[n].host for n in ("a1", "a2")} == {"B"}
    assert all(vm.state is VmState.RUNNING for vm in engine.cluster.vms.values())
    assert engine.cluster.nodes["C"].vms == set()


def test_a_stopped_vm_on_a_host_that_is_off_powers_on_elsewhere() -> None:
    engine = engine_of(THREE + vm("old", 'host = "C"', 'state = "stopped"'))
    assert engine.submit(parse("vm-power old on")).accepted
    run_checked(engine, 60)
    old = engine.cluster.vms["old"]
    assert (old.state, old.host) == (VmState.RUNNING, "A")


def test_the_summary_views_and_alerts_show_the_host_off() -> None:
    engine = engine_of(THREE + vm("old", 'host = "C"', 'state = "stopped"'))
    nodes = summary(engine)["nodes"]
    assert nodes["C"] == {"state": "offline", "vms": 1}  # type: ignore[index]
    assert "node C is offline" in views.alerts(engine)
    assert views.node_usage(engine, engine.cluster.nodes["C"]).cpu == 0.0


def test_a_cluster_may_start_with_every_host_off_and_come_up_host_by_host() -> None:
    text = THREE.replace("memory_gb = 8", "memory_gb = 8\npowered = false").replace(
        'name = "A"\nhypervisor = "esxi"', 'name = "A"\nhypervisor = "esxi"\npowered = false')
    engine = engine_of(text + vm("v", 'host = "A"', 'state = "stopped"'))
    assert not engine.membership.has_quorum()
    assert engine.submit(parse("vm-power v on")).reason == "the cluster has no quorum"
    run_checked(engine, 300, {10: "power-on A", 20: "power-on B", 200: "vm-power v on"})
    assert engine.cluster.vms["v"].state is VmState.RUNNING


# -- a host that starts in maintenance ---------------------------------------------------------


def test_a_host_starts_in_maintenance_and_leaves_it_on_command() -> None:
    text = TWO_HOSTS.replace("memory_gb = 8", "memory_gb = 8\nmaintenance = true")
    engine = engine_of(text + vm("v") + vm("w", 'host = "B"', 'state = "stopped"'))
    node = engine.cluster.nodes["B"]
    assert (node.state, node.maintenance) == (NodeState.MAINTENANCE, True)
    assert engine.cluster.vms["v"].host == "A"
    assert [e.message for e in events(engine, "node_maintenance")] == ["B starts in maintenance"]
    run_checked(engine, 100, {10: "maintenance B off"})
    assert node.state is NodeState.ONLINE


def test_a_host_that_starts_off_and_in_maintenance_enters_it_when_it_boots() -> None:
    engine = engine_of(THREE.replace("powered = false", "powered = false\nmaintenance = true"))
    assert events(engine, "node_offline")[0].message == (
        "C starts powered off; power-on boots it (120 s) and enters maintenance")
    run_checked(engine, 200, {10: "power-on C"})
    assert engine.cluster.nodes["C"].state is NodeState.MAINTENANCE


def test_a_running_vm_on_a_host_in_maintenance_is_an_error() -> None:
    text = TWO_HOSTS.replace("memory_gb = 8", "memory_gb = 8\nmaintenance = true")
    assert error_of(text + vm("v", 'host = "B"')) == (
        't.toml:18: vms[0].host: host B starts in maintenance, so v cannot run on it (give v '
        'state = "stopped", or another host)')


@pytest.mark.parametrize("key", ["powered", "maintenance"])
def test_the_start_keys_take_booleans(key: str) -> None:
    text = TWO_HOSTS.replace("memory_gb = 8", f'memory_gb = 8\n{key} = "no"')
    assert error_of(text) == f't.toml:13: nodes[1].{key}: must be true or false, got "no"'


# -- placements that break a must rule ---------------------------------------------------------


def test_each_kind_of_must_constraint_broken_at_start_is_one_warning_event() -> None:
    text = (TWO_HOSTS + vm("v", 'host = "A"') + vm("w", 'host = "A"', 'anti_affinity = ["v"]')
            + vm("x", 'host = "A"') + vm("y", 'host = "A"')
            + entry("services", 'name = "s"', 'kind = "generic"', 'members = ["x", "y"]')
            + entry("rules", 'name = "r"', 'kind = "vm-not-host"', 'strength = "must"',
                    'vms = ["y"]', 'hosts = ["A"]'))
    engine = engine_of(text)
    broken = [(e.t, e.severity.value, e.subject, e.message) for e in events(engine, "rule_broken")]
    assert broken == [
        (0.0, "warning", "y", "at start, rule r (must vm-not-host) is broken: y runs on A; it "
                              "must not run on A"),
        (0.0, "warning", "w", "at start, w's anti-affinity is broken: it runs on A with v"),
        (0.0, "warning", "s", "at start, service s's members must be on different hosts: x "
                              "and y run together on A")]
    assert engine.cluster.services["s"].active == "x"
    _, warnings = check_cluster(text, "t.toml")
    assert [line.split(" warning: ")[0] for line in warnings] == [
        "t.toml:33: vms[3].host:", "t.toml:22: vms[1].host:", "t.toml:28: vms[2].host:"]


def test_a_rule_is_reported_while_broken_and_no_longer_once_repaired() -> None:
    text = (TWO_HOSTS + vm("v", 'host = "A"') + vm("w", 'host = "A"')
            + entry("rules", 'name = "r"', 'kind = "anti-affinity"', 'strength = "must"',
                    'vms = ["v", "w"]'))
    engine = engine_of(text)
    assert "rule r (must anti-affinity) is broken: v and w run together on A" in \
        views.alerts(engine)
    run_checked(engine, 120, {10: "migrate w B"})
    assert broken_rules(engine.cluster) == []
    assert not any("rule r" in line for line in views.alerts(engine))


def test_a_stopped_vm_breaks_no_rule() -> None:
    text = (TWO_HOSTS + vm("v", 'host = "A"') + vm("w", 'host = "A"', 'state = "stopped"')
            + entry("rules", 'name = "r"', 'kind = "anti-affinity"', 'strength = "must"',
                    'vms = ["v", "w"]'))
    assert broken_rules(parse_cluster(text, "t.toml")) == []


def test_placement_at_load_still_honours_must_rules() -> None:
    text = (TWO_HOSTS + vm("v", 'host = "A"') + vm("w")
            + entry("rules", 'name = "r"', 'kind = "anti-affinity"', 'strength = "must"',
                    'vms = ["v", "w"]'))
    assert parse_cluster(text, "t.toml").vms["w"].host == "B"


def test_what_cannot_be_is_still_refused() -> None:
    assert error_of(TWO_HOSTS + vm("v", 'host = "B"', "memory_gb = 12")) == (
        "t.toml:17: vms[0].host: host B is over capacity at load: its running VMs need 1 vCPUs / "
        "12 GB, it has 64 vCPUs / 8 GB")


def test_validate_warns_of_broken_rules_and_exits_0(tmp_path, capsys) -> None:
    path = tmp_path / "t.toml"
    text = TWO_HOSTS + vm("v", 'host = "A"') + vm("w", 'host = "A"', 'anti_affinity = ["v"]')
    path.write_text(text, encoding="utf-8")
    assert main(["validate", str(path)]) == 0
    out, err = capsys.readouterr()
    assert out.startswith(f"{path}: ok: ")
    assert err == (f"cluster-console: {path}:22: vms[1].host: warning: w's anti-affinity is "
                   "broken: it runs on A with v\n")


# -- the samples --------------------------------------------------------------------------------


def test_the_repair_sample_starts_with_c_off_and_its_rule_broken() -> None:
    cluster = load_cluster(SAMPLE_CLUSTERS / "repair.toml")
    assert summarize(cluster) == ("cluster 'repair' (HA profile vsphere): "
                                  "3 nodes (esxi), 6 VMs (5 running, 1 "
                                  "stopped), 1 service, 1 rule")
    engine = Engine(cluster)
    assert [(e.kind, e.subject) for e in engine.log.events] == [
        ("node_offline", "C"), ("rule_broken", "sql01")]


@pytest.mark.parametrize("name", sorted(p.name for p in SAMPLE_CLUSTERS.glob("*.toml")
                                        if p.name != "repair.toml"))
def test_the_other_samples_start_as_before_with_no_event(name: str) -> None:
    assert Engine(load_cluster(SAMPLE_CLUSTERS / name)).log.events == []
