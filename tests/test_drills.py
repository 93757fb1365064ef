"""Drills: the samples pass, a broken one fails with what was seen, bad files are one exact line."""

from __future__ import annotations

import functools
import json
import re
import textwrap
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from console.cli import main
from console.drills import DrillSession, load_drill, parse_drill, render_json, render_text
from console.drills.grammar import ExpectationError, parse
from console.drills.runner import run_drill
from console.formats.event_log import render_json as simulate_json
from console.formats.timed import TimedCommand, parse_timed
from console.formats.toml import ConfigError
from console.model.commands import parse as parse_command
from console.model.events import EVENT_KINDS
from console.paths import SAMPLE_CLUSTERS

DRILLS = sorted((SAMPLE_CLUSTERS / "drills").glob("*.toml"))
SEED = SAMPLE_CLUSTERS / "seed.toml"
MODEL = Path(__file__).resolve().parent.parent / "console" / "model"

# A drill on the seed cluster; tests append [[steps]] and [[expect]] entries. Line numbers in the
# expected messages count from here: HEAD is 6 lines long.
HEAD = f"""\
[drill]
name = "t"
cluster = {json.dumps(str(SEED))}
seed = 0
duration_s = 600

"""


def drill_text(*entries: str) -> str:
    return HEAD + "\n".join(textwrap.dedent(e).strip() + "\n" for e in entries)


def step(at: float, do: str, name: str | None = None) -> str:
    extra = f'\nname = "{name}"' if name else ""
    return f'[[steps]]\nat = {at}\ndo = "{do}"{extra}'


def expect(that: str) -> str:
    return f"[[expect]]\nthat = {json.dumps(that)}"


def run_text(text: str):
    report, engine = run_drill(parse_drill(text, "t.toml"))
    return report, engine


def error_of(text: str) -> str:
    with pytest.raises(ConfigError) as caught:
        parse_drill(text, "t.toml")
    return str(caught.value)


def results(report) -> dict[str, tuple[bool, str]]:
    return {e.text: (e.passed, e.observed) for e in report.expectations}


# -- the samples ------------------------------------------------------------------------------


def test_the_six_sample_drills_exist():
    names = {p.stem for p in DRILLS}
    assert {"node-crash", "partition", "maintenance", "rolling-upgrade", "sql-failover",
            "capacity-exhaustion"} <= names


#: The operator's answers to the sample drills that need one (`interactive = true`: the fix is
#: not in their steps), as `drill --do` takes them.
OPERATOR_ANSWERS = {"restore-failover-capacity": ["90 power-on B"]}


def operator_answer(drill) -> list[TimedCommand]:
    return [parse_timed(text) for text in OPERATOR_ANSWERS.get(drill.name, [])]


@functools.cache
def headless_run(path: Path):
    """`run_drill(load_drill(path))`, nobody acting: (report, engine), run once per sample and
    shared by the tests that compare another way of running it with this one. They only read
    it; a test that needs a second run of its own makes it."""
    return run_drill(load_drill(path))


@pytest.mark.parametrize("path", DRILLS, ids=lambda p: p.stem)
def test_every_sample_drill_passes_headless(path):
    drill = load_drill(path)
    report, _ = run_drill(drill, operator=operator_answer(drill))
    failed = [(e.text, e.observed) for e in report.expectations if not e.passed]
    assert report.passed, failed
    assert all(s.outcome == "accepted" for s in report.steps)


def test_an_interactive_sample_drill_needs_its_operator():
    interactive = [load_drill(path) for path in DRILLS if load_drill(path).interactive]
    assert {d.name for d in interactive} == set(OPERATOR_ANSWERS)
    for drill in interactive:
        report, _ = run_drill(drill)  # nobody acts: the fix is not in the steps
        assert not report.passed, drill.name
        assert not any(step.command.verb == "power-on" for step in drill.steps)


