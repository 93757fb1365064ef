"""Placing the pending queue at load (`first_placement.place_pending`) puts every VM where
placing them one after another with `best_host_by_scan` (every host weighed) puts it, on
randomised clusters (fixed seeds): mixed hypervisors and sizes, hosts down, cut off, in
maintenance or dedicated to failover, hosts short of vCPUs but not of memory, HA groups,
`must` and `should` rules, anti-affinity, VMs already placed and stopped ones, and queues that
run out of room part way."""

from __future__ import annotations

import copy
import random

import pytest

from console.model import cluster as cluster_module
from console.model import placement
from console.model.cluster import Cluster
from console.model.entities import HaGroup, Node, NodeState, Rule, Vm, VmState
from console.model.first_placement import place_pending
from console.model.settings import HaSettings, Settings

GUESTS = ("windows2008r2", "rhel", "ubuntu", "solaris", "windows2012")
KINDS = ("esxi", "hyperv", "kvm")


def random_cluster(rng: random.Random, hosts: int, vms: int) -> Cluster:
    """`hosts` hosts, `vms` VMs of which about a third are placed by hand (the rest pending, in
    the order added), groups, rules and dedicated failover hosts."""
    failover = tuple(f"n{i:03d}" for i in rng.sample(range(hosts), 2))
    ha = HaSettings(admission_policy="failover_hosts", failover_hosts=failover,
                    cpu_overcommit=rng.choice((1.0, 2.0, 4.0)),
                    memory_overcommit=rng.choice((1.0, 1.5)))
    cluster = Cluster(name="random", settings=Settings(ha=ha))
    kinds = KINDS[:rng.choice((1, 2, 3))]
    for i in range(hosts):
        state = rng.choices((NodeState.ONLINE, NodeState.FAILED, NodeState.MAINTENANCE),
                            (12, 1, 1))[0]
        cluster.add_node(Node(f"n{i:03d}", rng.choice(kinds), cpus=rng.choice((1, 2)),
                              cores_per_cpu=rng.choice((1, 2, 4)),
                              memory_gb=rng.choice((16.0, 24.0, 32.0, 64.0)), state=state,
                              quorum_lost=rng.random() < 0.03, heard=rng.random() > 0.03))
    names = list(cluster.nodes)
    for g in range(3):
        members = rng.sample(names, 4)
        cluster.groups[f"g{g}"] = HaGroup(f"g{g}", {m: rng.choice((1, 2)) for m in members},
                                          restricted=g == 0)
    for k in range(vms):
        vm = Vm(f"v{k:04d}", None, vcpus=rng.choice((1, 1, 2, 4)),
                memory_gb=rng.choice((0.5, 1.0, 2.0, 4.0, 8.0)), guest_os=rng.choice(GUESTS),
                group=rng.choice(("",) * 12 + ("g0", "g1", "g2")),
                state=VmState.STOPPED if rng.random() < 0.05 else VmState.RUNNING)
        if k % 23 == 5:
            vm.anti_affinity = (f"v{k - 1:04d}",)
        host = cluster.nodes[rng.choice(names)] if rng.random() < 0.3 else None
        if host is not None and placement.allowed(cluster, vm, host):
            vm.host = host.name
            cluster.add_vm(vm, host.hypervisor)
        else:
            cluster.add_vm(vm, None)
    vm_names = list(cluster.vms)
    for r in range(rng.randrange(4, 16)):
        kind = rng.choice(("affinity", "anti-affinity", "vm-host", "vm-not-host"))
        hosts_named = tuple(rng.sample(names, 3)) if kind in ("vm-host", "vm-not-host") else ()
        cluster.add_rule(Rule(f"r{r}", kind, rng.choice(("must", "should")),
                              tuple(rng.sample(vm_names, rng.choice((2, 3)))), hosts_named))
    return cluster


def place_one_by_one(cluster: Cluster) -> Vm | None:
    """The plain statement: each pending VM in turn on `best_host_by_scan`."""
    for name in list(cluster.pending):
        vm = cluster.vms[name]
        host = placement.best_host_by_scan(cluster, vm)
        if host is None:
            return vm
        cluster.vm_hypervisor[vm.name] = host.hypervisor
        cluster.set_host(vm, host.name)
    return None


def state(cluster: Cluster) -> tuple[object, ...]:
    """Everything placement changes: hosts, queue, disk formats, charges and their counters."""
    return ({name: (vm.host, vm.state) for name, vm in cluster.vms.items()},
            list(cluster.pending), dict(cluster.vm_hypervisor),
            {name: (sorted(node.vms), node.used_vcpus, node.used_memory_gb)
             for name, node in cluster.nodes.items()},
            dict(cluster.changes), list(cluster.change_log), cluster.change_base,
            set(cluster.recharged))


@pytest.mark.parametrize("seed", range(12))
def test_placing_the_queue_is_placing_one_by_one(seed: int, monkeypatch) -> None:
    if seed % 3 == 0:  # the change log cut part way (its charges are counted at the end)
        monkeypatch.setattr(cluster_module, "CHANGE_LOG_MAX", 37)
    rng = random.Random(seed)
    cluster = random_cluster(rng, hosts=rng.choice((8, 30, 120)), vms=rng.choice((60, 400)))
    plain = copy.deepcopy(cluster)
    stuck = place_pending(cluster)
    plain_stuck = place_one_by_one(plain)
    assert (stuck and stuck.name) == (plain_stuck and plain_stuck.name)
    assert state(cluster) == state(plain)
    for vm in cluster.vms.values():  # and the host order agrees with the scan afterwards
        assert placement.best_host(cluster, vm) is placement.best_host_by_scan(cluster, vm)


def test_some_seeds_run_out_of_room_and_some_place_everything() -> None:
    """The comparison covers both endings: a queue placed in full and one stuck part way."""
    endings = set()
    for seed in range(12):
        rng = random.Random(seed)
        cluster = random_cluster(rng, hosts=rng.choice((8, 30, 120)), vms=rng.choice((60, 400)))
        endings.add(place_pending(cluster) is None)
    assert endings == {True, False}
