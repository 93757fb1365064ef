"""The engine's caches equal the plain computation after every change of each input they read:
maintenance's failover check (`MaintenanceMode.failover_shortfall`), the balancer's running
standard deviation, and the balancer's figures freed a slice a second once no longer used."""

from __future__ import annotations

import ast
import json
import math
import random
from dataclasses import replace
from pathlib import Path

import pytest
from test_balancer_slices import CHURN, random_cluster

from console.model import balancer as balancing
from console.model import failover, placement
from console.model.cluster import Cluster
from console.model.commands import parse
from console.model.engine import Engine
from console.model.entities import CONSUMING_STATES, Node, NodeState, Vm, VmState


def _tight_engine(seed: int) -> Engine:
    """A small cluster near its failover level, so the failover check finds shortfalls too."""
    cluster = random_cluster(seed, hosts=8, vms=90, interval_s=0)
    cluster.settings.ha.cpu_overcommit = 2.0
    return Engine(cluster, seed=seed)


def _change_something(engine: Engine, rng: random.Random) -> str:
    """One random change of an input of the failover check; what it was."""
    cluster = engine.cluster
    nodes = list(cluster.nodes.values())
    node = rng.choice(nodes)
    vm = rng.choice(sorted(cluster.vms.values(), key=lambda v: v.name))
    ha = cluster.settings.ha
    kind = rng.randrange(13)
    if kind == 0:
        cluster.set_condition(node, state=rng.choice((NodeState.ONLINE, NodeState.FAILED,
                                                      NodeState.MAINTENANCE)))
    elif kind == 1:
        cluster.set_condition(node, heard=not node.heard)
    elif kind == 2:
        cluster.set_condition(node, quorum_lost=not node.quorum_lost)
    elif kind == 3:
        cluster.set_state(vm, rng.choice((VmState.RUNNING, VmState.STOPPED,
                                          VmState.RESTARTING)))
    elif kind == 4:
        cluster.set_host(vm, rng.choice(nodes).name)
    elif kind == 5:
        cluster.set_target(vm, None if vm.target else rng.choice(nodes).name)
    elif kind == 6:  # in place, as a command setting one value would
        ha.host_failures_to_tolerate = rng.choice((1, 2, 3))
    elif kind == 7:
        ha.admission_policy = rng.choice(("host_failures", "percentage", "failover_hosts"))
        ha.failover_hosts = (rng.choice(nodes).name,)
    elif kind == 8:
        cluster.settings.ha = replace(ha, memory_reserve_percent=rng.choice((10.0, 25.0, 60.0)))
    elif kind == 9:
        ha.cpu_overcommit = rng.choice((1.0, 2.0, 4.0))
    elif kind == 10:  # the engine's own writes: membership, HA, maintenance, a host added
        line = rng.choice((f"fail-node {node.name}", f"power-on {node.name}",
                           f"isolate {node.name}", f"reconnect {node.name}",
                           f"maintenance {node.name} on --force",
                           f"maintenance {node.name} off", f"add-node n{len(nodes)}"))
        engine.submit(parse(line))
        engine.advance(rng.choice((1.0, 5.0, 20.0)))
        return f"change {kind}: {line}"
    elif kind == 11:  # memory in fractions of a GB: the kept sums are summed again
        cluster.add_vm(Vm(name=f"frac{len(cluster.vms)}", host=node.name, vcpus=1,
                          memory_gb=rng.choice((0.1, 0.3, 0.7))), "kvm")
    else:
        engine.advance(rng.choice((1.0, 10.0)))
    return f"change {kind}"


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_failover_check_cached_equals_the_plain_one_after_every_change(seed):
    engine = _tight_engine(seed)
    maintenance = engine.maintenance
    rng = random.Random(seed)
    names = sorted(engine.cluster.nodes)
    found = set()
    for step in range(300):
        what = _change_something(engine, rng)
        for name in rng.sample(names, 3):
            node = engine.cluster.nodes[name]
            cached = maintenance.failover_shortfall(node)
            assert cached == maintenance.plain_failover_shortfall(node), (step, what, name)
            others = [n for n in engine.cluster.nodes.values()
                      if placement.usable(n) and n.name != name]
            room, plain = maintenance._usable_others(node), failover.HostRoom(engine.cluster,
                                                                              others)
            assert (room.hosts, room.memory, room.vcpus, room.memory_ranked, room.vcpus_ranked,
                    room.used()) == (others, plain.memory, plain.vcpus, plain.memory_ranked,
                                     plain.vcpus_ranked, plain.used()), (step, what, name)
            assert room.used_totals() == tuple(map(sum, plain.used())), (step, what, name)
            n = rng.randrange(3)
            assert (room.capacity_left("memory", n), room.capacity_left("vCPUs", n)) == (
                sum(plain.memory_ranked[n:]), sum(plain.vcpus_ranked[n:])), (step, what, name)
            found.add(cached is None)
    assert found == {True, False}  # both answers were checked


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_room_kept_for_one_host_sums_as_the_plain_one_after_every_change(seed):
    # One host asked about throughout: the room is kept and brought up to date, not rebuilt.
    engine = _tight_engine(seed)
    maintenance = engine.maintenance
    rng = random.Random(seed)
    node = engine.cluster.nodes["h000"]
    kept, previous = 0, None
    for step in range(300):
        what = _change_something(engine, rng)
        room = maintenance._usable_others(node)
        kept += room is previous
        previous = room
        assert maintenance.failover_shortfall(node) == maintenance.plain_failover_shortfall(node)
        plain = failover.HostRoom(engine.cluster, room.hosts)
        assert room.used() == plain.used(), (step, what)
        assert room.used_totals() == tuple(map(sum, plain.used())), (step, what)
    assert kept > 100  # the kept room was brought up to date, many times over


