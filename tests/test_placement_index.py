"""Placement through the host order (console.model.host_order) gives exactly the answer of
weighing every host: `best_host` against `best_host_by_scan`, and `registration_host` against
`registration_host_by_scan`, on randomised clusters (fixed seeds) with HA groups, `should` and
`must` rules, anti-affinity, dedicated failover hosts, excluded hosts, hosts that are down or cut
off, and mixed hypervisors, while VMs are placed, stopped and moved between the questions."""

from __future__ import annotations

import random

import pytest

from console.model import placement
from console.model.cluster import Cluster
from console.model.entities import HaGroup, Node, NodeState, Rule, Vm, VmState
from console.model.settings import HaSettings, Settings

GUESTS = ("windows2008r2", "rhel", "ubuntu", "solaris", "windows2012")
KINDS = ("esxi", "hyperv", "kvm")


def random_cluster(rng: random.Random, hosts: int, vms: int) -> Cluster:
    """A cluster of `hosts` hosts of mixed kinds and sizes, `vms` VMs (some placed by hand so
    hosts start unevenly loaded), groups, rules and failover hosts."""
    failover = tuple(f"n{i:02d}" for i in rng.sample(range(hosts), 2))
    ha = HaSettings(admission_policy="failover_hosts", failover_hosts=failover,
                    memory_overcommit=rng.choice((1.0, 1.5)))
    cluster = Cluster(name="random", settings=Settings(ha=ha))
    for i in range(hosts):
        state = rng.choices((NodeState.ONLINE, NodeState.FAILED, NodeState.MAINTENANCE),
                            (8, 1, 1))[0]
        node = Node(f"n{i:02d}", rng.choice(KINDS), cpus=rng.choice((1, 2)),
                    cores_per_cpu=rng.choice((2, 4)), memory_gb=rng.choice((16.0, 24.0, 32.0)),
                    state=state, quorum_lost=rng.random() < 0.05, heard=rng.random() > 0.05)
        cluster.add_node(node)
    names = list(cluster.nodes)
    for g in range(3):
        members = rng.sample(names, 4)
        cluster.groups[f"g{g}"] = HaGroup(f"g{g}", {m: rng.choice((1, 2)) for m in members},
                                          restricted=g == 0)
    for k in range(vms):
        vm = Vm(f"v{k:03d}", None, vcpus=rng.choice((1, 2, 4)),
                memory_gb=rng.choice((0.5, 1.0, 2.0, 3.0, 4.0)), guest_os=rng.choice(GUESTS),
                group=rng.choice(("", "", "", "g0", "g1", "g2")))
        if k % 7 == 3 and k > 0:
            vm.anti_affinity = (f"v{k - 1:03d}",)
        cluster.add_vm(vm, None)
    vm_names = list(cluster.vms)
    for r in range(12):
        kind = rng.choice(("affinity", "anti-affinity", "vm-host", "vm-not-host"))
        strength = rng.choice(("must", "should"))
        hosts_named = tuple(rng.sample(names, 3)) if kind in ("vm-host", "vm-not-host") else ()
        cluster.add_rule(Rule(f"r{r}", kind, strength, tuple(rng.sample(vm_names, 3)),
                              hosts_named))
    return cluster


def place_some(cluster: Cluster, rng: random.Random, share: float) -> None:
    """Place about `share` of the pending VMs where the scan says (rng picks which)."""
    for name in list(cluster.pending):
        vm = cluster.vms[name]
        if rng.random() > share:
            continue
        host = placement.best_host_by_scan(cluster, vm)
        if host is not None:
            cluster.vm_hypervisor[vm.name] = host.hypervisor
            cluster.set_host(vm, host.name)


def churn(cluster: Cluster, rng: random.Random) -> None:
    """Stop some VMs, start others, move one's migration target: hosts' charges change."""
    for vm in rng.sample(list(cluster.vms.values()), 10):
        if vm.host is None:
            continue
        roll = rng.random()
        if roll < 0.4:
            cluster.set_state(vm, VmState.STOPPED if vm.state is VmState.RUNNING
                              else VmState.RUNNING)
        elif roll < 0.6:
            target = rng.choice(list(cluster.nodes))
            cluster.set_target(vm, None if vm.target else target)
        elif roll < 0.7:
            cluster.set_host(vm, None)


def ask_everything(cluster: Cluster, rng: random.Random) -> int:
    """Compare the indexed and the scanning answers for every VM, with and without an HA
    restart and excluded hosts; the number of questions asked."""
    asked = 0
    names = list(cluster.nodes)
    for vm in cluster.vms.values():
        for restart in (False, True):
            for exclude in ((), tuple(rng.sample(names, 3))):
                fast = placement.best_host(cluster, vm, exclude, restart)
                slow = placement.best_host_by_scan(cluster, vm, exclude, restart)
                assert fast is slow, (vm.name, restart, exclude)
                asked += 1
        for live_only in (True, False):
            exclude = tuple(rng.sample(names, 2))
            fast = placement.registration_host(cluster, vm, exclude, live_only=live_only)
            slow = placement.registration_host_by_scan(cluster, vm, exclude, live_only=live_only)
            assert fast is slow, (vm.name, live_only, exclude)
    return asked


@pytest.mark.parametrize("seed", range(8))
def test_indexed_placement_is_the_scan(seed: int) -> None:
    rng = random.Random(seed)
    cluster = random_cluster(rng, hosts=24, vms=120)
    asked = ask_everything(cluster, rng)
    for share in (0.3, 0.6, 1.0):
        place_some(cluster, rng, share)
        asked += ask_everything(cluster, rng)
        churn(cluster, rng)
        asked += ask_everything(cluster, rng)
    assert asked > 1000
    assert any(vm.host for vm in cluster.vms.values())


def test_a_charge_behind_the_clusters_back_is_caught() -> None:
    """A host whose used memory changed without `Cluster._charge` (which notes it for the
    index) is found out when the walk reaches it, and the order is made afresh."""
    rng = random.Random(99)
    cluster = random_cluster(rng, hosts=12, vms=30)
    place_some(cluster, rng, 1.0)
    vm = next(iter(cluster.vms.values()))
    placement.best_host(cluster, vm)
    for node in cluster.nodes.values():
        node.used_memory_gb = 0.0
    assert placement.best_host(cluster, vm) is placement.best_host_by_scan(cluster, vm)
