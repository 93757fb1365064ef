"""Trying a command ahead (console.model.fork, Engine.check, console.model.preview): the answer
is the one submit then gives, nothing changes in the original, the preview is what then
happens; a drill file's hold_clock key."""

from __future__ import annotations

import json
import random

import pytest

from console.drills import parse_drill
from console.formats.cluster import load_cluster
from console.formats.toml import ConfigError
from console.model import fork as fork_module
from console.model import preview as preview_module
from console.model.commands import parse
from console.model.engine import Engine
from console.model.entities import VmState
from console.model.preview import preview
from console.paths import SAMPLE_CLUSTERS
from console.session import Session

COMMANDS = ("fail-node B", "fail-node B", "power-on B", "isolate A", "reconnect A",
            "maintenance C on", "maintenance C on --force", "maintenance C off", "migrate web01 A",
            "migrate web02 A", "migrate web01", "failover sql", "failover exchange C",
            "rebalance", "rebalance --dry-run", "vm-power mon01 off", "speed 4")


def engine(name: str = "seed", t: float = 600.0) -> Engine:
    found = Engine(load_cluster(SAMPLE_CLUSTERS / f"{name}.toml"), 0)
    found.run_before(t)
    return found


def fingerprint(e: Engine) -> tuple:
    cluster = e.cluster
    return (e.now, len(e.log), len(e.command_log), e.clock.pending(),
            tuple((v.name, v.host, v.state, v.target) for v in cluster.vms.values()),
            tuple((n.name, n.state, n.powered) for n in cluster.nodes.values()),
            tuple((s.name, s.active, s.state) for s in cluster.services.values()))


def test_check_answers_what_submit_then_answers_and_changes_nothing():
    """Every command of a day, in turn: the check's answer is submit's, and the check left the
    engine as it was (the same log, timers, states)."""
    real = engine()
    for text in COMMANDS:
        command = parse(text)
        if command.verb == "speed":
            continue  # a clock command: the session's
        before = fingerprint(real)
        checked = real.check(command)
        assert fingerprint(real) == before, text
        assert real.submit(command) == checked, text
        real.run_before(real.now + 30)


def test_a_fork_runs_on_as_the_original_does_and_the_original_is_untouched():
    real = engine("datacenter")
    before = fingerprint(real)
    state = random.getstate()
    trial = fork_module.fork(real)
    trial.submit(parse("fail-node esx03"))
    trial.advance(300)
    assert fingerprint(real) == before
    assert random.getstate() == state
    start = len(real.log)
    real.submit(parse("fail-node esx03"))
    real.advance(300)
    assert [e.as_text() for e in real.log.events[start:]] == [
        e.as_text() for e in trial.log.events]
    assert fingerprint(real)[4:] == fingerprint(trial)[4:]


def test_the_crash_preview_is_what_then_happens():
    real = engine("datacenter")
    seen = preview(real, [parse("fail-node esx03")])
    assert seen.outcome.accepted and seen.tried
    restarts = next(line for line in seen.lines if line.startswith("VMs that restart"))
    count = int(restarts.split("(")[1].split(")")[0])
    real.submit(parse("fail-node esx03"))
    real.advance(seen.ahead_s + 60)
    moved = {e.subject for e in real.log.events if e.kind == "vm_running"}
    assert len(moved) == count
    assert "host esx03: online → failed" in seen.lines
    assert preview(engine("datacenter"), [parse("fail-node esx03")]) == seen  # deterministic


def test_a_refused_command_previews_as_its_refusal():
    real = engine()
    real.submit(parse("fail-node B"))
    seen = preview(real, [parse("fail-node B")])
    assert not seen.outcome.accepted and seen.lines == ()
    assert seen.outcome == real.check(parse("fail-node B"))


def test_the_maintenance_preview_shows_the_evacuation_plan():
    seen = preview(engine(), [parse("maintenance C on --force")])
    assert "host C: online → maintenance" in seen.lines
    assert any(line.startswith("VMs that move") for line in seen.lines)
    waits = preview(engine(), [parse("maintenance A on")])
    assert any(line.startswith("VMs that cannot leave") for line in waits.lines)