@pytest.mark.parametrize(("seed", "sizes"), [(1, (1.0, 2.0, 8.0)), (2, (1.0, 8.0, 0.1, 0.3)),
                                           (3, (0.5, 2.0, 0.7))])
def test_the_kept_sums_of_use_are_the_plain_sums(seed, sizes):
    # Whole amounts are added up as they change; fractional ones make it sum again, in order.
    rng = random.Random(seed)
    cluster = Cluster(name="sums")
    for i in range(12):
        cluster.add_node(Node(name=f"h{i:02d}", hypervisor="kvm", memory_gb=256.0))
    hosts = list(cluster.nodes.values())
    for k in range(60):  # whole amounts at first: the VMs of fractional sizes start stopped
        size = rng.choice(sizes)
        cluster.add_vm(Vm(name=f"v{k:02d}", host=rng.choice(hosts).name, vcpus=rng.choice((1, 2)),
                          memory_gb=size,
                          state=VmState.RUNNING if size % 1 == 0 else VmState.STOPPED), "kvm")
    room, vms = failover.HostRoom(cluster, hosts[1:]), list(cluster.vms.values())
    for step in range(400):
        vm = rng.choice(vms)
        if rng.random() < 0.5:
            cluster.set_host(vm, rng.choice(hosts).name)
        else:
            cluster.set_state(vm, rng.choice((VmState.RUNNING, VmState.STOPPED)))
        plain = failover.HostRoom(cluster, hosts[1:]).used()
        assert room.used() == plain, step
        assert room.used_totals() == (sum(plain[0]), sum(plain[1])), step


def test_failover_check_is_not_worked_out_again_while_nothing_changes(monkeypatch):
    engine = _tight_engine(4)
    maintenance = engine.maintenance
    node = engine.cluster.nodes["h001"]
    first = maintenance.failover_shortfall(node)
    calls: list[str] = []
    plain, plain_room = failover.shortfall, failover.HostRoom
    monkeypatch.setattr(failover, "shortfall", lambda *a: calls.append("sum") or plain(*a))
    monkeypatch.setattr(failover, "HostRoom",
                        lambda *a: calls.append("capacities") or plain_room(*a))
    assert [maintenance.failover_shortfall(node) for _ in range(5)] == [first] * 5
    assert calls == []
    vm = next(v for v in engine.cluster.vms.values() if v.state in CONSUMING_STATES)
    engine.cluster.set_state(vm, VmState.STOPPED)  # a charge: summed again, same hosts
    maintenance.failover_shortfall(node)
    assert calls == ["sum"]
    engine.cluster.set_condition(engine.cluster.nodes["h002"], heard=False)  # both again
    maintenance.failover_shortfall(node)
    assert calls == ["sum", "capacities", "sum"]


def _log(seed: int) -> list[str]:
    engine = Engine(random_cluster(seed, hosts=20, vms=160, interval_s=120), seed=seed)
    for t, line in CHURN.items():
        engine.submit_at(t, parse(line))
    engine.run_until(1300.0)
    balancer = engine.balancer
    # Every figures object no longer used was emptied; those in use were not.
    in_use = [f for f in (balancer._now, balancer._ahead, balancer._standing) if f is not None]
    assert all(f not in in_use for f in balancer._retired)
    assert len(balancer._retired) <= 1
    return [json.dumps(e.as_dict(), sort_keys=True) for e in engine.log.events]


