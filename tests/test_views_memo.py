"""The views' memo (`views.*_now`) answers what the plain views answer, at every simulated second
of random operator and fault sequences on the sample clusters (fixed seeds): it is kept only
while `views.instant` or `views.log_length` says the model cannot have changed."""

from __future__ import annotations

import contextlib
import random

import pytest
from cluster_helpers import make_engine

from console.model import views
from console.model.commands import CommandError, parse


def _random_line(rng: random.Random, engine) -> str:
    nodes = list(engine.cluster.nodes)
    vms = list(engine.cluster.vms)
    node, vm = rng.choice(nodes), rng.choice(vms)
    return rng.choice([
        f"fail-node {node}", f"power-on {node}", f"power-off {node}", f"isolate {node}",
        f"reconnect {node}", f"maintenance {node} on", f"maintenance {node} off",
        f"migrate {vm}", f"vm-power {vm} off", f"vm-power {vm} on", "rebalance",
    ])


@pytest.mark.parametrize(("cluster", "seed"), [("seed.toml", 1), ("datacenter.toml", 2),
                                              ("xenserver.toml", 3)])
def test_memo_answers_as_the_plain_views(cluster: str, seed: int) -> None:
    engine = make_engine(cluster, seed)
    rng = random.Random(seed)
    alerted = 0
    for _second in range(400):
        if rng.random() < 0.08:
            with contextlib.suppress(CommandError):
                engine.submit(parse(_random_line(rng, engine)))
        engine.run_until(engine.now + 1.0)
        for _again in range(2):  # the second time from the memo
            assert views.open_alerts_now(engine) == views.open_alerts(engine)
            assert views.quorum_now(engine) == views.quorum(engine)
            assert views.quorum_lost_anywhere_now(engine) == views.quorum_lost_anywhere(engine)
            assert views.balancer_name_now(engine) == views.balancer_name(engine)
        alerted += bool(views.open_alerts(engine))
    assert alerted  # the sequence did raise alerts


def test_memo_is_per_engine() -> None:
    one, other = make_engine("seed.toml", 0), make_engine("seed.toml", 0)
    one.submit(parse("fail-node A"))
    one.run_until(60.0)
    other.run_until(60.0)
    assert views.open_alerts_now(one) != views.open_alerts_now(other)
    assert views.open_alerts_now(other) == views.open_alerts(other)
