"""The one-pass ways of loading a big cluster give what the plain ways give, on randomised
clusters (fixed seeds): `Cluster.add_vms` against `add_vm` one VM after another (charges,
change counters across a cut of the change log), `checks.check_vms` against the full checks of
every entry (the same VMs pass, the same first problem), the history's first record against
what runs where, and `placement.broken_rules` against a look at every VM."""

from __future__ import annotations

import copy
import itertools
import random
from dataclasses import replace

import pytest
from test_first_placement import random_cluster

from console.formats.cluster.checks import (
    HostIndex,
    apply_image,
    assign_trace,
    check_vm,
    check_vms,
)
from console.formats.cluster.schema import VmEntry
from console.formats.toml import Problem, at
from console.model import placement
from console.model.cluster import CHANGE_LOG_MAX, Cluster
from console.model.engine import Engine
from console.model.entities import (
    CONSUMING_STATES,
    HaGroup,
    Node,
    Rule,
    Service,
    Vm,
    VmState,
    Workload,
)
from console.model.first_placement import place_pending
from console.model.history import RUNNING_STATES

GUESTS = ("windows2008r2", "rhel", "ubuntu", "solaris", "windows2012", "amiga")


def small_cluster(rng: random.Random) -> Cluster:
    """A few hosts of mixed kinds and states, and two HA groups."""
    cluster = Cluster(name="small")
    for i in range(12):
        cluster.add_node(Node(f"n{i:02d}", rng.choice(("esxi", "hyperv", "kvm")),
                              cpus=rng.choice((1, 2)), memory_gb=rng.choice((16.0, 64.0))))
    for node in rng.sample(list(cluster.nodes.values()), 3):
        node.powered, node.maintenance = rng.choice(((False, False), (True, True)))
    names = list(cluster.nodes)
    for g in range(2):
        cluster.groups[f"g{g}"] = HaGroup(f"g{g}", dict.fromkeys(rng.sample(names, 3), 1),
                                          restricted=g == 0)
    return cluster


def random_vms(rng: random.Random, cluster: Cluster, count: int, prefix: str) -> list[Vm]:
    """VMs with and without hosts (some unknown), of every state, some migrating, some with
    anti-affinity, groups (some unknown) or a trace workload."""
    names = [*cluster.nodes, "nowhere"]
    vms = []
    for k in range(count):
        vm = Vm(f"{prefix}{k:04d}", rng.choice((None, *names)), vcpus=rng.choice((1, 2, 64)),
                memory_gb=rng.choice((0.5, 1.0, 3.0, 900.0)), guest_os=rng.choice(GUESTS),
                group=rng.choice(("",) * 8 + ("g0", "g1", "gx")),
                state=rng.choice((VmState.RUNNING,) * 4 + (VmState.STOPPED,)),
                workload=Workload(profile=rng.choice(("steady",) * 9 + ("trace",))))
        if rng.random() < 0.05:
            vm.anti_affinity = (rng.choice((f"{prefix}0000", vm.name, "unknown")),)
        vms.append(vm)
    return vms


def registry(cluster: Cluster) -> tuple[object, ...]:
    return (list(cluster.vms), dict(cluster.vm_hypervisor), cluster.anti_affine,
            list(cluster.pending),
            {name: (sorted(node.vms), node.used_vcpus, node.used_memory_gb)
             for name, node in cluster.nodes.items()},
            dict(cluster.changes), list(cluster.change_log), cluster.change_base,
            set(cluster.recharged))


@pytest.mark.parametrize("seed", range(4))
def test_adding_vms_at_once_is_adding_them_one_by_one(seed: int) -> None:
    rng = random.Random(seed)
    cluster = small_cluster(rng)
    known = list(cluster.nodes)
    for node in cluster.nodes.values():
        node.memory_gb, node.cores_per_cpu = 1e6, 1000
    first = random_vms(rng, cluster, rng.randrange(0, 3000), "a")
    second = random_vms(rng, cluster, 5000, "b")  # past a cut of the change log
    for vm in first + second:
        if vm.host not in known:
            vm.host = None
        if vm.host is not None and rng.random() < 0.1:
            vm.target = rng.choice(known)
    one_by_one = copy.deepcopy(cluster)
    for batch in (first, second):
        cluster.add_vms(batch)
        for vm in map(copy.copy, batch):
            one_by_one.add_vm(vm, one_by_one.nodes[vm.host].hypervisor if vm.host else None)
    assert registry(cluster) == registry(one_by_one)
    assert cluster.change_base > 0 and len(cluster.change_log) <= CHANGE_LOG_MAX


def full_checks(entries: list[VmEntry], vms: dict[str, Vm], cluster: Cluster,
                traces: itertools.cycle) -> None:
    """The plain statement: every entry through the full checks."""
    hosts = HostIndex(cluster)
    for entry in entries:
        with at(entry.path):
            apply_image(entry, cluster)
            check_vm(entry.vm, vms, cluster, hosts)
            assign_trace(entry.vm, cluster, traces)


