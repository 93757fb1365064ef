"""Snapshot of the console replaying a recording: the replay bar (progress, last and next
commands), REPLAY in the header, the mutating keys greyed in the footer and the step key shown.
Paused clock, fixed size, no toasts; the recording has a relative name."""

from __future__ import annotations

from test_replay_console import a_recording
from ui_helpers import make_app

from console.formats.recording import load_recording
from console.replay import ReplayPlayer, replay_session
from console.ui.replay import ReplayMode


def test_replay_in_progress(snap_compare, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    a_recording("r.jsonl", "30 fail-node B", "95 migrate web01 B", "150 power-on B",
                end=300.0)
    recording = load_recording("r.jsonl")
    session = replay_session(recording, paused=True)
    app = make_app(session=session, mode=ReplayMode(ReplayPlayer(session, recording)))

    async def run_before(pilot) -> None:
        await pilot.pause()
        await pilot.press("s", "s")  # to the migration at 95 s
        app.advance(20)
        await pilot.pause()
        app.clear_notifications()
        await pilot.pause()

    assert snap_compare(app, terminal_size=(120, 40), run_before=run_before)
