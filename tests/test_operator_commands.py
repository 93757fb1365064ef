"""The operator's commands over HA's VMs: withdrawing a restart HA holds (in every state HA owns),
HA request states, relocate and cold migration, cancelling a migration, and injected start and
migration failures (HA retries a failed start elsewhere, then gives up)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from cluster_helpers import TWO_HOSTS, events, make_engine, run_checked

from console.errors import InputError
from console.formats.cluster import parse_cluster
from console.model.commands import COMMANDS, parse
from console.model.entities import HaState, VmState
from console.paths import DEFAULT_CLUSTER

# -- withdrawing what HA holds -----------------------------------------------------------------

#: B crashes at 60 s, is declared failed at 75 s, fenced at 80 s; its VMs restart (30 s boots).
CRASH = {60: "fail-node B"}


@pytest.mark.parametrize(("at", "held"), [(70, VmState.FAILED), (90, VmState.RESTARTING)])
def test_vm_power_off_withdraws_a_restart_in_every_state_ha_holds(at: float,
                                                                    held: VmState) -> None:
    engine = make_engine()
    run_checked(engine, at, CRASH)
    vm = engine.cluster.vms["app01"]
    assert vm.state is held
    assert engine.submit(parse("vm-power app01 off")).accepted
    run_checked(engine, 900)
    assert vm.state is VmState.STOPPED and vm.ha_state is HaState.STOPPED


def test_a_pending_vm_is_withdrawn_registered_on_a_live_host_and_stays_off() -> None:
    engine = make_engine(ha__admission_control=False)
    engine.cluster.settings.ha.memory_overcommit = 0.8
    run_checked(engine, 120, CRASH)
    pending = [vm for vm in engine.cluster.vms.values() if vm.state is VmState.PENDING_RESTART]
    assert pending, "the seed at 0.8 memory overcommit leaves a VM pending"
    vm = pending[0]
    assert engine.submit(parse(f"vm-power {vm.name} off")).accepted
    assert vm.state is VmState.STOPPED and vm.host in ("A", "C")
    assert "restart is withdrawn" in events(engine, "vm_stopped")[-1].message
    engine.cluster.settings.ha.memory_overcommit = 1.0  # capacity returns
    run_checked(engine, 600, {300: "power-on B"})
    assert vm.state is VmState.STOPPED


def test_the_ha_state_command_keeps_a_vm_off_and_started_brings_it_back() -> None:
    engine = make_engine()
    vm = engine.cluster.vms["web01"]
    assert engine.submit(parse("ha-state web01 disabled")).accepted
    assert vm.state is VmState.STOPPED and vm.ha_state is HaState.DISABLED
    refused = engine.submit(parse("ha-state web01 disabled"))
    assert not refused.accepted and "already disabled" in refused.reason
    assert engine.submit(parse("ha-state web01 stopped")).accepted
    assert vm.state is VmState.STOPPED
    assert engine.submit(parse("ha-state web01 started")).accepted
    run_checked(engine, 100)
    assert vm.state is VmState.RUNNING and vm.ha_state is HaState.STARTED


def test_an_ignored_vm_runs_but_is_not_restarted_after_its_host_fails() -> None:
    engine = make_engine()
    assert engine.submit(parse("ha-state app01 ignored")).accepted
    assert engine.cluster.vms["app01"].state is VmState.RUNNING
    run_checked(engine, 400, CRASH)
    assert engine.cluster.vms["app01"].state is not VmState.RUNNING
    assert any("its HA state is ignored" in e.message for e in events(engine, "vm_not_restarted"))
    assert engine.cluster.vms["iis01"].state is VmState.RUNNING  # the others restart


def test_a_cluster_file_gives_the_initial_ha_state_and_refuses_a_contradiction() -> None:
    text = TWO_HOSTS + ('\n[[vms]]\nname = "v1"\nhost = "A"\nguest_os = "windows2008"\n'
                        'ha_state = "stopped"\n')
    vm = parse_cluster(text, "t.toml").vms["v1"]
    assert vm.state is VmState.STOPPED and vm.ha_state is HaState.STOPPED
    with pytest.raises(InputError, match=r"t.toml:18: vms\[0\].ha_state: HA state stopped does "
                                         r"not go with state running"):
        parse_cluster(text + 'state = "running"\n', "t.toml")


# -- relocate and cold migration ---------------------------------------------------------------


def test_relocate_stops_moves_and_starts_a_running_vm_with_its_boot_as_downtime() -> None:
    engine = make_engine()
    outcome = engine.submit(parse("relocate file01 A"))
    assert outcome.accepted, outcome.reason
    vm = engine.cluster.vms["file01"]
    assert (vm.host, vm.state) == ("A", VmState.RESTARTING)
    run_checked(engine, 100)
    assert (vm.host, vm.state, vm.downtime_s) == ("A", VmState.RUNNING, 30.0)


def test_relocate_and_cold_migrate_move_a_stopped_vm_which_stays_off() -> None:
    engine = make_engine()
    engine.submit(parse("vm-power mon01 off"))
    assert engine.submit(parse("cold-migrate mon01 B")).accepted
    assert engine.submit(parse("relocate mon01")).accepted
    vm = engine.cluster.vms["mon01"]
    assert vm.state is VmState.STOPPED and vm.host == "C"  # the other live host with most room
    assert [e.message for e in events(engine, "vm_moved")] == [
        "mon01 (stopped) moved from C to B", "mon01 (stopped) moved from B to C"]


@pytest.mark.parametrize(("line", "reason"), [
    ("cold-migrate mon01 A", "mon01 is running; cold migration moves a stopped VM"),
    ("relocate web01 C", "C cannot start web01: web01's anti-affinity keeps it off C (with web02)"),
    ("relocate mon01 C", "mon01 is already on C"),
    ("relocate mon01 Z", "no node named Z"),
])
def test_cold_moves_refuse_with_the_reason(line: str, reason: str) -> None:
    engine = make_engine()
    outcome = engine.submit(parse(line))
    assert not outcome.accepted and reason in outcome.reason


def test_cold_migration_keeps_a_vm_on_hosts_that_run_its_disks() -> None:
    engine = make_engine("datacenter.toml")
    vm = next(v for v in engine.cluster.vms.values() if v.host is not None
              and engine.cluster.nodes[v.host].hypervisor == "esxi")
    other = next(n for n in engine.cluster.nodes.values() if n.hypervisor == "hyperv")
    engine.submit(parse(f"vm-power {vm.name} off"))
    outcome = engine.submit(parse(f"cold-migrate {vm.name} {other.name}"))
    assert not outcome.accepted
    assert outcome.reason == f"{vm.name}'s disks are esxi; {other.name} runs hyperv"


# -- cancelling a migration --------------------------------------------------------------------


def test_cancel_migration_leaves_the_vm_running_on_its_source_and_says_so() -> None:
    engine = make_engine()
    engine.submit(parse("migrate mon01 A"))
    assert engine.submit(parse("cancel-migration mon01")).accepted
    vm = engine.cluster.vms["mon01"]
    assert (vm.state, vm.host, vm.target) == (VmState.RUNNING, "C", None)
    assert events(engine, "migration_cancelled")[-1].message == (
        "mon01 C → A cancelled by the operator; mon01 stays on C")
    run_checked(engine, 60)
    assert vm.host == "C" and engine.migrations.completed == 0
    refused = engine.submit(parse("cancel-migration mon01"))
    assert not refused.accepted and refused.reason == "mon01 is not migrating"


def test_an_evacuation_for_maintenance_is_not_cancelled() -> None:
    engine = make_engine()
    engine.submit(parse("maintenance C on --force"))
    moving = next(iter(engine.migrations.active))
    refused = engine.submit(parse(f"cancel-migration {moving}"))
    assert not refused.accepted and "enters maintenance" in refused.reason


# -- injected failures -------------------------------------------------------------------------


def test_an_injected_migration_failure_leaves_the_vm_on_its_source() -> None:
    engine = make_engine()
    engine.submit(parse("fail-migrations A"))
    engine.submit(parse("migrate mon01 A"))
    run_checked(engine, 60)
    vm = engine.cluster.vms["mon01"]
    assert (vm.state, vm.host) == (VmState.RUNNING, "C")
    assert "injected migration failure" in events(engine, "migration_failed")[-1].message
    engine.submit(parse("migrate mon01 A"))  # the one armed failure is used up
    run_checked(engine, 120)
    assert vm.host == "A"


def test_a_failed_start_is_retried_on_another_host() -> None:
    engine = make_engine()
    engine.submit(parse("vm-power web01 off"))
    engine.submit(parse("fail-starts A"))
    engine.submit(parse("vm-power web01 on"))
    run_checked(engine, 100)
    assert [e.message for e in events(engine, "vm_start_failed")] == [
        "web01 did not start on A: power-on failed on A (injected start failure) "
        "(attempt 1 of 6)"]
    vm = engine.cluster.vms["web01"]
    assert (vm.state, vm.host) == (VmState.RUNNING, "B")


def test_a_failed_restart_is_retried_where_the_rules_allow_even_the_same_host() -> None:
    engine = make_engine()
    engine.submit(parse("fail-starts C"))
    run_checked(engine, 200, CRASH)
    failed = events(engine, "vm_start_failed")
    assert [e.subject for e in failed] == ["exch02"]  # anti-affine with exch01 on A: C only
    assert all(v.state is VmState.RUNNING for v in engine.cluster.vms.values())


@pytest.mark.parametrize(("profile", "attempts"), [("vsphere", 6), ("pve", 2)])
def test_ha_gives_up_after_the_profiles_retries(profile: str, attempts: int) -> None:
    engine = make_engine(ha__restart_retries=5 if profile == "vsphere" else 1)
    engine.submit(parse("fail-starts A 20"))
    engine.submit(parse("fail-starts C 20"))
    run_checked(engine, 300, CRASH)
    for name in ("app01", "iis01"):
        tries = [e for e in events(engine, "vm_start_failed") if e.subject == name]
        assert len(tries) == attempts - 1
        assert engine.cluster.vms[name].state is VmState.STOPPED
    gave_up = events(engine, "vm_not_restarted")
    assert any(f"{attempts} starts failed" in e.message for e in gave_up)


def test_a_failed_deploy_leaves_the_new_vm_off_on_its_host() -> None:
    engine = make_engine("xenserver.toml")
    node = next(iter(engine.cluster.nodes))
    base = next(n for n, i in engine.cluster.images.items() if i.kind == "base")
    engine.submit(parse(f"fail-starts {node}"))
    assert engine.submit(parse(f"deploy new1 {base} on {node}")).accepted
    run_checked(engine, 900)
    vm = engine.cluster.vms["new1"]
    assert (vm.state, vm.host, vm.ha_state) == (VmState.STOPPED, node, HaState.STOPPED)


@pytest.mark.parametrize("line", ["fail-starts Z", "fail-migrations A 1001"])
def test_injection_refuses_unknown_nodes_and_counts_out_of_range(line: str) -> None:
    engine = make_engine()
    try:
        outcome = engine.submit(parse(line))
    except ValueError as error:  # the grammar itself refuses a count out of range
        assert "COUNT must be a whole number from 1 to 1000" in str(error)
        return
    assert not outcome.accepted and outcome.reason == "no node named Z"


# -- the language and determinism --------------------------------------------------------------

NEW = ["ha-state web01 disabled", "relocate file01 A", "cold-migrate mon01 B",
       "cancel-migration mon01", "fail-starts C 2", "fail-migrations A 3"]


@pytest.mark.parametrize("line", NEW)
def test_each_new_command_reads_back_from_its_text(line: str) -> None:
    command = parse(line)
    assert command.text() == line and parse(command.text()) == command
    assert type(command).verb in COMMANDS


def test_the_new_commands_give_byte_identical_output_across_processes() -> None:
    steps = ["10 fail-starts C", "12 fail-migrations A", "20 migrate mon01 A",
             "40 migrate app01 C", "41 cancel-migration app01", "50 relocate file01 A",
             "60 fail-node B", "200 ha-state app01 disabled", "210 vm-power mon01 off",
             "220 cold-migrate mon01 A", "230 ha-state mon01 ignored"]
    args = [sys.executable, "-m", "console", "simulate", str(DEFAULT_CLUSTER), "--for", "600",
            "--json", *[w for step in steps for w in ("--do", step)]]
    outputs = {subprocess.run(args, env={**os.environ, "PYTHONHASHSEED": seed},
                              capture_output=True, check=True).stdout for seed in ("3", "4")}
    assert len(outputs) == 1
    out = outputs.pop()
    for kind in (b"vm_start_failed", b"migration_failed", b"migration_cancelled", b"vm_moved"):
        assert kind in out
