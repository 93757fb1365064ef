"""The header's views say what the votes are and which subject each alert is about."""

from __future__ import annotations

from console.formats.cluster import load_cluster
from console.model import views
from console.model.commands import parse
from console.model.engine import Engine
from console.paths import SAMPLE_CLUSTERS


def sample(name: str) -> Engine:
    return Engine(load_cluster(SAMPLE_CLUSTERS / f"{name}.toml"), 0)


def test_a_witness_vote_is_shown_beside_the_hosts() -> None:
    engine = sample("wsfc")
    assert len(engine.cluster.nodes) == 4
    q = views.quorum(engine)
    assert q.text == "quorum 5/5 ok (4 hosts + witness)"
    assert q.short == "q 5/5 ok 4h+w"


def test_a_vote_set_aside_by_the_tie_breaker_is_shown() -> None:
    q = views.quorum(sample("two-node"))
    assert q.text == "quorum 1/1 ok (1 of 2 hosts vote)"


def test_dynamic_quorum_and_an_idle_dynamic_witness_are_shown() -> None:
    engine = sample("wsfc")
    last = list(engine.cluster.nodes)[-1]
    engine.submit(parse(f"fail-node {last}"))
    engine.run_until(120)
    assert views.quorum(engine).text == "quorum 3/3 ok (3 of 4 hosts vote, witness idle)"


def test_one_vote_a_host_and_no_witness_needs_no_explanation() -> None:
    assert views.quorum(sample("pve")).text == "quorum 3/3 ok"
    assert views.quorum(sample("seed")).text == "hosts 3/3 heard"
    assert views.quorum(sample("seed")).short == "hosts 3/3 heard"  # a narrow header too


def test_the_balancer_is_called_drs_only_on_esxi_hosts() -> None:
    assert views.balancer_name(sample("seed")) == "DRS"
    for name in ("wsfc", "pve", "xenserver"):
        assert views.balancer_name(sample(name)) == "balancer", name


def test_each_alert_names_its_subject() -> None:
    engine = sample("wsfc")
    last = list(engine.cluster.nodes)[-1]
    engine.submit(parse(f"fail-node {last}"))
    engine.run_until(30)
    alerts = views.open_alerts(engine)
    assert views.Alert(f"node {last} is failed", "node", last) in alerts
    assert views.alerts(engine) == [alert.text for alert in alerts]


def test_a_node_off_the_clusters_side_says_why_in_the_clusters_own_terms() -> None:
    engine = sample("isolation")  # vSphere HA: hosts cast no votes
    engine.submit(parse("isolate esx01"))
    engine.run_until(30)
    assert "node esx01 is isolated (cut off)" in views.alerts(engine)
    engine = sample("two-node")  # votes: H1 holds the only one
    engine.submit(parse("fail-node H1"))
    engine.run_until(30)
    assert "node H2 is online (no quorum)" in views.alerts(engine)
