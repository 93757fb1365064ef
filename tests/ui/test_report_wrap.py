"""The drill report screen breaks a line wider than the screen between words, its rest indented
under it: at 120x40 the incident line's list of VMs was cut mid-name at the screen's edge."""

from __future__ import annotations

from textual.widgets import Static
from ui_helpers import make_app

from console.drills import load_drill, render_text
from console.drills.live import LiveDrill, drill_session
from console.paths import SAMPLE_CLUSTERS
from console.ui.drill import DrillMode
from console.ui.screens.report import ReportScreen, wrap_report

NODE_CRASH = SAMPLE_CLUSTERS / "drills" / "node-crash.toml"


def test_a_long_line_breaks_between_names_under_its_indent() -> None:
    text = "steps\n  step 1: down: 4 VMs (app01, exch02, iis01, sql01), 2 services (iis, sql)\n"
    assert wrap_report(text, 40).split("\n") == [
        "steps",
        "  step 1: down: 4 VMs (app01, exch02,",
        "      iis01, sql01), 2 services (iis,",
        "      sql)"]
    assert wrap_report("  " + "x" * 50, 20) == "  " + "x" * 50  # a word is never broken


def test_an_expectations_observed_text_goes_on_under_its_column() -> None:
    line = "  PASS   2  event node_failed for B  at 75 s: node_failed B: B missed heartbeats"
    assert wrap_report(line, 60).split("\n") == [
        "  PASS   2  event node_failed for B  at 75 s: node_failed B:",
        "                                     B missed heartbeats"]


async def test_the_report_screen_shows_every_name_whole_at_120_columns(tmp_path) -> None:
    drill = load_drill(NODE_CRASH)
    session = drill_session(drill, paused=True)
    live = LiveDrill(session, drill, tmp_path / "r.txt")
    app = make_app(session=session, mode=DrillMode(live))
    async with app.run_test(size=(120, 40)) as pilot:
        while not isinstance(app.screen, ReportScreen):
            app.advance(10)
            await pilot.pause()
        await pilot.pause()
        text = app.screen.query_one("#report-text", Static)
        shown = str(text.render()).split("\n")
        assert max(map(len, shown)) <= app.screen.query_one("#report-scroll").region.width - 2
        assert " ".join(shown).split() == render_text(live.report).split()
        incident = next(i for i, line in enumerate(shown) if line.startswith("  step 1 at"))
        assert "down: 4 VMs (app01, exch02, iis01, sql01)" in shown[incident]
        assert shown[incident + 1].startswith("      ")  # its rest, indented under it
