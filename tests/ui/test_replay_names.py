"""The console's own recordings replay: command lines typed with quotes, apostrophes, spaces
and non-ASCII names are refused as commands (names follow one grammar), never written half
read; the model's refusals are recorded and replay as the same refusals."""

from __future__ import annotations

from ui_helpers import make_app, make_session, notes

from console.formats.event_log import render_text
from console.formats.recording import load_recording
from console.paths import SAMPLE_CLUSTERS
from console.replay import replay_headless
from console.ui.launch import console_recorder

SEED = SAMPLE_CLUSTERS / "seed.toml"


async def test_typed_lines_with_odd_names_leave_a_recording_that_replays(tmp_path):
    rec = tmp_path / "session.jsonl"
    session = make_session()
    session.record(console_recorder(rec, session.engine, cluster_file=str(SEED),
                                    cluster_text=SEED.read_text(), read_only=False))
    app = make_app(session=session)
    lines = ["fail-node 'B C'", "deploy 'my vm' win2008", 'add-node "it\'s"',
             "deploy é01 win2008", "power-on A", "fail-node B", "failover sql 'sql02'"]
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        for line in lines:
            app.advance(7.5)
            await pilot.press("colon", *line, "enter")
            await pilot.pause()
        app.advance(60)
        await pilot.press("q")
        await pilot.pause()
    refusals = [note for note in notes(app) if "must be a name" in note]
    assert len(refusals) == 4  # the four lines with names outside the grammar, said why
    recording = load_recording(rec)
    assert [c.text() for _, c in recording.commands()] == \
        ["power-on A", "fail-node B", "failover sql sql02"]
    replayed = replay_headless(recording)
    assert render_text(replayed) == render_text(app.engine)
    assert [e.kind for e in replayed.log.events if e.subject == "A"][:1] == ["refused"]
