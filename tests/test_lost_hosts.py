"""Lost hosts as the quorum side sees them: votes, the tie breaker, what a host without quorum
powered off, fences that complete, lock timing and datastore heartbeat silence."""

from __future__ import annotations

from pathlib import Path

import pytest
from cluster_helpers import events, make_engine, run_checked

from console.formats.cluster import load_cluster
from console.model import views
from console.model.commands import parse
from console.model.engine import Engine
from console.model.entities import NodeState, VmState

HYPERVISOR = {"vsphere": "esxi", "wsfc": "hyperv", "pve": "kvm"}
GUEST = {"vsphere": "windows2008", "wsfc": "windows2008", "pve": "debian"}


def small_cluster(tmp_path: Path, profile: str, hosts: int, *quorum: str,
                  powered_off: tuple[str, ...] = ()) -> Engine:
    """`hosts` hosts A, B, ... under `profile`, each running one VM vmA, vmB, ..."""
    lines = ['[cluster]', 'name = "t"', '[ha]', f'profile = "{profile}"']
    if quorum:
        lines += ['[quorum]', *quorum]
    names = [chr(65 + i) for i in range(hosts)]
    for name in names:
        lines += ['[[nodes]]', f'name = "{name}"', f'hypervisor = "{HYPERVISOR[profile]}"',
                  'cpus = 2', 'cores_per_cpu = 4', 'memory_gb = 32']
        if name in powered_off:
            lines.append('powered = false')
    for name in names:
        if name not in powered_off:
            lines += ['[[vms]]', f'name = "vm{name}"', f'host = "{name}"',
                      f'guest_os = "{GUEST[profile]}"', 'vcpus = 2', 'memory_gb = 4']
    path = tmp_path / "cluster.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return Engine(load_cluster(path), 0)


def together(engine: Engine, t: float, *lines: str) -> None:
    """Run to `t`, then submit `lines` at that one instant."""
    run_checked(engine, t)
    for line in lines:
        engine.submit(parse(line))


def at(engine: Engine, kind: str, subject: str) -> list[float]:
    return [e.t for e in events(engine, kind, lambda e: e.subject == subject)]


# -- what a host without quorum powered off is known once the cluster hears it with quorum -----


def test_a_vm_powered_off_without_quorum_restarts_when_quorum_returns(tmp_path):
    engine = small_cluster(tmp_path, "wsfc", 3, "witness = false")
    together(engine, 60, "isolate A", "isolate B")
    run_checked(engine, 250)
    assert engine.cluster.vms["vmC"].state is VmState.FAILED  # its own partition saw it go
    run_checked(engine, 900, {300: "reconnect A"})
    vm = engine.cluster.vms["vmC"]
    assert vm.state is VmState.RUNNING and at(engine, "vm_restarting", "vmC")
    assert vm.downtime_s == at(engine, "vm_running", "vmC")[0] - 70


def test_with_no_quorum_anywhere_the_summary_does_not_show_powered_off_vms_running(tmp_path):
    engine = small_cluster(tmp_path, "wsfc", 5, "witness = false")
    together(engine, 60, "isolate A", "isolate B", "isolate C")
    run_checked(engine, 400)
    assert {engine.cluster.vms[n].state for n in ("vmD", "vmE")} == {VmState.FAILED}


# -- the tie breaker and cut-off hosts ---------------------------------------------------------


def test_a_host_reset_while_its_partition_has_no_quorum_stays_lost_and_is_recovered(tmp_path):
    engine = small_cluster(tmp_path, "pve", 2, "tie_breaker = true")
    run_checked(engine, 400, {60: "isolate A"})
    assert at(engine, "node_reset", "B") == [135]
    assert at(engine, "node_fenced", "B") == [180]  # 120 s after its last renewal at 60
    assert not at(engine, "node_online", "B")
    assert engine.cluster.nodes["B"].state is NodeState.FAILED
    assert engine.cluster.vms["vmB"].state is VmState.RUNNING
    assert engine.cluster.vms["vmB"].host == "A"


def test_the_tie_breaker_sets_aside_the_highest_named_vote(tmp_path):
    engine = small_cluster(tmp_path, "wsfc", 4, "witness = false")
    together(engine, 60, "isolate A", "isolate D")
    run_checked(engine, 300)
    assert engine.membership.quorum_partition() == ["B", "C"]
    lost = {e.subject: e.message for e in events(engine, "quorum_lost")}
    assert sorted(lost) == ["A", "D"] and "1 of 3 votes" in lost["A"]
    assert {engine.cluster.vms[n].state for n in ("vmA", "vmD")} == {VmState.RUNNING}


# -- static votes: only dynamic quorum takes a vote away ---------------------------------------


def test_powered_off_hosts_keep_their_static_votes():
    engine = make_engine("pve.toml")
    run_checked(engine, 300, {60: "power-off pve01", 200: "power-off pve02"})
    assert not engine.membership.has_quorum()
    assert "pve03 lost quorum (1 of 3 votes)" in events(engine, "quorum_lost")[0].message


