"""A node's time since its last heartbeat, as the Heartbeats pane shows it, goes with the clock."""

from __future__ import annotations

from cluster_helpers import make_engine

from console.model import views
from console.model.commands import parse


def test_a_silent_nodes_age_goes_up_one_second_with_each_second_of_the_clock() -> None:
    engine = make_engine()
    engine.run_until(170.4)  # beats land between whole seconds
    assert engine.submit(parse("fail-node A")).accepted
    t, ages, healthy = 170.4, [], []
    for jitter in (-0.03, 0.02, 0.015, -0.01, 0.025, -0.02, 0.0, 0.03):  # ticks a little off
        t += 1.0 + jitter
        engine.run_until(t)
        ages.append(views.heartbeat(engine, engine.cluster.nodes["A"], 10).since_last)
        healthy.append(views.heartbeat(engine, engine.cluster.nodes["B"], 10).since_last)
    whole = [int(age) for age in ages]
    assert whole == list(range(whole[0], whole[0] + len(whole)))  # no second stalled or skipped
    assert all(age < 1.0 for age in healthy)  # a beating node stays under a second
