"""The header's alerts about broken `must` rules (console.model.views._rule_alerts): whether any
VM has an anti-affinity list is asked of the cluster's `anti_affine` pairs, not of every VM (the
header asks each tick the log grew: 40,000 VMs scanned a second during a churn); the alerts are
the same as a look at every VM gives, with VMs added and removed."""

from __future__ import annotations

import random

import pytest

from console.model import placement, views
from console.model.cluster import Cluster
from console.model.engine import Engine
from console.model.entities import Node, Vm


def alerts_by_a_look_at_every_vm(cluster: Cluster) -> list[str]:
    if not any(vm.anti_affinity for vm in cluster.vms.values()):
        return []  # no service, no rule: nothing else to break
    return [breach.message for breach in placement.broken_rules(cluster)]


@pytest.mark.parametrize("seed", range(8))
def test_rule_alerts_look_for_anti_affinity_in_the_pairs(seed: int) -> None:
    rng = random.Random(seed)
    cluster = Cluster(name="apart")
    for i in range(3):
        cluster.add_node(Node(f"h{i}", "esxi", memory_gb=1e3))
    vms = [Vm(f"v{k:02d}", f"h{rng.randrange(3)}") for k in range(20)]
    for vm in vms:
        if rng.random() < 0.15:
            vm.anti_affinity = (rng.choice(vms).name,)
        cluster.add_vm(vm, "esxi")
    engine = Engine(cluster, seed)
    assert [a.text for a in views._rule_alerts(engine)] == alerts_by_a_look_at_every_vm(cluster)
    for vm in rng.sample(vms, 12):
        cluster.remove_vm(vm)
        found = [alert.text for alert in views._rule_alerts(engine)]
        assert found == alerts_by_a_look_at_every_vm(cluster)