@pytest.mark.parametrize(("quorum", "total"), [
    (("witness = false", "dynamic_quorum = false"), 3),
    (("witness = true", "dynamic_quorum = false", "dynamic_witness = false",
      "tie_breaker = false"), 4),
])
def test_without_dynamic_quorum_a_shut_down_node_keeps_its_vote(tmp_path, quorum, total):
    engine = small_cluster(tmp_path, "wsfc", 3, *quorum)
    run_checked(engine, 300, {60: "power-off A", 200: "power-off B"})
    assert engine.membership.votes()[1] == total
    assert not engine.membership.has_quorum()


@pytest.mark.parametrize(("dynamic", "total"), [("false", 3), ("true", 2)])
def test_a_node_that_starts_powered_off_loses_its_vote_only_under_dynamic_quorum(
        tmp_path, dynamic, total):
    engine = small_cluster(tmp_path, "wsfc", 3, "witness = false", f"dynamic_quorum = {dynamic}",
                           "tie_breaker = false", powered_off=("C",))
    assert engine.membership.votes() == (2, total)


# -- a fence once started completes; a lost host stays lost until heard --------------------------


def test_powering_a_host_on_during_its_fence_does_not_cancel_the_fence():
    engine = make_engine()
    run_checked(engine, 300, {60: "fail-node C", 77: "power-on C"})
    assert at(engine, "node_fenced", "C") == [80]
    assert min(e.t for e in events(engine, "vm_restarting")) == 80
    assert not at(engine, "node_booting", "C")  # the quorum side never heard it boot


def test_a_lock_wait_is_not_cut_short_by_a_power_on():
    engine = make_engine("pve.toml")
    run_checked(engine, 400, {60: "fail-node pve03", 100: "power-on pve03"})
    assert at(engine, "node_fenced", "pve03") == [180]
    assert at(engine, "node_online", "pve03") == [190]


def test_a_host_powered_on_before_detection_is_declared_failed_not_isolated():
    engine = make_engine()
    run_checked(engine, 300, {60: "fail-node C", 65: "power-on C"})
    assert at(engine, "node_failed", "C") == [75]
    assert not at(engine, "node_isolated", "C")
    assert at(engine, "node_fenced", "C") == [80]


def test_a_wsfc_node_powered_on_before_detection_is_still_fenced(tmp_path):
    engine = small_cluster(tmp_path, "wsfc", 3, "witness = false")
    run_checked(engine, 300, {60: "fail-node A", 65: "power-on A"})
    assert at(engine, "node_fenced", "A") == [75]
    assert at(engine, "vm_restarting", "vmA") == [75]


# -- lock timing and datastore heartbeat silence -----------------------------------------------


def test_the_lock_expires_after_the_last_renewal_not_after_quorum_returns(tmp_path):
    engine = small_cluster(tmp_path, "pve", 3)
    together(engine, 60, "isolate A", "isolate B")
    run_checked(engine, 400, {100: "reconnect A"})
    assert at(engine, "node_fenced", "B") == [180]


def test_an_isolated_host_that_crashes_takes_the_detection_time_to_be_declared_failed():
    engine = make_engine(quorum__isolation_response="leave_powered_on")
    a_vms = sorted(engine.cluster.nodes["A"].vms)
    run_checked(engine, 400, {60: "isolate A", 200: "fail-node A"})
    assert at(engine, "node_failed", "A") == [215]
    restarts = [e.t for e in events(engine, "vm_restarting") if e.subject in a_vms]
    assert restarts and min(restarts) >= 215


def test_the_quorum_lost_message_says_what_happens_to_vms_with_their_own_response():
    engine = make_engine(quorum__isolation_response="leave_powered_on")
    first, *rest = sorted(engine.cluster.nodes["A"].vms)
    engine.cluster.vms[first].isolation_response = "power_off"
    run_checked(engine, 100, {60: "isolate A"})
    message = events(engine, "quorum_lost")[0].message
    assert f"power_off for {first}" in message
    if rest:
        assert "leave_powered_on for" in message


def test_the_header_shows_votes_only_where_hosts_vote(tmp_path):
    engine = make_engine()  # vSphere: no votes among hosts
    run_checked(engine, 100, {60: "isolate A"})
    assert views.quorum(engine).text == "hosts 2/3 heard"
    assert views.quorum(small_cluster(tmp_path, "wsfc", 3)).text == "quorum 3/3 ok"


def test_a_node_without_ha_managed_guests_arms_no_watchdog() -> None:
    """Proxmox VE: only a node whose local resource manager runs HA resources arms its
    watchdog; resources the operator set to ignored or disabled are not HA's, so a node running
    only those keeps running without quorum (one HA-managed definition for HA and the
    watchdog: `entities.ha_managed`)."""
    engine = make_engine("pve.toml")
    run_checked(engine, 300, {10: "ha-state web2 ignored", 11: "ha-state files ignored",
                              60: "isolate pve03"})
    assert not [e for e in engine.log.events if e.kind == "node_reset"]
    assert engine.cluster.vms["web2"].state.value == "running"
