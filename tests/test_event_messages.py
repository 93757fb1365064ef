"""Event messages and refusals read as sentences: no None, inf, exponent or repr where a value
was unset or raw (the property test checks every message of random command sequences too)."""

from __future__ import annotations

from cluster_helpers import UNREADABLE, events, make_engine, run_checked, unreadable

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
    """1,000,000 s is the shortest delay that `:g` writes with an exponent ("1e+06"): the
    shortest simulated run that tells a full number from a shortened one."""
    exchange = seed_engine.cluster.services["exchange"]
    exchange.failback_delay_s = 1_000_000.0
    seed_engine.submit(parse("vm-power exch01 off"))
    seed_engine.submit(parse("vm-power exch01 on"))
    seed_engine.run_until(1_000_100.0)
    back = [e.message for e in events(seed_engine, "service_failover")
            if "failing back" in e.message]
    assert back and "after 1000000 s" in back[0]
    assert unreadable(seed_engine) == []


def test_lifecycle_messages_say_what_happens() -> None:
    """A new host joins (not rejoins); a clean shutdown that takes the quorum says its VMs wait;
    a service whose own member can serve again comes back online with it, not 'from sql01 to
    sql01'."""
    engine = make_engine("seed.toml")
    run_checked(engine, 200, {10: "add-node N1"})
    assert "N1 booted and joined the cluster" in _messages(engine, "node_online")
    engine = make_engine("pve.toml")
    run_checked(engine, 70, {60: "power-off pve01", 61: "power-off pve02"})
    assert _messages(engine, "node_offline")[-1].endswith(
        "VMs wait: the cluster has no quorum to restart them")
    engine = make_engine("wsfc.toml")
    run_checked(engine, 500, {60: "isolate HV01", 61: "isolate HV02", 62: "isolate HV03",
                              300: "reconnect HV01"})
    back = [m for m in _messages(engine, "service_failover") if m.startswith("sql:")]
    assert back[-1].startswith("sql: bringing it back online with sql01 on HV01")
    assert not [m for m in _messages(engine, "service_failover") if "from sql01 to sql01" in m]


def _messages(engine: Engine, kind: str) -> list[str]:
    return [e.message for e in engine.log.events if e.kind == kind]


def test_no_message_of_the_golden_runs_counts_one_thing_in_the_plural() -> None:
    """`1 rounds` read in every one-round migration's message: a count of one takes the
    singular (the golden runs hold every kind of event of a day on every sample cluster)."""
    import json
    import re
    from pathlib import Path

    plural_after_one = re.compile(r"(?<![\w.])1 (?:rounds|VMs|hosts|vCPUs|moves|members|failures"
                                  r"|migrations|seconds|beats)\b")
    golden = Path(__file__).parent / "golden"
    messages = [json.loads(line).get("message", "")
                for path in golden.glob("*.jsonl") for line in path.read_text().splitlines()]
    assert len(messages) > 1000
    assert [m for m in messages if plural_after_one.search(m)] == []
