"""Interactive drills (`drill FILE --interactive`): steps arrive on schedule through the console's
one door, the operator answers with keys, the drill panel scores live, and at the end the clock
pauses and the report is shown and saved. Driven by Pilot with a paused clock."""

from __future__ import annotations

import json
import re
import textwrap

import pytest
from ui_helpers import make_app, notes, select_node

from console.cli import main
from console.drills import load_drill, parse_drill, render_text
from console.drills.live import LiveDrill, default_report_path, drill_session
from console.drills.runner import run_drill
from console.formats.event_log import render_text as log_text
from console.formats.recording import load_recording
from console.model.entities import NodeState
from console.paths import SAMPLE_CLUSTERS
from console.replay import replay_headless
from console.ui.drill import DrillMode
from console.ui.launch import drill_recorder
from console.ui.screens.report import ReportScreen
from console.ui.widgets.drill import DrillPane, DrillTable

NODE_CRASH = SAMPLE_CLUSTERS / "drills" / "node-crash.toml"
SEED = SAMPLE_CLUSTERS / "seed.toml"

# The operator's drill: B crashes at 30 s and nothing brings it back but the operator (r), who
# also puts C into maintenance and back (m, m). One expectation cannot pass without them, one
# fails because of a refused command, and one can only be decided at the end.
OPERATOR_DRILL = textwrap.dedent(f"""\
    [drill]
    name = "operator"
    cluster = {json.dumps(str(SEED))}
    duration_s = 400

    [[steps]]
    at = 30
    do = "fail-node B"
    name = "crash"

    [[expect]]
    that = "node B is online within 300 s after 90 s"
    name = "the operator brings B back"

    [[expect]]
    that = "event node_entering_maintenance for C"

    [[expect]]
    that = "no event refused"

    [[expect]]
    that = "node C is online at end"
    """)


def drill_app(drill, report_path, record=None):
    """The console on an interactive drill (paused), recorded to `record` when given."""
    session = drill_session(drill, paused=True)
    live = LiveDrill(session, drill, report_path)
    if record is not None:
        session.record(drill_recorder(record, drill, session.engine))
    app = make_app(session=session, mode=DrillMode(live))
    return app, live




async def advance(pilot, seconds: float, tick: float = 10.0) -> None:
    """Move the clock on in ticks, as the console's timer does."""
    app = pilot.app
    left = seconds
    while left > 1e-9:
        app.advance(min(tick, left))
        left -= tick
    await pilot.pause()


def results(mode: LiveDrill) -> dict[int, tuple[bool | None, str]]:
    return {r.number: (r.passed, r.observed) for r in mode.results()}


async def test_steps_arrive_on_schedule_and_the_panel_scores_live(tmp_path):
    drill = load_drill(NODE_CRASH)
    app, mode = drill_app(drill, tmp_path / "report.txt")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        table = app.screen.query_one(DrillTable)
        assert table.row_count() == len(drill.expectations)
        assert all(passed is None for passed, _ in results(mode).values())
        await advance(pilot, 59)
        assert app.engine.command_log == []  # the step is due at 60 s
        await advance(pilot, 2)
        assert [c.text() for _, c in app.engine.command_log] == ["fail-node B"]
        assert app.engine.command_log[0][0] == 60.0  # on schedule, not on the tick
        assert any("fail-node B" in n for n in notes(app))  # shown like a key's command
        await advance(pilot, 5)
        passed, observed = results(mode)[1]  # node B is suspect within 5 s after step crash
        assert passed is True and observed.startswith("suspect at 63 s")
        await advance(pilot, 15)
        assert results(mode)[2][0] is True  # an event check, known as soon as it is seen
        assert results(mode)[4][0] is None  # "at end": pending until the end
        pane = app.screen.query_one(DrillPane)
        scores = [passed for passed, _ in results(mode).values()]
        assert str(pane.border_subtitle) == (
            f"{scores.count(True)} passed · {scores.count(False)} failed · "
            f"{scores.count(None)} pending · ends at 00:10:00")
        assert table._shown[0][1][1] == ("PASS", "ok")  # what the panel shows, row 1


async def test_the_end_pauses_the_clock_shows_and_saves_the_report(tmp_path):
    """With no keys pressed, the interactive drill's report is the headless one, byte for
    byte; the report screen shows it, the notification says where it is saved."""
    drill = load_drill(NODE_CRASH)
    out = tmp_path / "out" / "node-crash.txt"
    out.parent.mkdir()
    app, mode = drill_app(drill, out)
    async with app.run_test(size=(120, 40)) as pilot:
        await advance(pilot, 600, tick=7.3)
        assert app.engine.now == 600.0 and app.session.clock.paused
        assert isinstance(app.screen, ReportScreen)
        headless, _ = run_drill(load_drill(NODE_CRASH))
        assert out.read_text() == render_text(headless)
        assert mode.report is not None and mode.report.passed
        assert any(f"report saved to {out}" in n for n in notes(app))
        title = app.screen.query_one("#report-title").render()
        assert f"PASSED · report saved to {out}" in str(title)
        await advance(pilot, 100)
        assert app.engine.now == 600.0  # the drill is over: time stands at its end
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, ReportScreen)
        await select_node(pilot, "A")
        await pilot.press("m")  # the drill is over: keys are refused, with the reason
        await pilot.pause()
        assert not app.engine.cluster.nodes["A"].maintenance
        assert any("the drill is over" in n for n in notes(app))