def outcome(check, entries: list[VmEntry], cluster: Cluster) -> tuple[object, ...]:
    vms = {entry.vm.name: entry.vm for entry in entries}
    try:
        check(entries, vms, cluster, itertools.cycle(sorted(cluster.traces)))
    except Problem as problem:
        return problem.key, problem.message
    return ("passed", [(entry.vm.workload.trace, entry.vm.guest_os) for entry in entries])


@pytest.mark.parametrize("seed", range(6))
def test_checking_vms_in_one_pass_is_checking_each_in_full(seed: int) -> None:
    rng = random.Random(seed)
    cluster = small_cluster(rng)
    cluster.traces = {"t1": (0.5,), "t2": (0.2,)} if seed % 2 else {}
    seen = set()
    for trial in range(60):
        vms = random_vms(rng, cluster, rng.choice((1, 3, 20)), f"t{trial}-")
        for vm in vms:  # mostly plain and sound, so that some lists pass
            if rng.random() < 0.8:
                vm.group, vm.anti_affinity = "", ()
                vm.workload = replace(vm.workload, profile="steady")
                vm.host = rng.choice((None, *cluster.nodes))
                vm.guest_os, vm.vcpus, vm.memory_gb = "rhel", 1, 1.0
        if rng.random() < 0.3:
            vms[-1].workload = replace(vms[-1].workload, trace=rng.choice(("auto", "t2", "t9")))
        entries = [VmEntry(f"vms[{k}]", vm, frozenset(), None) for k, vm in enumerate(vms)]
        fast = outcome(check_vms, copy.deepcopy(entries), cluster)
        plain = outcome(full_checks, copy.deepcopy(entries), cluster)
        assert fast == plain
        seen.add(fast[0] == "passed")
    assert seen == {True, False}


@pytest.mark.parametrize("seed", range(4))
def test_the_first_history_record_is_what_runs_where(seed: int) -> None:
    rng = random.Random(seed)
    cluster = random_cluster(rng, hosts=30, vms=300)
    place_pending(cluster)
    placed = [vm for vm in cluster.vms.values() if vm.host is not None]
    for vm in rng.sample(placed, 20):
        cluster.set_state(vm, rng.choice((VmState.STOPPED, VmState.MIGRATING,
                                          VmState.RESTARTING)))
    history = Engine(cluster).history
    running = {vm.name: vm.host for vm in cluster.vms.values() if vm.state in RUNNING_STATES}
    residents = {name: [(0, tuple(sorted(n for n in node.vms if n in running)))]
                 for name, node in cluster.nodes.items()
                 if any(n in running for n in node.vms)}
    assert {name: records for name, records in history._residents.items() if records} == \
        residents
    assert history._start == running and history._hosts == {}
    assert history._first["vm"] == dict.fromkeys(cluster.vms, 0)


def broken_by_a_look_at_every_vm(cluster: Cluster) -> list[placement.BrokenRule]:
    """`broken_rules` as it was written before it looked only at the VMs named."""
    where = {name: vm.host for name, vm in cluster.vms.items()
             if vm.state in CONSUMING_STATES and vm.host is not None}
    found = [placement._rule_breach(rule, where) for rule in cluster.rules
             if rule.strength == "must"]
    for vm in cluster.vms.values():
        if vm.anti_affinity and vm.name in where:
            together = [o for o in vm.anti_affinity if where.get(o) == where[vm.name]]
            if together:
                found.append(placement.BrokenRule(
                    vm.name, vm.name, f"{vm.name}'s anti-affinity is broken: it runs on "
                                      f"{where[vm.name]} with {', '.join(together)}"))
    for service in cluster.services.values():
        shared = placement._sharing(service.members, where)
        if shared:
            found.append(placement.BrokenRule(
                service.name, placement._first_sharing(service.members, where),
                f"service {service.name}'s members must be on different hosts: {shared}"))
    return [breach for breach in found if breach is not None]


@pytest.mark.parametrize("seed", range(6))
def test_broken_rules_are_found_among_the_vms_named(seed: int) -> None:
    rng = random.Random(seed)
    cluster = Cluster(name="broken")
    for i in range(5):
        cluster.add_node(Node(f"h{i}", "esxi", memory_gb=1e3))
    vms = [Vm(f"v{k:02d}", f"h{rng.randrange(5)}",
              state=rng.choice((VmState.RUNNING, VmState.RUNNING, VmState.STOPPED)))
           for k in range(60)]
    names = [vm.name for vm in vms]
    for vm in vms:
        if rng.random() < 0.3:
            vm.anti_affinity = tuple(rng.sample(names, 2))
        cluster.add_vm(vm, "esxi")
    for r in range(10):
        kind = rng.choice(("affinity", "anti-affinity", "vm-host", "vm-not-host"))
        cluster.add_rule(Rule(f"r{r}", kind, rng.choice(("must", "should")),
                              tuple(rng.sample(names, 3)), ("h0", "h1")))
    for s in range(3):
        cluster.add_service(Service(f"s{s}", "sql", tuple(rng.sample(names, 3))))
    found = placement.broken_rules(cluster)
    assert found == broken_by_a_look_at_every_vm(cluster) and found
