"""Snapshots of an interactive drill: the drill panel mid-drill, and the report screen at the end.
Paused clock, fixed size, no toasts. The drill and its cluster are copied to a temporary folder
and named relative to it (the report names both, and where it is saved)."""

from __future__ import annotations

from ui_helpers import make_app

from console.drills import load_drill
from console.drills.live import LiveDrill, drill_session
from console.paths import SAMPLE_CLUSTERS
from console.ui.drill import DrillMode

NODE_CRASH = SAMPLE_CLUSTERS / "drills" / "node-crash.toml"


def drill_scene(advance: float):
    drill = load_drill("drills/node-crash.toml")
    session = drill_session(drill, paused=True)
    app = make_app(session=session,
                   mode=DrillMode(LiveDrill(session, drill, "node-crash.report.txt")))

    async def run_before(pilot) -> None:
        await pilot.pause()
        left = advance
        while left > 0:
            app.advance(min(10.0, left))
            left -= 10.0
        await pilot.pause()
        app.clear_notifications()
        await pilot.pause()

    return app, run_before


def in_folder(tmp_path, monkeypatch) -> None:
    (tmp_path / "drills").mkdir()
    (tmp_path / "drills" / "node-crash.toml").write_text(NODE_CRASH.read_text())
    (tmp_path / "seed.toml").write_text((SAMPLE_CLUSTERS / "seed.toml").read_text())
    monkeypatch.chdir(tmp_path)


def test_drill_panel_mid_drill(snap_compare, tmp_path, monkeypatch):
    in_folder(tmp_path, monkeypatch)
    app, before = drill_scene(90)
    assert snap_compare(app, terminal_size=(120, 40), run_before=before)


def test_drill_report_screen(snap_compare, tmp_path, monkeypatch):
    in_folder(tmp_path, monkeypatch)
    app, before = drill_scene(600)
    assert snap_compare(app, terminal_size=(120, 40), run_before=before)