async def test_on_a_short_terminal_the_drill_panel_leaves_the_panes_their_rows(tmp_path):
    from console.ui.widgets.vms import VmsTable

    app, _ = drill_app(load_drill(NODE_CRASH), tmp_path / "report.txt")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        pane = app.screen.query_one(DrillPane)
        assert pane.rows == 4 and pane.region.height == 4  # one expectation, its header, border
        assert app.screen.query_one(VmsTable).region.height >= 3
        events = app.screen.query_one("#events-pane")
        assert events.region.bottom <= pane.region.y  # nothing drawn over the events' border
        await pilot.resize_terminal(120, 40)
        await pilot.pause()
        assert pane.rows == 13  # all ten expectations: there is room


def _visible_numbers(table) -> list[str]:
    """The expectation numbers the drill table shows now (its rows on screen)."""
    return [table.row_key(i) for i in range(table.top, min(table.row_count(),
                                                              table.top + table.page_rows))]


@pytest.mark.parametrize("size", [(120, 40), (200, 60)])
async def test_the_drill_panel_shows_every_expectation_when_there_is_room(tmp_path, size):
    drill = load_drill(NODE_CRASH)
    assert len(drill.expectations) == 10
    app, _ = drill_app(drill, tmp_path / "report.txt")
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        table = app.screen.query_one(DrillTable)
        assert table.region.height == 11  # the header and all ten
        assert _visible_numbers(table) == list(range(1, 11))
        svg = app.export_screenshot()
        for item in drill.expectations:
            assert item.text[:20].replace(" ", "&#160;") in svg, item.text


async def test_on_a_short_terminal_9_focuses_the_drill_panel_which_grows_and_scrolls(tmp_path):
    drill = load_drill(NODE_CRASH)
    app, _ = drill_app(drill, tmp_path / "report.txt")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        pane = app.screen.query_one(DrillPane)
        table = app.screen.query_one(DrillTable)
        assert pane.shown == 1
        await pilot.press("9")
        await pilot.pause()
        assert app.focused is table
        assert pane.shown > 1 and table.region.height == pane.shown + 1  # grown: half the screen
        seen: set[int] = set()
        for _ in range(len(drill.expectations)):
            seen.update(_visible_numbers(table))
            await pilot.press("down")
        seen.update(_visible_numbers(table))
        assert seen == set(range(1, 11))  # scrolled to each one
        await pilot.press("1")
        await pilot.pause()
        assert pane.shown == 1  # the focus left: the panes get their rows back


def test_the_default_report_goes_next_to_the_drill(tmp_path):
    path = tmp_path / "node-crash.toml"
    path.write_text(NODE_CRASH.read_text().replace('"../seed.toml"', json.dumps(str(SEED))))
    assert default_report_path(load_drill(path)) == tmp_path / "node-crash.report.txt"


async def test_the_operator_answers_with_keys_and_is_scored(tmp_path):
    drill = parse_drill(OPERATOR_DRILL, str(tmp_path / "operator.toml"))
    app, mode = drill_app(drill, None)
    async with app.run_test(size=(120, 40)) as pilot:
        await advance(pilot, 60)
        assert app.engine.cluster.nodes["B"].state is NodeState.FAILED
        assert results(mode)[1][0] is None
        await select_node(pilot, "B")
        await pilot.press("r")  # power B on again
        await select_node(pilot, "C")
        await pilot.press("m")  # C into maintenance
        await advance(pilot, 200)
        assert results(mode)[1][0] is True  # B back, thanks to the operator
        assert results(mode)[2][0] is True
        await pilot.press("m")  # and out again
        await pilot.press("colon")
        await pilot.press(*"power-on A", "enter")  # A is on: refused
        await pilot.pause()
        passed, observed = results(mode)[3]
        assert passed is False and "refused" in observed  # failed before the end, live
        await advance(pilot, 140)
        report = mode.report
        assert report is not None and isinstance(app.screen, ReportScreen)
        assert [e.passed for e in report.expectations] == [True, True, False, True]
        saved = tmp_path / "operator.report.txt"
        assert saved.read_text() == render_text(report)
        assert "FAIL   3  no event refused" in saved.read_text()


