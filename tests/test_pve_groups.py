"""Proxmox VE HA rules ("High Availability", Proxmox VE Administration Guide): HA groups (node
priorities, restricted, nofailback), node maintenance that brings its VMs back, a fenced node's
stopped VMs moved to a live node; and vSphere's five restart priorities. pve.toml's db1 is in
group db-nodes (pve01:2, pve03:1, restricted), files in files-nodes (pve03:2, pve02:1,
nofailback)."""

from __future__ import annotations

import subprocess
import sys

import pytest
from cluster_helpers import TWO_HOSTS, events, make_engine, run_checked

from console.errors import InputError
from console.formats.cluster import parse_cluster
from console.model.commands import parse
from console.model.engine import Engine
from console.model.entities import Priority, VmState
from console.model.invariants import restricted_groups

# -- groups: priorities, restricted, failback -----------------------------------------------------


def test_recovery_picks_the_groups_next_priority_node_over_a_roomier_one() -> None:
    engine = make_engine("pve.toml")
    run_checked(engine, 300, {60: "fail-node pve01"})
    db1 = engine.cluster.vms["db1"]
    assert (db1.state, db1.host) == (VmState.RUNNING, "pve03")


def test_a_vm_fails_back_live_when_a_higher_priority_group_node_returns() -> None:
    engine = make_engine("pve.toml")
    run_checked(engine, 700, {60: "fail-node pve01", 400: "power-on pve01"})
    db1 = engine.cluster.vms["db1"]
    assert (db1.state, db1.host) == (VmState.RUNNING, "pve01")
    started = events(engine, "migration_started", lambda e: e.subject == "db1")
    assert len(started) == 1 and "failback to pve01, priority 2 in group db-nodes" in \
        started[0].message


def test_nofailback_leaves_the_vm_where_recovery_put_it() -> None:
    engine = make_engine("pve.toml")
    run_checked(engine, 700, {60: "fail-node pve03", 400: "power-on pve03"})
    files = engine.cluster.vms["files"]
    assert (files.state, files.host) == (VmState.RUNNING, "pve02")  # pve02: priority 1
    assert engine.cluster.nodes["pve03"].state.value == "online"
    assert not events(engine, "migration_started", lambda e: e.subject == "files")


def test_a_restricted_groups_vm_waits_for_its_nodes_and_says_why() -> None:
    engine = make_engine("pve.toml")
    run_checked(engine, 300, {30: "maintenance pve03 on", 60: "fail-node pve01"})
    db1 = engine.cluster.vms["db1"]
    assert db1.state is VmState.PENDING_RESTART
    pending = events(engine, "vm_pending", lambda e: e.subject == "db1")
    assert pending[-1].message == ("db1 waits for a host its rules allow: group db-nodes is "
                                   "restricted: db1 may run only on pve01, pve03")
    run_checked(engine, 500, {400: "maintenance pve03 off"})
    assert (db1.state, db1.host) == (VmState.RUNNING, "pve03")


def test_a_migration_outside_the_restricted_group_is_refused_with_the_group() -> None:
    engine = make_engine("pve.toml")
    outcome = engine.submit(parse("migrate db1 pve02"))
    assert not outcome.accepted and "group db-nodes is restricted" in outcome.reason


def test_the_invariant_catches_a_restricted_vm_outside_its_group() -> None:
    engine = make_engine("pve.toml")
    assert restricted_groups(engine.cluster) == []
    engine.cluster.set_host(engine.cluster.vms["db1"], "pve02")
    assert restricted_groups(engine.cluster) == [
        "db1 is running on pve02, outside its restricted group db-nodes"]


def test_power_on_starts_a_vm_on_its_groups_best_node() -> None:
    engine = make_engine("pve.toml")
    run_checked(engine, 100, {10: "vm-power db1 off", 20: "cold-migrate db1 pve03",
                              30: "vm-power db1 on"})
    db1 = engine.cluster.vms["db1"]
    assert (db1.state, db1.host) == (VmState.RUNNING, "pve01")


def test_evacuation_prefers_the_groups_next_node() -> None:
    engine = make_engine("pve.toml", ha__maintenance_return=False)
    run_checked(engine, 200, {30: "maintenance pve03 on"})
    assert engine.cluster.vms["files"].host == "pve02"


def test_groups_read_from_either_form_and_unchanged_clusters_have_none() -> None:
    cluster = make_engine("pve.toml").cluster
    assert cluster.groups["db-nodes"].nodes == {"pve01": 2, "pve03": 1}
    assert cluster.groups["files-nodes"].nodes == {"pve03": 2, "pve02": 1}
    assert cluster.groups["files-nodes"].rank("pve01") == 2
    assert make_engine().cluster.groups == {}


GROUPED = TWO_HOSTS + """
[[groups]]
name = "g"
nodes = ["A:2", "B"]

[[vms]]
name = "v1"
guest_os = "windows2008"
group = "g"
"""


