"""Operator commands and their refusals: one quorum rule for every command to the cluster,
refusals that give the real reason, a forced maintenance that goes ahead as its wait message
promises, and operator stops that leave an event and never erase downtime already suffered."""

from __future__ import annotations

from pathlib import Path

import pytest
from cluster_helpers import events, make_engine, run_checked

from console.formats.cluster import load_cluster
from console.model.commands import COMMANDS, parse
from console.model.engine import Engine
from console.model.kernel import NO_QUORUM

HYPERVISOR = {"pve": ("kvm", "debian"), "wsfc": ("hyperv", "windows2008")}


def four_nodes(tmp_path: Path, profile: str) -> Engine:
    """Four voting nodes A-D of `profile`, no witness, one small VM vmX on each node X."""
    hypervisor, guest = HYPERVISOR[profile]
    lines = ['[cluster]', 'name = "t"', '[ha]', f'profile = "{profile}"',
             '[quorum]', 'witness = false']
    for node in "ABCD":
        lines += ['[[nodes]]', f'name = "{node}"', f'hypervisor = "{hypervisor}"', 'cpus = 2',
                  'cores_per_cpu = 4', 'memory_gb = 32']
    for node in "ABCD":
        lines += ['[[vms]]', f'name = "vm{node}"', f'host = "{node}"', f'guest_os = "{guest}"',
                  'vcpus = 2', 'memory_gb = 4']
    path = tmp_path / f"{profile}4n.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return Engine(load_cluster(path))


def refusal(engine: Engine, t: float, line: str) -> str | None:
    """Submit `line` at `t`; the refusal's reason, or None when accepted."""
    outcome = engine.submit_at(t, parse(line))
    return None if outcome.accepted else outcome.reason


# -- one quorum rule ---------------------------------------------------------------------------

CLUSTER_COMMANDS = ["vm-power vmC off", "vm-power vmC on", "ha-state vmD disabled",
                    "ha-state vmD stopped", "migrate vmC D", "relocate vmC D",
                    "cold-migrate vmC D", "maintenance C on", "rebalance",
                    "rebalance --dry-run", "cancel-migration vmC", "deploy new debian",
                    "add-node E"]


@pytest.mark.parametrize("profile", ["pve", "wsfc"])
@pytest.mark.parametrize("at", [100.0, 300.0])
@pytest.mark.parametrize("line", CLUSTER_COMMANDS)
def test_without_quorum_every_command_to_the_cluster_is_refused_for_that_reason(
        tmp_path: Path, profile: str, at: float, line: str) -> None:
    engine = four_nodes(tmp_path, profile)
    engine.submit_at(60, parse("isolate A"))
    engine.submit_at(60, parse("isolate B"))
    engine.run_until(at)
    assert not engine.membership.has_quorum()
    assert refusal(engine, at, line) == NO_QUORUM


@pytest.mark.parametrize("line", ["fail-node C", "power-off C", "isolate C", "reconnect A",
                                  "fail-starts C", "fail-migrations C", "power-on A"])
def test_without_quorum_acting_on_the_world_is_never_refused_for_quorum(
        tmp_path: Path, line: str) -> None:
    engine = four_nodes(tmp_path, "pve")
    engine.submit_at(60, parse("isolate A"))
    engine.submit_at(60, parse("isolate B"))
    engine.run_until(100)
    assert not engine.membership.has_quorum()
    assert refusal(engine, 100, line) != NO_QUORUM


def test_every_command_says_whether_it_waits_for_quorum() -> None:
    world = {verb for verb, cls in COMMANDS.items() if not cls.needs_quorum}
    observations = {verb for verb, cls in COMMANDS.items() if cls.observation}
    assert observations == {"reading", "vm-reading", "observe-host", "observe-vm",
                            "observe-defined", "observe-undefined", "observe-migration",
                            "observe-migrated", "observe-action-failed"}
    assert world == {"fail-node", "power-off", "power-on", "isolate", "reconnect",
                     "fail-starts", "fail-migrations", "publish-image", "speed",
                     "pause", "resume"} | observations


def test_a_host_the_cluster_no_longer_hears_is_not_called_online(tmp_path: Path) -> None:
    engine = four_nodes(tmp_path, "pve")
    engine.submit_at(60, parse("isolate D"))
    engine.run_until(61)
    assert engine.cluster.nodes["D"].state.value == "online"
    for line in ("migrate vmC D", "vm-power vmD off", "maintenance D on", "relocate vmC D"):
        reason = refusal(engine, 61, line)
        assert reason is not None and "D is online, not heard by the cluster" in reason, line


# -- maintenance --force while waiting ---------------------------------------------------------

def test_forcing_a_maintenance_that_waits_goes_ahead_and_says_so() -> None:
    engine = make_engine()
    run_checked(engine, 260, {60: "maintenance B on", 200: "maintenance B on --force"})
    waiting = events(engine, "command", lambda e: e.t == 60)[0].message
    assert "--force evacuates anyway" in waiting
    forced = events(engine, "command", lambda e: e.t == 200)[0].message
    assert "forced: evacuating B anyway; the cluster can no longer tolerate" in forced
    assert events(engine, "migration_started",
                  lambda e: e.t == 200 and "evacuating B" in e.message)
    assert refusal(engine, 260, "maintenance B on --force") == \
        f"B is already {engine.cluster.nodes['B'].state.value} (forced)"
    assert refusal(engine, 260, "maintenance B on") is not None


# -- operator stops: an event each, downtime kept ----------------------------------------------

def test_withdrawing_a_restarting_vm_keeps_its_outage_and_says_so() -> None:
    engine = make_engine()
    run_checked(engine, 120, {60: "fail-node C", 82: "vm-power mon01 off"})
    mon01 = engine.cluster.vms["mon01"]
    assert mon01.state.value == "stopped"
    assert mon01.down_since is None and mon01.downtime_s == pytest.approx(22.0)
    stopped = events(engine, "vm_stopped", lambda e: e.subject == "mon01")
    assert [e.t for e in stopped] == [82.0]
    assert "restart is withdrawn" in stopped[0].message


@pytest.mark.parametrize("line", ["ha-state file01 stopped", "ha-state file01 disabled",
                                  "vm-power file01 off"])
def test_stopping_a_running_vm_leaves_an_event(line: str) -> None:
    engine = make_engine()
    assert refusal(engine, 60, line) is None
    stopped = events(engine, "vm_stopped", lambda e: e.subject == "file01")
    assert len(stopped) == 1 and "powered off" in stopped[0].message


def test_maintenance_of_a_failed_host_is_still_kept_for_when_it_returns() -> None:
    engine = make_engine()
    engine.submit_at(60, parse("fail-node C"))
    engine.run_until(100)
    assert refusal(engine, 100, "maintenance C on") is None
    assert engine.cluster.nodes["C"].maintenance
