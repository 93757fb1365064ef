"""Interactive drills without a console (console.drills.live): a LiveDrill drives a Session; its
steps enter through the session's door on schedule, the operator's commands are scored, and at
the end the report is written, the clock paused and the operator refused. No Textual."""

from __future__ import annotations

from console.drills import load_drill
from console.drills.live import LiveDrill, default_report_path, drill_session
from console.drills.runner import run_drill
from console.formats.event_log import render_text
from console.model.commands import parse
from console.paths import SAMPLE_CLUSTERS
from console.session import DRILL, OPERATOR

NODE_CRASH = SAMPLE_CLUSTERS / "drills" / "node-crash.toml"


def test_steps_fall_due_through_the_door_and_the_end_is_reported(tmp_path):
    drill = load_drill(NODE_CRASH)
    session = drill_session(drill, paused=True)
    finished = []
    live = LiveDrill(session, drill, tmp_path / "report.txt", on_finish=finished.append)
    heard = []
    session.add_listener(heard.append)
    live.start()
    session.advance(59)
    assert heard == [] and live.next_step() is not None
    session.advance(2)
    assert [(h.t, h.source, h.command.text()) for h in heard] == [(60.0, DRILL, "fail-node B")]
    while not live.over:
        session.advance(13.7)
    assert session.now == drill.duration and session.clock.paused
    assert finished == [live.report] and live.saved == str(tmp_path / "report.txt")
    assert (tmp_path / "report.txt").read_text() == live.text
    report, engine = run_drill(drill)  # headless: the same drill, the same log
    assert render_text(session.engine) == render_text(engine)
    assert [r.passed for r in live.results()] == [r.passed for r in report.expectations]
    session.advance(100)
    assert session.now == drill.duration  # time stands at the drill's end
    refused = session.submit(parse("maintenance A on"))
    assert not refused.accepted and refused.reason.startswith("the drill is over (report: ")


def test_the_operators_commands_are_scored_and_heard(tmp_path):
    drill = load_drill(NODE_CRASH)
    session = drill_session(drill)
    live = LiveDrill(session, drill, tmp_path / "r.txt")
    heard = []
    session.add_listener(heard.append)
    live.start()
    session.advance(10)
    assert session.submit(parse("maintenance C on")).accepted
    assert [(h.source, h.command.text()) for h in heard] == [(OPERATOR, "maintenance C on")]
    assert session.engine.cluster.nodes["C"].maintenance


def test_an_unwritable_report_is_kept_as_an_error_not_raised(tmp_path):
    drill = load_drill(NODE_CRASH)
    session = drill_session(drill)
    live = LiveDrill(session, drill, tmp_path / "no" / "such" / "r.txt")
    live.finish()
    assert live.saved is None and live.save_error and "r.txt" in live.save_error
    assert "not saved" in live.refusal(parse("rebalance"))


def test_the_default_report_sits_beside_the_drill():
    drill = load_drill(NODE_CRASH)
    assert default_report_path(drill) == NODE_CRASH.with_name("node-crash.report.txt")
