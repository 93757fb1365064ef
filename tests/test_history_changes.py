"""The history recorder looks only at nodes whose change counter moved (`Cluster.changes`); at
every sample its records equal the plain computation over every node (the VMs running there at
that instant), on randomised clusters and fault sequences with fixed seeds."""

from __future__ import annotations

import random

import pytest

from console.formats.cluster import parse_cluster
from console.model.commands import parse
from console.model.engine import Engine
from console.model.history import RUNNING_STATES, SAMPLE_S, _at


def _engine(rng: random.Random) -> Engine:
    hosts = rng.randint(3, 6)
    text = ('[cluster]\nname = "h"\n\n[quorum]\nisolation_response = "power_off"\n\n'
            "[heartbeat]\nfailed_after_missed = 5\n\n[ha]\nfence_s = 3\n\n"
            f'[[nodes]]\nname = "n"\ncount = {hosts}\nhypervisor = "esxi"\nmemory_gb = 64\n'
            "boot_s = 20\n\n"
            f'[[vms]]\nname = "v"\ncount = {hosts * 3}\nguest_os = "rhel"\nmemory_gb = 2\n')
    return Engine(parse_cluster(text, "h.toml"), seed=rng.randint(0, 99))


def _plain(engine: Engine) -> dict[str, tuple[str, ...]]:
    """Node -> the VMs running there now, by name, over every node and VM."""
    cluster = engine.cluster
    return {name: tuple(sorted(vm.name for vm in cluster.vms.values()
                               if vm.host == name and vm.state in RUNNING_STATES))
            for name in cluster.nodes}


@pytest.mark.parametrize("seed", range(4))
def test_recorded_residents_equal_the_plain_computation_at_every_sample(seed):
    rng = random.Random(seed)
    engine = _engine(rng)
    history = engine.history
    compared = 0
    verbs = ["fail-node", "power-on", "isolate", "reconnect", "migrate", "vm-power"]
    for k in range(1, 60):
        if rng.random() < 0.5:
            verb = rng.choice(verbs)
            if verb == "migrate":
                line = f"migrate {rng.choice(sorted(engine.cluster.vms))}"
            elif verb == "vm-power":
                vm = rng.choice(sorted(engine.cluster.vms))
                line = f"vm-power {vm} {rng.choice(['on', 'off'])}"
            else:
                line = f"{verb} {rng.choice(sorted(engine.cluster.nodes))}"
            engine.submit_at(k * SAMPLE_S - rng.choice([1.0, 5.0, 9.5]), parse(line))
        engine.run_before(k * SAMPLE_S)
        before = _plain(engine)
        engine.run_until(k * SAMPLE_S)
        assert history.samples == k
        if _plain(engine) != before:  # something changed at the sample's own instant
            continue
        compared += 1
        for name, running in before.items():
            assert (_at(history._residents.get(name), k) or ()) == running, (name, k)
    assert compared > 40