async def test_an_interactive_drill_records_and_replays_identically(tmp_path):
    """Steps and keys are recorded through the same listeners; the headless replay of the
    recording prints the interactive session's event log."""
    drill = parse_drill(OPERATOR_DRILL, str(tmp_path / "operator.toml"))
    rec = tmp_path / "drill.jsonl"
    app, mode = drill_app(drill, tmp_path / "r.txt", record=rec)
    async with app.run_test(size=(120, 40)) as pilot:
        await advance(pilot, 45, tick=4.1)
        await select_node(pilot, "B")
        await pilot.press("r", "plus")
        await advance(pilot, 400, tick=13.7)
        assert mode.report is not None
        await pilot.press("q")
        await pilot.pause()
    lines = [json.loads(line) for line in rec.read_text().splitlines()]
    assert lines[0]["created_by"] == "drill" and lines[0]["drill"] == "operator"
    assert {"t": 30.0, "command": "fail-node B"} in lines  # the step, at its time
    assert any(line.get("command") == "power-on B" for line in lines)  # the key
    assert any(line.get("clock") == "speed 2" for line in lines)
    assert lines[-1] == {"t": 400.0, "end": True}
    recording = load_recording(rec)
    assert log_text(replay_headless(recording)) == log_text(app.engine)


def test_the_cli_refuses_interactive_with_several_drills_or_json(capsys):
    assert main(["drill", str(NODE_CRASH), str(NODE_CRASH), "--interactive"]) == 2
    assert "--interactive takes one drill at a time" in capsys.readouterr().err
    assert main(["drill", str(NODE_CRASH), "--interactive", "--json"]) == 2
    assert "--json is for headless runs" in capsys.readouterr().err


def test_headless_drill_writes_report_when_asked(tmp_path, capsys):
    out = tmp_path / "r.txt"
    assert main(["drill", str(NODE_CRASH), "--report", str(out)]) == 0
    assert out.read_text() == capsys.readouterr().out


async def test_the_operator_must_act_drill_is_scored_live_as_the_keys_are_pressed(tmp_path):
    drill = load_drill(SAMPLE_CLUSTERS / "drills" / "restore-failover-capacity.toml")
    assert drill.interactive and [s.command.text() for s in drill.steps] == [
        "fail-node B", "fail-node C"]  # the failures only: the fix is the operator's
    app, live = drill_app(drill, tmp_path / "report.txt")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await advance(pilot, 90)
        scores = results(live)
        assert scores[2][0] is None and scores[3][0] is None  # B back? not yet decided
        await select_node(pilot, "B")
        await pilot.press("r")  # recover: power B on
        await pilot.pause()
        assert app.engine.command_log[-1][1].text() == "power-on B"
        await advance(pilot, 130)  # 120 s to boot
        scores = results(live)
        assert scores[2][0] is True and scores[2][1].startswith("online at 210 s")
        pane = app.screen.query_one(DrillPane)
        assert str(pane.border_subtitle).startswith("2 passed")  # sql's failover, and B
        await advance(pilot, 400)  # past the second crash
        assert results(live)[3][0] is True  # B was online when C crashed
        await advance(pilot, 300)
        assert live.report is not None and live.report.passed


async def play_restore_drill(tmp_path, record):
    """The operator-must-act sample played in the console, recorded: r on B at 90 s."""
    drill = load_drill(SAMPLE_CLUSTERS / "drills" / "restore-failover-capacity.toml")
    app, live = drill_app(drill, tmp_path / "report.txt", record=record)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await advance(pilot, 90)
        await select_node(pilot, "B")
        await pilot.press("r")
        await advance(pilot, 810)
        await pilot.press("escape")  # the report screen
        await pilot.press("q")
        await pilot.pause()
    return live


async def test_a_replayed_interactive_drill_shows_its_panel_scored_as_it_was(tmp_path):
    from console.replay import ReplayPlayer, replay_session
    from console.ui.replay import ReplayMode

    rec = tmp_path / "drill.jsonl"
    live = await play_restore_drill(tmp_path, rec)
    assert live.report is not None and live.report.passed
    recording = load_recording(rec)
    assert recording.drill_file is not None and "[[expect]]" in recording.drill_file
    session = replay_session(recording, paused=True)
    app = make_app(session=session, mode=ReplayMode(ReplayPlayer(session, recording)))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        pane = app.screen.query_one(DrillPane)
        table = app.screen.query_one(DrillTable)
        assert table.row_count() == len(live.report.expectations)
        assert all(passed is None for passed, _ in results(pane.live).values())
        await advance(pilot, 240)
        assert results(pane.live)[2] == (True, "online at 210 s (30 s after 180 s)")
        assert str(pane.border_subtitle).startswith("2 passed")
        await advance(pilot, 700)
        assert pane.live.report is not None
        def verdicts(report):  # an `always` check counts its checks: fewer in a replay
            return [(r.passed, re.sub(r"held at all \d+ checks", "held", r.observed))
                    for r in report.expectations]

        assert verdicts(pane.live.report) == verdicts(live.report)
        assert log_text(app.engine) == log_text(live.session.engine)  # the same model
        await pilot.press("left_square_bracket")  # seek back: the panel follows
        await app.workers.wait_for_complete()
        await pilot.pause()
        await pilot.pause()
        pane = app.screen.query_one(DrillPane)
        assert pane.live.report is None and app.engine.now < 900