def test_drill_do_supplies_the_operators_commands(capsys):
    path = str(SAMPLE_CLUSTERS / "drills" / "restore-failover-capacity.toml")
    assert main(["drill", path]) == 1
    assert "needs the operator (interactive = true)" in capsys.readouterr().err
    assert main(["drill", path, "--do", "90 power-on B", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["passed"] and report["steps"][0]["command"] == "fail-node B"
    assert len(report["steps"]) == 2  # the operator's command is not a step
    assert main(["drill", path, "--do", "950 power-on B"]) == 2
    assert "--do '950 power-on B' is after the end of the drill (duration_s = 900)" in \
        capsys.readouterr().err
    assert main(["drill", path, "--do", "90 power-on B", "--interactive"]) == 2
    assert main(["drill", path, path, "--do", "90 power-on B"]) == 2
    assert "--do takes one drill at a time" in capsys.readouterr().err


def test_interactive_must_be_true_or_false():
    text = HEAD.replace("duration_s = 600", "duration_s = 600\ninteractive = \"yes\"")
    assert error_of(drill_text(step(60, "fail-node B"), expect("no VM lost"))
                    .replace(HEAD, text)) == \
        't.toml:6: drill.interactive: must be true or false, got "yes"'


@pytest.mark.parametrize("path", DRILLS, ids=lambda p: p.stem)
def test_a_drill_run_twice_gives_the_same_report(path):
    first, _ = headless_run(path)
    second, _ = run_drill(load_drill(path))
    assert render_json(first) == render_json(second)
    assert render_text(first) == render_text(second)


@pytest.mark.parametrize("path", DRILLS, ids=lambda p: p.stem)
def test_a_drills_event_log_is_what_simulate_prints(path, capsys):
    """Looking between instants must not change the run: same log as `simulate --do`."""
    drill = load_drill(path)
    _, engine = headless_run(path)
    argv = ["simulate", drill.cluster_file, "--seed", str(drill.seed),
            "--for", repr(drill.duration), "--json"]
    for s in drill.steps:
        argv += ["--do", f"{s.at!r} {s.command.text()}"]
    assert main(argv) == 0
    assert capsys.readouterr().out == simulate_json(engine)


def test_steps_at_one_instant_land_together_before_its_timers(capsys):
    """B is suspect at 63 s (a timer); the two steps at 63 s land before it, in file order, in
    a drill, in `simulate --do`, and in a drill advanced tick by tick to exactly 63 s."""
    text = drill_text(step(60, "fail-node B"), step(63, "isolate A"), step(63, "isolate C"),
                      expect("event node_suspect for B at 63 s"))
    report, engine = run_text(text)
    assert report.passed, report.expectations
    at_63 = [(e.kind, e.subject) for e in engine.log.events if e.t == 63.0]
    assert at_63[:2] == [("command", "A"), ("command", "C")]
    assert ("node_suspect", "B") in at_63[2:]
    assert main(["simulate", str(SEED), "--for", "600", "--json", "--do", "60 fail-node B",
                 "--do", "63 isolate A", "--do", "63 isolate C"]) == 0
    assert capsys.readouterr().out == simulate_json(engine)
    ticked = DrillSession(parse_drill(text, "t.toml"))
    for t in (30, 60, 63, 63, 100):
        ticked.advance_to(t)
    ticked.finish()
    assert [e.as_dict() for e in ticked.engine.log.events] == \
        [e.as_dict() for e in engine.log.events]


@pytest.mark.parametrize("path", DRILLS, ids=lambda p: p.stem)
def test_drill_json_ends_in_the_summary_simulate_prints(path, capsys):
    """`drill --json` carries the final state: the very object `simulate --json` prints last."""
    drill = load_drill(path)
    answer = [arg for text in OPERATOR_ANSWERS.get(drill.name, []) for arg in ("--do", text)]
    assert main(["drill", str(path), "--json", *answer]) == 0
    report = json.loads(capsys.readouterr().out)
    argv = ["simulate", drill.cluster_file, "--seed", str(drill.seed),
            "--for", repr(drill.duration), "--json", *answer]
    for s in drill.steps:
        argv += ["--do", f"{s.at!r} {s.command.text()}"]
    assert main(argv) == 0
    last = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert report["summary"] == last and last["kind"] == "summary"
    assert set(report["summary"]["vms"][next(iter(last["vms"]))]) >= {"state", "host"}
    assert all({"state", "active"} <= set(s) for s in report["summary"]["services"].values())


@pytest.mark.parametrize("path", DRILLS, ids=lambda p: p.stem)
def test_advancing_in_small_ticks_scores_like_one_run(path):
    """The interactive drill advances from a clock tick; it must score as headless does."""
    drill = load_drill(path)
    headless, engine = headless_run(path)
    session = DrillSession(load_drill(path))
    t = 0.0
    while not session.done and t < drill.duration:
        t = min(drill.duration, t + 7.3)
        session.advance_to(t)
        assert len(session.live()) == len(drill.expectations)
    ticked = session.finish()
    assert render_json(ticked) == render_json(headless)
    assert [e.as_dict() for e in session.engine.log.events] == \
        [e.as_dict() for e in engine.log.events]


def test_the_cli_runs_all_scripted_samples_and_writes_junit(tmp_path, capsys):
    scripted = [p for p in DRILLS if not load_drill(p).interactive]  # no operator needed
    out = tmp_path / "drills.xml"
    assert main(["drill", *map(str, scripted), "--junit", str(out)]) == 0
    text = capsys.readouterr().out
    assert text.count("PASS: ") == len(scripted)
    root = ET.parse(out).getroot()
    assert root.tag == "testsuites" and root.get("failures") == "0"
    assert len(root.findall("testsuite")) == len(scripted)
    cases = root.findall("testsuite/testcase")
    assert len(cases) == sum(len(load_drill(p).expectations) for p in scripted)
    assert not root.findall(".//failure")


def test_json_is_one_report_per_drill(capsys):
    assert main(["drill", str(DRILLS[0]), str(DRILLS[1]), "--json"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2
    reports = [json.loads(line) for line in lines]
    assert all(r["kind"] == "drill_report" and r["passed"] for r in reports)


# -- a drill broken on purpose ----------------------------------------------------------------

BROKEN = drill_text(
    step(60, "fail-node B", "crash"),
    expect("service sql is online within 10 s after step crash"),
    expect("max VM downtime below 30 s"),
    expect("node B is online at end"),
    expect("no event vm_down"),
    expect("all VMs running throughout"),
    expect("recovery time after step 1 below 30 s"),
    expect("service sql is online within 40 s after step crash"),
)


def test_a_broken_drill_fails_with_the_observed_values():
    report, _ = run_text(BROKEN)
    assert not report.passed
    seen = results(report)
    assert seen["service sql is online within 10 s after step crash"] == (
        False, "not within the window; last seen offline at 70 s")
    assert seen["max VM downtime below 30 s"] == (False, "50 s (sql01) at 600 s")
    assert seen["node B is online at end"] == (False, "failed at 600 s")
    assert seen["no event vm_down"][0] is False
    assert seen["no event vm_down"][1].startswith("at 60 s: vm_down app01: app01 is down")
    assert seen["no event vm_down"][1].endswith("(and 3 more)")
    assert seen["all VMs running throughout"] == (
        False, "not running: sql01 (failed), exch02 (failed), iis01 (failed), app01 (failed) "
               "at 60 s")
    assert seen["recovery time after step 1 below 30 s"] == (
        False, "60 s (step 1, fail-node B) at 600 s")
    assert seen["service sql is online within 40 s after step crash"] == (
        True, "online at 95 s (35 s after step crash)")
    assert report.failures == 6


def test_the_cli_exits_1_and_junit_carries_the_observed_value(tmp_path, capsys):
    path = tmp_path / "broken.toml"
    path.write_text(BROKEN)
    out = tmp_path / "junit.xml"
    assert main(["drill", str(path), "--junit", str(out)]) == 1
    text = capsys.readouterr().out
    assert "FAIL   2  max VM downtime below 30 s" in text
    assert "50 s (sql01) at 600 s" in text
    assert text.rstrip().endswith("FAIL: 1 of 7 expectations met")
    suite = ET.parse(out).getroot().find("testsuite")
    assert suite.get("tests") == "7" and suite.get("failures") == "6"
    failures = {case.get("name"): case.find("failure") for case in suite.findall("testcase")}
    assert failures["2: max VM downtime below 30 s"].get("message") == \
        "observed: 50 s (sql01) at 600 s"
    assert failures["7: service sql is online within 40 s after step crash"] is None


# -- windows ----------------------------------------------------------------------------------


def test_a_window_to_a_step_stops_just_before_it():
    report, _ = run_text(drill_text(
        step(60, "maintenance B on --force"), step(300, "maintenance B off"),
        expect("node B is maintenance from 200 s to step 2"),
        expect("node B is maintenance from 200 s to 300 s"),
        expect("node B is entering_maintenance at step 1"),
        expect("node B is online at step 2"),
        expect("node B is maintenance at 299 s"),
        expect("node B is online at 300 s"),
    ))
    seen = results(report)
    assert seen["node B is maintenance from 200 s to step 2"][0] is True
    assert seen["node B is maintenance from 200 s to 300 s"] == (False, "online at 300 s")
    assert all(ok for text, (ok, _) in seen.items() if "200 s to 300 s" not in text)


def test_at_a_time_is_after_everything_at_that_time():
    report, _ = run_text(drill_text(
        step(60, "fail-node B"),
        expect("node B is failed at 75 s"),      # detection fires at 75 s exactly
        expect("node B is suspect at 74.5 s"),
        expect("vm sql01 is failed at 60 s"),    # the step at 60 s is part of 60 s
        expect("at 110 s: vm sql01 is running on A"),
        expect("within 1 min after step 1: vm sql01 on A"),
    ))
    assert report.passed, results(report)


def incidents_of(report) -> list[tuple[int, list[str], list[str]]]:
    return [(i.step, i.vms, i.services) for i in report.incidents]


def test_an_outage_that_begins_at_detection_belongs_to_the_step_that_caused_it():
    """C is cut at 60 s; its VMs are powered off at detection (75 s), after a forced failover
    at 65 s: they are the isolation's, the failover has only its service."""
    report, _ = run_text(drill_text(step(60, "isolate C"), step(65, "failover exchange"),
                                    expect("all VMs running within 200 s after step 1")))
    (first, c_vms, c_services), (second, vms, services) = incidents_of(report)
    assert (first, second) == (1, 2)
    assert sorted(c_vms) == ["file01", "mon01", "sql02", "web02"]  # C's VMs at 60 s
    assert c_services == [] and (vms, services) == ([], ["exchange"])


def test_a_planned_step_on_a_passive_members_host_does_not_take_the_outage():
    """B (iis01, iis's active member) is cut; A (iis02, passive) enters maintenance 5 s later.
    iis stands down with B at detection: the isolation's outage, not the maintenance's."""
    report, _ = run_text(drill_text(step(60, "isolate B"), step(65, "maintenance A on"),
                                    expect("no split brain")))
    assert incidents_of(report) == [(1, ["app01", "exch02", "iis01", "sql01"], ["iis", "sql"])]


def test_an_operators_command_takes_the_outages_it_causes_from_the_incident():
    """B (iis01 active) is cut at 60 s; at 62 s the operator fails iis over by hand: iis goes
    down by the operator's doing, before B's isolation is even detected."""
    session = DrillSession(parse_drill(drill_text(step(60, "isolate B"),
                                                  expect("no split brain")), "t.toml"))
    session.advance_to(62)
    assert session.submit(parse_command("failover iis")).accepted
    report = session.finish()
    assert incidents_of(report) == [(1, ["app01", "exch02", "iis01", "sql01"], ["sql"])]


THREE_HOSTS = "\n".join(f"""
[[nodes]]
name = "H{i}"
hypervisor = "esxi"
cpus = 2
cores_per_cpu = 8
memory_gb = 64
disks_gb = [500]
nics_gbps = [1, 1]

[[vms]]
name = "app{i}"
host = "H{i}"
guest_os = "rhel"
vcpus = 2
memory_gb = 4
""" for i in (1, 2, 3))


def test_a_host_that_loses_quorum_to_others_outages_is_the_incident_that_took_it():
    """H1 and H2 are cut 2 s apart; H3, untouched, is left without quorum (the hosts vote) and
    powers app3 off: app1 is the first cut's, app2 and app3 the second's (the one that took the
    quorum)."""
    text = ('[drill]\nname = "q"\nduration_s = 300\n\n[cluster]\nname = "three"\n\n'
            '[quorum]\nvoting = true\nwitness = false\nisolation_response = "power_off"\n'
            + THREE_HOSTS
            + "\n" + drill_text(step(60, "isolate H1"), step(62, "isolate H2"),
                                 expect("running VMs = 0 at end")).split("\n\n", 1)[1])
    report, _ = run_text(text)
    assert incidents_of(report) == [(1, ["app1"], []), (2, ["app2", "app3"], [])]


def test_a_planned_steps_outages_are_no_incidents():
    """Rolling upgrade: a host powered off in maintenance holds nothing; the failovers of the
    next maintenance (and their failback) are planned, not that power-off's."""
    report, _ = run_drill(load_drill(SAMPLE_CLUSTERS / "drills" / "rolling-upgrade.toml"))
    assert [(i.step, i.vms, i.services) for i in report.incidents] == \
        [(2, [], []), (6, [], []), (10, [], [])]
    assert report.service_downtime  # the planned failovers were outages all the same


def test_an_event_order_passes_only_when_the_first_comes_first():
    """B is fenced at 80 s, then its VMs restart (logged after the fencing, same instant)."""
    report, _ = run_text(drill_text(
        step(60, "fail-node B"),
        expect("event node_fenced for B before event vm_restarting for sql01"),
        expect("event vm_restarting for sql01 before event node_fenced for B"),
        expect("event node_fenced before event node_fenced"),
        expect("event node_failed for B before event vm_restarting for sql01 "
               "within 10 s after step 1")))
    assert [(r.passed, r.observed, r.at) for r in report.expectations] == [
        (True, "node_fenced for B at 80 s, then vm_restarting for sql01 at 80 s", 80.0),
        (False, "at 80 s: node_fenced B: B is fenced (powered off), before any vm_restarting "
                "for sql01", 80.0),
        (False, "node_fenced at 80 s, but no node_fenced after it throughout", None),
        (False, "neither node_failed for B nor vm_restarting for sql01 within 10 s after "
                "step 1", None)]


def test_an_event_order_is_decided_live_at_the_second_event():
    session = DrillSession(parse_drill(drill_text(
        step(60, "fail-node B"),
        expect("event node_fenced for B before event vm_restarting for sql01"),
        expect("event vm_running for sql01 before event node_fenced for B")), "t.toml"))
    session.advance_to(79)
    assert [r.passed for r in session.live()] == [None, None]
    session.advance_to(81)
    assert [r.passed for r in session.live()] == [True, False]


def test_event_windows_start_at_the_steps_own_events():
    report, _ = run_text(drill_text(
        step(60, "fail-node B"),
        expect("event vm_down for sql01 at step 1"),
        expect("event vm_down for sql01 within 0 s after step 1"),
        expect("no event vm_down from start to step 1"),
        expect("events vm_down = 4"),
        expect("events vm_down for sql01 = 1"),
        expect("event service_online for sql between 90 s and 100 s"),
        expect("no event service_online for sql between 96 s and end"),
    ))
    assert report.passed, results(report)


def test_invariants_are_checked_at_every_change():
    """The split-brain check sees the state between instants: count its checks."""
    report, _ = run_text(drill_text(step(60, "isolate B"), expect("no split brain")))
    (only,) = report.expectations
    checks = int(re.search(r"held at all (\d+) checks", only.observed)[1])
    assert checks >= 8  # start, pre/post step, suspect, detection, services, boots, end


def test_a_clock_step_is_skipped_headless_and_reported():
    report, engine = run_text(drill_text(step(10, "speed 4"), step(20, "pause"),
                                         expect("no event refused")))
    assert report.passed
    assert [s.outcome for s in report.steps] == ["clock", "clock"]
    assert not engine.command_log


def test_a_refused_step_is_reported_with_its_reason():
    report, _ = run_text(drill_text(step(10, "failover sql A"),
                                    expect("event refused for sql at step 1")))
    assert report.passed
    assert report.steps[0].outcome == "refused"
    assert "no member of sql runs on A" in report.steps[0].note


def test_a_deployed_vm_may_be_named_in_expectations():
    text = drill_text(step(10, "deploy web09 win2008+iis7 on C"), expect("vm web09 is running"))
    # the seed cluster has no images, so the model refuses the deploy: the check must say so
    report, _ = run_text(text)
    assert results(report)["vm web09 is running"] == (False, "not deployed at 600 s")


def test_an_embedded_cluster_runs_and_its_errors_point_into_the_drill():
    cluster = SEED.read_text()
    text = ("[drill]\nname = \"embedded\"\nduration_s = 300\n\n"
            + cluster + "\n" + step(60, "fail-node B") + "\n" + expect("no VM lost") + "\n")
    report, _ = run_text(text)
    assert report.passed and report.cluster == "seed"
    drill = parse_drill(text, "t.toml")
    assert "[drill]" not in drill.recorded_cluster_text
    assert "[[steps]]" not in drill.recorded_cluster_text
    broken = text.replace("memory_gb = 16", "memory_gb = -16", 1)
    line = broken.splitlines().index("memory_gb = -16") + 1
    assert error_of(broken) == f"t.toml:{line}: nodes[0].memory_gb: must be a number " \
                               "above 0, at most 24576 GB, got -16"


# -- errors: one line, file:line: key: message ------------------------------------------------


@pytest.mark.parametrize(("text", "message"), [
    (HEAD.replace("seed = 0", "sead = 0") + expect("no VM lost"),
     "t.toml:4: drill.sead: unknown key (known: name, description, cluster, seed, duration_s, "
     "interactive, hold_clock)"),
    (HEAD.replace("duration_s = 600\n", "") + expect("no VM lost"),
     "t.toml:1: drill.duration_s: required key is missing"),
    (HEAD, "t.toml: expect: at least one [[expect]] entry is required (a drill without "
           "expectations would always pass)"),
    (drill_text(step(60, "fial-node B"), expect("no VM lost")),
     "t.toml:9: steps[0].do: unknown command 'fial-node'; known: "),
    (drill_text(step(60, "fail-node Z"), expect("no VM lost")),
     't.toml:9: steps[0].do: fail-node: unknown node "Z" (nodes: A, B, C)'),
    (drill_text(step(60, "failover sequel"), expect("no VM lost")),
     't.toml:9: steps[0].do: failover: unknown service "sequel" (services: sql, exchange, iis)'),
    (drill_text(step(60, "fail-node B"), step(30, "power-on B"), expect("no VM lost")),
     "t.toml:12: steps[1].at: 30 s is before step 1's time (60 s); list steps in time order"),
    (drill_text(step(700, "fail-node B"), expect("no VM lost")),
     "t.toml:8: steps[0].at: 700 s is after the end of the drill (duration_s = 600)"),
    (drill_text(expect("node B is maintenanse")),
     "t.toml:8: expect[0].that: cannot read 'node B is maintenanse': unknown node state "
     "'maintenanse' (states: online, entering_maintenance, maintenance, suspect, failed, "
     "isolated, offline, booting)"),
    (drill_text(expect("node Q is online")),
     't.toml:8: expect[0].that: unknown node "Q" (nodes: A, B, C)'),
    (drill_text(expect("no event node_crashed")),
     't.toml:8: expect[0].that: unknown event kind "node_crashed" (kinds: '
     + ", ".join(EVENT_KINDS) + ")"),
    (drill_text(step(60, "fail-node B"), expect("node B is failed within 30 s after step 2")),
     "t.toml:12: expect[0].that: there is no step 2 (the drill has 1 steps)"),
    (drill_text(step(60, "fail-node B"), expect("node B is failed within 30 s after step boom")),
     't.toml:12: expect[0].that: there is no step named "boom"'),
    (drill_text(step(60, "fail-node B"), expect("node B is failed within 10 min after step 1")),
     "t.toml:12: expect[0].that: the window ends at 660 s, after the end of the drill "
     "(duration_s = 600)"),
    (drill_text(step(60, "maintenance B on"), expect("recovery time after step 1 below 9 s")),
     "t.toml:12: expect[0].that: step 1 (maintenance B on) is not an incident (fail-node, "
     "power-off, isolate or failover)"),
    (drill_text(step(60, "fail-node B"),
                expect("recovery time after step 1 below 9 s within 60 s after step 1")),
     "t.toml:12: expect[0].that: 'recovery time after step 1 below 9 s within 60 s after step "
     "1': recovery times are known at the end only; drop the window or say 'at end'"),
    (drill_text(expect("no split brain within 60 s after start")),
     "t.toml:8: expect[0].that: 'no split brain within 60 s after start': an invariant is "
     "checked at a moment or throughout a window ('at ...', 'from ... to ...', 'throughout'), "
     "not 'within'"),
    (drill_text(expect("node B is online from 300 s to 100 s")),
     "t.toml:8: expect[0].that: the window ends (100 s) before it starts (300 s)"),
    (drill_text("[[expect]]\nthat = \"no VM lost\"\nwhen = \"end\""),
     "t.toml:9: expect[0].when: unknown key (known: that, name)"),
    (HEAD.replace(json.dumps(str(SEED)), '"nowhere.toml"') + expect("no VM lost"),
     't.toml:3: drill.cluster: cannot read "nowhere.toml" (nowhere.toml): No such file or '
     "directory"),
    (HEAD + "[cluster]\nname = \"x\"\n" + expect("no VM lost"),
     "t.toml:3: drill.cluster: names a cluster file, but the drill also embeds [cluster]; use "
     "one or the other"),
    (HEAD.replace(f"cluster = {json.dumps(str(SEED))}\n", "") + expect("no VM lost"),
     "t.toml:1: drill.cluster: required: a cluster file (relative to this drill), unless the "
     "drill embeds [cluster] and [[nodes]]"),
    (drill_text(expect("event node_fenced for B before vm_restarting for sql01")),
     "t.toml:8: expect[0].that: cannot read 'event node_fenced for B before vm_restarting for "
     "sql01': expected 'event KIND [for SUBJECT]' after 'before', got 'vm_restarting'"),
    (drill_text(expect("event node_fenced for B before event vm_restartin for sql01")),
     't.toml:8: expect[0].that: unknown event kind "vm_restartin" (kinds: '
     + ", ".join(EVENT_KINDS) + ")"),
    (drill_text(expect("event node_fenced for B before event vm_restarting for sql09")),
     't.toml:8: expect[0].that: unknown subject "sql09" (a node, VM or service, or cluster)'),
    (drill_text(expect("event node_fenced for B before")),
     "t.toml:8: expect[0].that: cannot read 'event node_fenced for B before': expected "
     "'event KIND [for SUBJECT]' after 'before', got the end of the sentence"),
    (drill_text(expect("no event node_fenced before event vm_restarting")),
     "t.toml:8: expect[0].that: cannot read 'no event node_fenced before event vm_restarting': "
     "expected a window or the end of the sentence ('no event' takes no order: write 'event A "
     "before event B'), got 'before'"),
    (HEAD + "[drils]\n" + expect("no VM lost"),
     "t.toml:7: drils: unknown section (drill: drill, steps, expect; an embedded cluster: "),
    (HEAD + "[[expect]\nthat = 1\n",
     "t.toml:7: invalid TOML: "),
])
def test_errors_are_one_line_naming_file_line_and_key(text, message):
    found = error_of(text)
    assert found.startswith(message) if message.endswith(": ") else found == message


def test_the_cli_turns_a_bad_drill_into_exit_2_and_one_line(tmp_path, capsys):
    path = tmp_path / "bad.toml"
    path.write_text(drill_text(expect("node B is maintenanse")))
    assert main(["drill", str(path)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert len(captured.err.splitlines()) == 1
    assert captured.err.startswith(f"cluster-console: {path}:8: expect[0].that: ")


# -- the expectation language ---------------------------------------------------------------


@pytest.mark.parametrize("sentence", [
    "node B is maintenance", "node B state is maintenance", "node A is not failed",
    "node B is online|maintenance at end", "vm sql01 is running on A", "vm web01 on C",
    "vm web01 is not on B", "vm sql01 downtime below 1 min", "service sql online",
    "service sql is active on sql02", "service sql active on C", "all VMs running",
    "all services are online", "no VM lost", "no split brain",
    "no service active on two members", "invariants hold", "pending VMs = 2",
    "running VMs at least 10", "down VMs is 0", "migrations completed at least 4",
    "migrations failed = 0", "events service_failover for sql at most 1",
    "max VM downtime below 60 s", "max VM downtime of sql01, sql02 below 1 min",
    "max downtime of sql01 sql02 under 60s", "max service downtime below 60 s",
    "service sql downtime less than 40 s", "max recovery time below 2 min",
    "recovery time after step 1 below 90 s", "event node_failed for B within 20 s after step 1",
    "no event service_failed", "at end: no VM lost", "within 30 s after step 2: service sql online",
    "node B is failed from step 1 to end", "node B is online between start and step 1",
    "node B is online throughout", "pending VMs = 0 within 1.5 h after 600 s",
    "pending VMs >= 0 at start", "pending VMs is at most 3",
    "event node_fenced for B before event vm_restarting for sql01",
    "event node_failed before event vm_restarting within 60 s after step 1",
    "from step 1 to end: event node_fenced before event vm_running for app01",
])
def test_the_language_reads(sentence):
    parse(sentence)


@pytest.mark.parametrize(("sentence", "message"), [
    ("", "empty expectation"),
    ("node", "cannot read 'node': expected a node name, got the end of the sentence"),
    ("service sql is online soon",
     "cannot read 'service sql is online soon': expected a window (at end, at T s, at step K, "
     "within D s after ANCHOR, from ANCHOR to ANCHOR, throughout), got 'soon'"),
    ("pending VMs = 2 s", "cannot read 'pending VMs = 2 s': expected a window (at end, at T s, "
                          "at step K, within D s after ANCHOR, from ANCHOR to ANCHOR, "
                          "throughout), got 's'"),
    ("pending VMs = 2s", "cannot read 'pending VMs = 2s': a count takes no unit, got '2s'"),
    ("max VM downtime below 3 d", "cannot read 'max VM downtime below 3 d': expected a window "
                                  "(at end, at T s, at step K, within D s after ANCHOR, from "
                                  "ANCHOR to ANCHOR, throughout), got 'd'"),
    ("max VM downtime below 3d", "cannot read 'max VM downtime below 3d': unknown unit 'd' "
                                 "(s, min, h)"),
    ("max VM downtime around 3 s", "cannot read 'max VM downtime around 3 s': expected a "
                                   "comparison (below, at most, above, at least, =), got "
                                   "'around'"),
    ("at end no VM lost", "cannot read 'at end no VM lost': expected node, vm, service, "
                          "event, no ..., all ..., invariants hold, max ..., recovery time ..., "
                          "pending/running/down VMs, migrations ... or events ... (a window "
                          "goes after the check, or before it with a ':'), got 'at'"),
    ("weather is fine", "cannot read 'weather is fine': expected node, vm, service, event, "
                        "no ..., all ..., invariants hold, max ..., recovery time ..., "
                        "pending/running/down VMs, migrations ... or events ..., got 'weather'"),
])
def test_the_language_says_what_it_expected(sentence, message):
    with pytest.raises(ExpectationError) as caught:
        parse(sentence)
    assert str(caught.value) == message


def test_every_event_kind_the_model_emits_is_known():
    """The list guards `no event KIND` against typos; it must follow the model."""
    source = "\n".join(p.read_text() for p in MODEL.glob("*.py"))
    emitted = set(re.findall(r"emit\(\s*\"([a-z_]+)\"", source))
    emitted |= set(re.findall(r"_set_state\([^)]*?\"([a-z_]+)\"", source, re.S))
    assert emitted, "the model's emit calls were not found"
    assert emitted <= set(EVENT_KINDS), sorted(emitted - set(EVENT_KINDS))


def test_the_benchmarks_24_hour_drill_passes():
    """bench/drill_bench.py is not part of the test run; its drill must not rot meanwhile."""
    import importlib.util

    path = MODEL.parent.parent / "bench" / "drill_bench.py"
    spec = importlib.util.spec_from_file_location("drill_bench", path)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    drill = parse_drill(bench.drill_text(), str(SAMPLE_CLUSTERS / "drills" / "day.toml"))
    assert drill.duration == 86400 and len(drill.steps) == 96
    report, _ = run_drill(drill)
    assert report.passed, [(e.text, e.observed) for e in report.expectations if not e.passed]


# -- simulate runs a drill file ---------------------------------------------------------------


@pytest.mark.parametrize("path", DRILLS, ids=lambda p: p.stem)
def test_simulate_runs_a_drill_file_as_the_drill_runs(path, capsys):
    _, engine = headless_run(path)
    assert main(["simulate", str(path), "--json"]) == 0
    assert capsys.readouterr().out == simulate_json(engine)


def test_simulate_on_a_drill_skips_its_clock_steps_and_lets_the_command_line_win(tmp_path,
                                                                               capsys):
    path = tmp_path / "d.toml"
    path.write_text(drill_text(step(30, "speed 4"), step(60, "fail-node B"),
                               expect("no VM lost")).replace("seed = 0", "seed = 5"))
    _, engine = headless_run(path)
    assert main(["simulate", str(path), "--json"]) == 0
    out = capsys.readouterr().out
    assert out == simulate_json(engine) and '"refused"' not in out
    # --seed and --for win; --do lands after the drill's own steps of its instant
    assert main(["simulate", str(path), "--seed", "7", "--for", "120", "--json",
                 "--do", "60 power-on B"]) == 0
    given = capsys.readouterr().out
    assert main(["simulate", str(SEED), "--seed", "7", "--for", "120", "--json",
                 "--do", "60 fail-node B", "--do", "60 power-on B"]) == 0
    assert given == capsys.readouterr().out


@pytest.mark.parametrize(("lines", "extra", "message"), [
    ((step(60, "fail-node B"), expect("node B is maintenanse")), [],
     "{path}:12: expect[0].that: cannot read 'node B is maintenanse': unknown node state "),
    ((step(60, "fail-node B"), expect("no VM lost")), ["--for", "30"],
     "{path}: step 1 ('fail-node B' at 60 s) is after the end of the run (--for 30)"),
    ((step(60, "fail-node B"), expect("no VM lost")), ["--do", "700 power-on B"],
     "--do '700 power-on B' is after the end of the run (--for 600)"),
    ((step(60, "fial-node B"), expect("no VM lost")), [],
     "{path}:9: steps[0].do: unknown command 'fial-node'"),
])
def test_simulate_refuses_a_bad_drill_in_one_line(tmp_path, capsys, lines, extra, message):
    path = tmp_path / "d.toml"
    path.write_text(drill_text(*lines))
    record = tmp_path / "rec.jsonl"
    assert main(["simulate", str(path), "--record", str(record), *extra]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and len(captured.err.splitlines()) == 1
    assert captured.err.startswith("cluster-console: " + message.format(path=path))
    assert not record.exists()


def test_simulate_records_a_drill_run_that_replays_byte_for_byte(tmp_path, capsys):
    path = SAMPLE_CLUSTERS / "drills" / "capacity-exhaustion.toml"
    record = tmp_path / "rec.jsonl"
    assert main(["simulate", str(path), "--record", str(record)]) == 0
    printed = capsys.readouterr().out
    assert main(["replay", str(record), "--headless"]) == 0
    assert capsys.readouterr().out == printed
