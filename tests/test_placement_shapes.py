"""`placement.shape`: which VMs may share a failed host search within one pass."""

from __future__ import annotations

from cluster_helpers import make_engine

from console.model import placement


def test_vms_with_constraints_of_their_own_have_no_shape():
    cluster = make_engine("xenserver.toml").cluster
    assert placement.shape(cluster, cluster.vms["dc01"]) is None      # must anti-affinity
    assert placement.shape(cluster, cluster.vms["sql01"]) is None     # must vm-not-host
    web = [placement.shape(cluster, cluster.vms[n]) for n in ("web02", "web03")]
    assert web[0] is not None and web[0] == web[1]