def test_above_the_fork_limit_only_the_doors_refusals_are_checked(monkeypatch):
    monkeypatch.setattr("console.model.engine.FORK_LIMIT_VMS", 5)
    monkeypatch.setattr(preview_module, "FORK_LIMIT_VMS", 5)
    real = engine()
    real.submit(parse("fail-node B"))
    assert real.check(parse("fail-node B")).accepted  # not tried ahead: the handler's answer
    real.read_only = True
    assert real.check(parse("fail-node B")).reason == "read-only mode: changes are disabled"
    real.read_only = False
    seen = preview(real, [parse("fail-node A")])
    assert not seen.tried and "No preview" in seen.text()


def test_the_session_check_asks_the_clock_too():
    session = Session(engine(), paused=True)
    assert not session.check(parse("pause")).accepted
    assert session.check(parse("resume")).accepted and session.clock.paused


HEAD = f"""\
[drill]
name = "t"
cluster = {json.dumps(str(SAMPLE_CLUSTERS / "seed.toml"))}
duration_s = 600
"""


EXPECT = '\n[[expect]]\nthat = "node B is online at 600 s"\n'


def test_a_drill_says_whether_the_clock_holds():
    assert parse_drill(HEAD + EXPECT, "t.toml").hold_clock
    assert not parse_drill(HEAD + "hold_clock = false\n" + EXPECT, "t.toml").hold_clock
    with pytest.raises(ConfigError) as caught:
        parse_drill(HEAD + 'hold_clock = "no"\n' + EXPECT, "t.toml")
    assert str(caught.value).startswith("t.toml:5: drill.hold_clock:")


def _crashed_b_restarting() -> Engine:
    """The seed cluster with B crashed and its VMs restarting elsewhere (the user's example)."""
    real = engine()
    assert real.submit(parse("fail-node B")).accepted
    for _ in range(120):
        real.run_before(real.now + 1)
        if any(vm.state is VmState.RESTARTING for vm in real.cluster.vms.values()):
            return real
    raise AssertionError("B's VMs never began to restart")


def test_a_preview_lists_only_what_the_command_itself_changes():
    """Crash B, wait until its VMs restart, then preview crashing A: only A's VMs restart
    because of it (B's were restarting anyway), and B's own fall is not blamed on it."""
    real = _crashed_b_restarting()
    on_a = {vm.name for vm in real.cluster.vms.values() if vm.host == "A"}
    on_b_restarting = {vm.name for vm in real.cluster.vms.values()
                       if vm.state is VmState.RESTARTING}
    assert on_a and on_b_restarting
    text = preview(real, [parse("fail-node A")]).text()
    restarts = [line for line in text.splitlines() if line.startswith("VMs that restart")]
    assert restarts, text
    named = {item.split("→")[0] for item in restarts[0].split(": ", 1)[1].split(", ")}
    assert named <= on_a, text
    assert "host B" not in text, text
    assert "host A: online → failed" in text, text


def test_isolating_a_crashed_host_changes_nothing_it_did_not_already():
    """`i` on a B already crashed: B fails anyway, so the preview blames nothing on the isolate."""
    real = _crashed_b_restarting()
    text = preview(real, [parse("isolate B")]).text()
    assert "host B" not in text, text
    assert "VMs that restart" not in text, text


def test_refusals_say_the_host_s_real_power_and_what_the_cluster_still_believes():
    """`x` on B just crashed said "B is already down (online)": the reason now states the truth
    (powered off) and the belief as a belief; so do power-off, power-on and isolate."""
    real = engine()
    assert real.submit(parse("fail-node B")).accepted
    for text in ("fail-node B", "power-off B"):
        reason = real.check(parse(text)).reason
        assert reason == ("B is already powered off (the cluster still believes it online "
                          "until it declares it failed)"), reason
    assert real.submit(parse("isolate C")).accepted
    reason = real.check(parse("isolate C")).reason
    assert "believes it online until it declares it isolated" in reason, reason
    assert "already powered on (the cluster still believes it online" in real.check(
        parse("power-on C")).reason
    real.run_before(real.now + 600)
    assert real.check(parse("fail-node B")).reason == "B is already powered off (failed)"
