"""The cached quorum (`Membership._quorum`) never goes stale: after every change of each of its
inputs (power, boot, link, a vote, a host joining, the quorum settings) it equals the quorum
worked out from scratch (`Membership._computed_quorum`), on randomised clusters and fault
sequences with fixed seeds."""

from __future__ import annotations

import random

import pytest

from console.formats.cluster import parse_cluster
from console.model.commands import parse
from console.model.engine import Engine

#: Quorum settings per case: vSphere HA (no votes), node majority with a dynamic witness,
#: corosync (static votes, no tie breaker) with a watchdog.
QUORUMS = {
    "vsphere": 'isolation_response = "power_off"',
    "majority": "voting = true\nwitness = true\ndynamic_witness = true",
    "corosync": "voting = true\ndynamic_quorum = false\ntie_breaker = false\nwatchdog_s = 20",
}


def _engine(rng: random.Random, quorum: str) -> Engine:
    hosts = rng.randint(3, 7)
    text = (f'[cluster]\nname = "q"\n\n[quorum]\n{quorum}\n\n[heartbeat]\n'
            "failed_after_missed = 5\n\n[ha]\nfence_s = 3\n\n"
            f'[[nodes]]\nname = "n"\ncount = {hosts}\nhypervisor = "esxi"\nmemory_gb = 64\n'
            "boot_s = 4\n\n"
            f'[[vms]]\nname = "v"\ncount = {hosts * 2}\nguest_os = "rhel"\nmemory_gb = 2\n')
    return Engine(parse_cluster(text, "q.toml"), seed=rng.randint(0, 99))


def _assert_fresh(engine: Engine, where: str) -> None:
    membership = engine.membership
    assert membership._quorum() == membership._computed_quorum(), where
    assert membership.has_quorum() == (membership._computed_quorum().chosen is not None)


def _random_change(engine: Engine, rng: random.Random, added: list[str]) -> str:
    """Submit one random change of the quorum's inputs; the command line, or what was set
    (prefixed `refused` where the model refused the command)."""
    nodes = sorted(engine.cluster.nodes)
    kind = rng.choice(["fail-node", "power-off", "power-on", "power-on", "isolate",
                       "reconnect", "reconnect", "add-node", "settings"])
    if kind == "settings":
        quorum = engine.cluster.settings.quorum
        name = rng.choice(["voting", "witness", "dynamic_witness", "tie_breaker"])
        setattr(quorum, name, not getattr(quorum, name))  # changed in place, as a test may
        return f"settings {name}"
    if kind == "add-node":
        added.append(f"x{len(added) + 1}")
        line = f"add-node {added[-1]}"
    else:  # mostly a host the command applies to, sometimes any (a refusal changes nothing)
        fitting = {"power-on": [n for n in nodes if not engine.cluster.nodes[n].powered],
                   "reconnect": [n for n in nodes if not engine.cluster.nodes[n].connected]}
        line = f"{kind} {rng.choice(fitting.get(kind) or nodes)}"
    return line if engine.submit(parse(line)).accepted else f"refused {line}"


@pytest.mark.parametrize("profile", sorted(QUORUMS))
@pytest.mark.parametrize("seed", range(4))
def test_cached_quorum_equals_a_fresh_computation_after_every_change(profile, seed):
    rng = random.Random(f"{profile}-{seed}")
    engine = _engine(rng, QUORUMS[profile])
    added: list[str] = []
    changed = set()
    _assert_fresh(engine, "at start")
    for _ in range(40):
        line = _random_change(engine, rng, added)
        changed.add(line.split()[0])
        _assert_fresh(engine, f"after {line} at {engine.now:g} s")
        for _ in range(rng.choice([1, 3, 8])):
            engine.advance(1.0)
            _assert_fresh(engine, f"at {engine.now:g} s, after {line}")
    assert {"power-on", "isolate", "reconnect"} <= changed  # every input did change
    assert changed & {"fail-node", "power-off"}


def test_each_input_of_the_quorum_invalidates_it():
    """One change of each input in turn, on a five-host voting cluster: the cached answer
    follows each at once."""
    rng = random.Random(0)
    engine = _engine(rng, QUORUMS["majority"])
    membership, world = engine.membership, engine.world
    first, second, *_ = engine.cluster.nodes.values()
    before = membership._quorum()
    engine.submit(parse(f"isolate {first.name}"))  # a link
    _assert_fresh(engine, "link cut")
    assert membership._quorum() != before
    engine.submit(parse(f"fail-node {second.name}"))  # power
    _assert_fresh(engine, "power cut")
    engine.advance(30.0)  # detection: dynamic quorum takes the failed host's vote
    assert not second.has_vote
    _assert_fresh(engine, "vote taken")
    engine.submit(parse(f"power-on {second.name}"))  # a boot
    assert world.booting(second)
    _assert_fresh(engine, "booting")
    engine.advance(10.0)  # booted and rejoined: its vote is back
    assert not world.booting(second) and second.has_vote
    _assert_fresh(engine, "rejoined")
    engine.submit(parse("add-node x1"))  # a host joins the pool
    _assert_fresh(engine, "added")
    engine.cluster.settings.quorum.tie_breaker = False  # a setting, changed in place
    _assert_fresh(engine, "tie breaker off")