@pytest.mark.parametrize(("old", "new", "expected"), [
    ('"A:2", "B"', '"A:2", "C"', 't.toml:16: groups[0].nodes: unknown node "C" (nodes: A, B)'),
    ('"A:2", "B"', '"A:2", "A"', 't.toml:16: groups[0].nodes[1]: "A" is listed twice'),
    ('"A:2", "B"', '"A:high"', 't.toml:16: groups[0].nodes[0]: priority must be an integer '
                              'from 0 to 1000, got "high"'),
    ('"A:2", "B"', '"A:1001"', 't.toml:16: groups[0].nodes[0]: must be an integer from 0 to '
                              '1000, got 1001'),
    ('["A:2", "B"]', '{ A = -1 }', 't.toml:16: groups[0].nodes.A: must be an integer from 0 to '
                                   '1000, got -1'),
    ('["A:2", "B"]', '[]', 't.toml:16: groups[0].nodes: a group needs at least one node'),
    ('group = "g"', 'group = "h"', 't.toml:21: vms[0].group: unknown group "h" (groups: g)'),
    ('group = "g"\n', 'group = "g"\n\n[[groups]]\nname = "g"\nnodes = ["A"]\n',
     't.toml:24: groups[1].name: duplicate name "g" (already used by groups[0])'),
])
def test_a_bad_group_is_one_line_naming_file_line_and_key(old: str, new: str,
                                                          expected: str) -> None:
    assert parse_cluster(GROUPED, "t.toml").vms["v1"].host == "A"
    with pytest.raises(InputError) as error:
        parse_cluster(GROUPED.replace(old, new, 1), "t.toml")
    assert str(error.value) == expected


def test_validate_exits_2_on_a_bad_group(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "t.toml"
    path.write_text(GROUPED.replace('"A:2", "B"', '"A:2", "C"'), encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "console", "validate", str(path)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        f'cluster-console: {path}:16: groups[0].nodes: unknown node "C" (nodes: A, B)']


# -- node maintenance return ------------------------------------------------------------------


def test_maintenance_brings_the_vms_it_moved_back_when_it_ends() -> None:
    engine = make_engine("pve.toml")
    run_checked(engine, 300, {30: "maintenance pve03 on", 200: "maintenance pve03 off"})
    vms = engine.cluster.vms
    assert engine.cluster.nodes["pve03"].state.value == "online"
    assert {name: vms[name].host for name in ("web2", "files")} == {"web2": "pve03",
                                                                     "files": "pve03"}
    back = events(engine, "migration_started", lambda e: "after its maintenance" in e.message)
    assert sorted(e.subject for e in back) == ["files", "web2"]


def test_without_maintenance_return_the_balancer_spreads_instead() -> None:
    engine = make_engine("pve.toml", ha__maintenance_return=False)
    run_checked(engine, 300, {30: "maintenance pve03 on", 200: "maintenance pve03 off"})
    assert not events(engine, "migration_started",
                      lambda e: "after its maintenance" in e.message)


def test_the_profiles_choose_maintenance_return() -> None:
    assert make_engine("pve.toml").cluster.settings.ha.maintenance_return
    assert not make_engine().cluster.settings.ha.maintenance_return


# -- a fenced node's stopped VMs ------------------------------------------------------------------


def test_a_stopped_vm_on_a_fenced_node_is_moved_to_a_live_one_and_stays_off() -> None:
    engine = make_engine("pve.toml")
    run_checked(engine, 400, {30: "vm-power files off", 60: "fail-node pve03"})
    files = engine.cluster.vms["files"]
    assert (files.state, files.host) == (VmState.STOPPED, "pve02")  # its group's next node
    moved = events(engine, "vm_moved", lambda e: e.subject == "files")
    assert [(e.t, e.message) for e in moved] == [
        (180.0, "files is moved to pve02 and stays stopped: its host pve03 was fenced")]
    assert engine.submit(parse("vm-power files on")).accepted


def test_vsphere_leaves_a_stopped_vm_registered_on_its_lost_host() -> None:
    engine = make_engine()
    run_checked(engine, 300, {30: "vm-power mon01 off", 60: "fail-node C"})
    assert engine.cluster.vms["mon01"].host == "C"
    assert not events(engine, "vm_moved")


# -- restart priorities ---------------------------------------------------------------------------


def _one_host_of_every_priority() -> Engine:
    vms = "".join(f'\n[[vms]]\nname = "{p.value}"\nhost = "A"\nguest_os = "windows2008"\n'
                  f'priority = "{p.value}"\n' for p in Priority)
    return Engine(parse_cluster(TWO_HOSTS.replace("memory_gb = 8", "memory_gb = 16") + vms,
                                "t.toml"))


def test_restart_order_follows_the_five_priorities_and_disabled_stays_down() -> None:
    engine = _one_host_of_every_priority()
    run_checked(engine, 120, {10: "fail-node A"})
    order = [e.subject for e in events(engine, "vm_restarting")]
    assert order == ["highest", "high", "medium", "low", "lowest"]
    assert engine.cluster.vms["disabled"].state is not VmState.RUNNING


def test_the_old_priority_names_keep_their_order() -> None:
    ranks = [Priority(name).rank for name in ("high", "medium", "low", "disabled")]
    assert ranks == sorted(ranks)
    assert Priority.HIGHEST.rank < Priority.HIGH.rank and \
        Priority.LOW.rank < Priority.LOWEST.rank < Priority.DISABLED.rank


def test_a_restricted_groups_vm_given_a_host_outside_it_is_refused() -> None:
    text = GROUPED.replace('"A:2", "B"]', '"A:2"]\nrestricted = true').replace(
        'group = "g"', 'group = "g"\nhost = "B"')
    with pytest.raises(InputError) as error:
        parse_cluster(text, "t.toml")
    assert str(error.value) == ("t.toml:23: vms[0].host: B is not a node of v1's restricted "
                                "group g (A)")
