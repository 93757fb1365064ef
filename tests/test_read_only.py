"""Read-only mode refuses by effect, not by command type, and observations come only from the
source: every verb of the command language is classified here by what it does, and a session in
read-only mode is asked each one, from the operator, from a source and from a replay."""

from __future__ import annotations

import pytest
from cluster_helpers import make_engine

from console.model.commands import COMMANDS, parse
from console.session import OBSERVATION, OBSERVATION_REFUSAL, OPERATOR, REPLAY, Session

CHANGE, NOTHING, OBSERVE = "changes the cluster or the world", "changes nothing", "observation"

#: Every verb, an example of it and its effect. A new verb must be added here to be classified.
EFFECTS: dict[str, tuple[str, str]] = {
    "fail-node": ("fail-node B", CHANGE),
    "power-off": ("power-off B", CHANGE),
    "power-on": ("power-on B", CHANGE),
    "add-node": ("add-node D A", CHANGE),
    "isolate": ("isolate B", CHANGE),
    "reconnect": ("reconnect B", CHANGE),
    "failover": ("failover sql", CHANGE),
    "vm-power": ("vm-power sql01 off", CHANGE),
    "ha-state": ("ha-state sql01 disabled", CHANGE),
    "relocate": ("relocate sql01 B", CHANGE),
    "cold-migrate": ("cold-migrate sql01 B", CHANGE),
    "cancel-migration": ("cancel-migration sql01", CHANGE),
    "fail-starts": ("fail-starts B", CHANGE),
    "fail-migrations": ("fail-migrations B", CHANGE),
    "maintenance": ("maintenance B on", CHANGE),
    "migrate": ("migrate sql01 B", CHANGE),
    "deploy": ("deploy web9 win2008 on B", CHANGE),
    "publish-image": ("publish-image win2008", CHANGE),
    "vm-shutdown": ("vm-shutdown sql01", CHANGE),
    "vm-suspend": ("vm-suspend sql01", CHANGE),
    "vm-resume": ("vm-resume sql01", CHANGE),
    "reading": ("reading C 0.5 0.5 0.5", OBSERVE),
    "vm-reading": ("vm-reading sql01 0.5 0.5 0.5", OBSERVE),
    "observe-host": ("observe-host B down 'keepalive timed out'", OBSERVE),
    "observe-vm": ("observe-vm sql01 paused on A user", OBSERVE),
    "observe-defined": ("observe-defined web9 A 2 2048 20", OBSERVE),
    "observe-undefined": ("observe-undefined sql01", OBSERVE),
    "observe-migration": ("observe-migration sql01 2 512 30", OBSERVE),
    "observe-migrated": ("observe-migrated sql01 B", OBSERVE),
    "observe-action-failed": ("observe-action-failed sql01 migrate 'not supported'", OBSERVE),
    "speed": ("speed 2", NOTHING),
    "pause": ("pause", NOTHING),
    "resume": ("resume", NOTHING),
}
#: Commands whose effect depends on their options: a dry run changes nothing.
VARIANTS: list[tuple[str, str]] = [("rebalance", CHANGE), ("rebalance --dry-run", NOTHING)]


def examples() -> list[tuple[str, str]]:
    return [example for _verb, example in EFFECTS.items()] + VARIANTS


def test_every_verb_is_classified():
    assert set(COMMANDS) == set(EFFECTS) | {line.split()[0] for line, _ in VARIANTS}


@pytest.mark.parametrize(("line", "effect"), examples())
def test_the_flags_say_the_effect(line, effect):
    command = parse(line)
    assert command.mutating == (effect == CHANGE)
    assert command.observation == (effect == OBSERVE)


def local_session(read_only: bool = True) -> Session:
    engine = make_engine()
    engine.cluster.nodes["C"].local = True
    return Session(engine, read_only=read_only, paused=False)


@pytest.mark.parametrize(("line", "effect"), examples())
def test_read_only_refuses_by_effect_from_the_operator(line, effect):
    session = local_session()
    heard: list = []
    session.add_listener(heard.append)
    outcome = session.submit(parse(line), source=OPERATOR)
    if effect == CHANGE:
        assert not outcome.accepted and "read-only" in outcome.reason
        assert len(heard) == 1  # heard and recorded: a replay refuses it again
    elif effect == OBSERVE:
        assert not outcome.accepted and outcome.reason == OBSERVATION_REFUSAL
        assert heard == []  # never recorded: a replay would take it as measured
    else:
        assert "read-only" not in (outcome.reason or "")
        assert outcome.reason != OBSERVATION_REFUSAL


def test_a_dry_run_passes_read_only_and_moves_nothing():
    session = local_session()
    hosts = {vm.name: vm.host for vm in session.engine.cluster.vms.values()}
    assert session.submit(parse("rebalance --dry-run")).accepted
    assert {vm.name: vm.host for vm in session.engine.cluster.vms.values()} == hosts


@pytest.mark.parametrize("read_only", [True, False])
def test_an_operators_reading_is_refused_with_or_without_read_only(read_only):
    session = local_session(read_only)
    outcome = session.submit(parse("reading C 0.9 0.9 0.9"))
    assert not outcome.accepted and outcome.reason == OBSERVATION_REFUSAL
    assert session.engine.readings.latest == {}


@pytest.mark.parametrize("source", [OBSERVATION, REPLAY])
def test_readings_come_from_the_source_or_a_recording(source):
    session = local_session()
    assert session.submit(parse("reading C 0.9 0.9 0.9"), source=source).accepted
    assert session.engine.readings.latest["C"].cpu == 0.9