@pytest.mark.parametrize("seed", [1, 2])
def test_figures_freed_a_slice_a_second_give_the_log_of_figures_freed_at_once(seed,
                                                                              monkeypatch):
    monkeypatch.setattr(balancing, "SLICE_VMS", 10)
    monkeypatch.setattr(balancing, "RELEASE_VMS", 7)
    retired: list[object] = []
    drop = balancing.Balancer._drop

    def counting(self, figures):
        before = len(self._retired)
        drop(self, figures)
        retired.extend(self._retired[before:])
    monkeypatch.setattr(balancing.Balancer, "_drop", counting)
    sliced = _log(seed)
    assert retired and all(f.size() == 0 for f in retired[:-1])  # freed, a slice a second
    monkeypatch.setattr(balancing.Balancer, "_drop", lambda self, figures: None)
    assert _log(seed) == sliced



def test_the_running_standard_deviation_answers_as_the_plain_one():
    rng = random.Random(11)
    for _ in range(300):
        scores = {f"h{i}": rng.random() * rng.choice((0.01, 1.0, 1.5))
                  for i in range(rng.randint(2, 60))}
        if rng.random() < 0.2:  # equal scores: no spread at all
            scores = dict.fromkeys(scores, 0.25)
        ranked = balancing._Ranked(scores)
        for _ in range(rng.randint(0, 30)):
            name = rng.choice(sorted(scores))
            scores[name] = rng.random()
            ranked.update(name, scores[name])
            plain = balancing._stddev(list(scores.values()))
            # Limits near the spread and a thousandth and a half from it, to be called
            # exactly; and any.
            for limit in (plain, plain + 1e-12, plain - 1e-12, rng.random() / 2):
                assert ranked.stddev_at_most(limit) == (plain <= limit)
            assert ranked.stddev_text() == f"{plain:.3f}"


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
@pytest.mark.parametrize("threshold", [3, 4, 5])
def test_a_plan_from_the_running_spread_is_the_plan_from_the_plain_one(seed, threshold,
                                                                       monkeypatch):
    def plans() -> list[list[balancing.Recommendation]]:
        cluster = random_cluster(seed, hosts=30, vms=200, interval_s=0)
        cluster.settings.balancer.threshold = threshold
        cluster.settings.balancer.max_moves = 20
        engine = Engine(cluster, seed=seed)
        found = []
        for t in (300.0, 900.0, 2000.0):
            engine.run_until(t)
            found.append(engine.balancer.run(apply=True, why="test"))
        return found
    running = plans()
    # Every answer from the plain computation over every host.
    monkeypatch.setattr(balancing._Ranked, "_rough", lambda self: (0.0, math.inf))
    assert plans() == running
    assert any(running)


_CONDITIONS = {"state", "heard", "quorum_lost"}


def test_every_write_of_what_makes_a_host_usable_goes_through_the_cluster():
    """`Cluster.conditions` is what the usable hosts are cached on: no code writes a host's
    state, hearing or quorum but `Cluster.set_condition` (and `world.start_node`, which sets
    a host up before any cluster holds it)."""
    allowed = {("console/model/cluster.py", "set_condition"),
               ("console/model/world.py", "start_node")}
    root = Path(__file__).resolve().parents[1]
    bypasses = []
    for path in sorted([*root.glob("console/**/*.py"), *root.glob("tests/**/*.py")]):
        relative = path.relative_to(root).as_posix()
        for function, target in _attribute_writes(ast.parse(path.read_text(encoding="utf-8"))):
            if (target.attr in _CONDITIONS
                    and (target.attr != "state" or "node" in ast.unparse(target.value))
                    and (relative, function) not in allowed):
                bypasses.append(f"{relative}:{target.lineno}")
    assert bypasses == []


def _attribute_writes(tree: ast.AST, function: str = "") -> list[tuple[str, ast.Attribute]]:
    """Each `x.attribute = ...` (also augmented, annotated) under `tree`, with the name of the
    function it is in ("" at module level)."""
    writes = []
    for child in ast.iter_child_nodes(tree):
        if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
            writes += _attribute_writes(child, child.name)
            continue
        targets = (child.targets if isinstance(child, ast.Assign) else
                   [child.target] if isinstance(child, ast.AugAssign | ast.AnnAssign) else [])
        writes += [(function, t) for t in targets if isinstance(t, ast.Attribute)]
        writes += _attribute_writes(child, function)
    return writes
