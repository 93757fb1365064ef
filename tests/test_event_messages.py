"""Event messages and refusals read as sentences: no None, inf, exponent or repr where a value
was unset or raw (the property test checks every message of random command sequences too)."""

from __future__ import annotations

from cluster_helpers import UNREADABLE, events, unreadable

from console.model.commands import parse
from console.model.engine import Engine
from console.model.entities import Rule


def test_the_pattern_catches_what_python_prints_for_raw_values() -> None:
    for raw in ("from None to db1", "target inf", "after 2.592e+06 s", "VmState.RUNNING",
                "<console.model.entities.Vm object at 0x7f>", "nan GB"):
        assert UNREADABLE.search(raw), raw
    for fine in ("forced failover to db1 on B (20 s)", "HV01 is online", "after 2592000 s",
                 "imbalance 0.120 (mandatory moves only)", "Nonesuch", "informed"):
        assert not UNREADABLE.search(fine), fine


def test_a_conservative_balancer_says_it_makes_mandatory_moves_only(seed_engine: Engine) -> None:
    seed_engine.cluster.settings.balancer.threshold = 1
    seed_engine.cluster.add_rule(Rule("off-a", "vm-not-host", "must", ("web01",), ("A",)))
    assert seed_engine.submit(parse("rebalance")).accepted
    said = [e.message for e in events(seed_engine, "balancer")]
    assert said and "mandatory moves only" in said[0]
    assert unreadable(seed_engine) == []


def test_a_long_failback_delay_is_written_in_full(seed_engine: Engine) -> None:
    exchange = seed_engine.cluster.services["exchange"]
    exchange.failback_delay_s = 2_000_000.0
    seed_engine.submit(parse("vm-power exch01 off"))
    seed_engine.submit(parse("vm-power exch01 on"))
    seed_engine.run_until(2_000_100.0)
    back = [e.message for e in events(seed_engine, "service_failover")
            if "failing back" in e.message]
    assert back and "after 2000000 s" in back[0]
    assert unreadable(seed_engine) == []
