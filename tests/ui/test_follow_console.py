"""`cluster-console follow JOURNAL` in the console (console.ui.follow): a leader session
journaling in-process (paused clock, driven by hand) and followers, one a Pilot app, one
headless; they show the leader's crash, refuse every change with "following a session:
read-only", show the leader's end, catch up when started late, and show a followed drill's
panel. Time never comes from the followers' clocks; the poll is called by hand, except where
the console's own poll timer is waited for (a condition with a deadline, no sleeps; the lag
itself is measured by bench/follow_bench.py, never in a test)."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import pytest
from journal_helpers import drill_leader, journaled_session, run
from ui_helpers import notes, select_node

from console.follow import POLL_S, READ_ONLY, Follower, open_reader
from console.model.commands import parse
from console.ui import launch
from console.ui.launch import follow_console
from console.ui.widgets.footer import ConsoleFooter
from console.ui.widgets.header import ClusterHeader
from console.ui.widgets.keyed_table import cell_text
from console.ui.widgets.nodes import NodesTable

SIZE = (120, 40)


def follower_app(path: Path, *, poll_s: float = 0.0):
    """The follow console on `path` (no poll timer unless `poll_s`), caught up with what the
    journal holds."""
    app = follow_console(open_reader(path), theme="dark", poll_s=poll_s)
    app.animation_level = "none"
    return app


def shown_state(app, node: str) -> str:
    """The node's state as the nodes pane shows it."""
    table = app.screen.query_one(NodesTable)
    return cell_text(table.row_cells(node)[1])


def bar_text(app) -> str:
    return "".join(part.text for part in app.screen.query_one("#follow-bar").parts())


async def test_followers_show_the_crash_refuse_every_change_and_the_end(tmp_path):
    path = tmp_path / "s.journal"
    session, journal = journaled_session(path, synced=True)
    app = follower_app(path)
    headless = Follower(open_reader(path))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert "FOLLOWING" in [text for text, _ in app.screen.query_one(ClusterHeader).parts()]
        run(session, 10)
        session.submit(parse("fail-node A"))
        run(session, 30)
        journal.sync(session.now)
        app.mode.update(budget_s=None)
        headless.poll()
        assert headless.play()
        await pilot.pause()
        assert shown_state(app, "A") == "failed"
        assert headless.session.engine.cluster.nodes["A"].state.value == "failed"
        assert bar_text(app).startswith(" FOLLOWING  s.journal leader at 00:00:40 · live · "
                                        "1 command · last 00:00:10 fail-node A")
        events = list(session.engine.log.events)
        assert app.engine.log.events == headless.session.engine.log.events == events
        await select_node(pilot, "B")
        await pilot.press("m")  # maintenance
        await pilot.press("x")  # crash (asks first in a live console)
        await pilot.press("colon", *"fail-node B", "enter")
        await pilot.press("space")
        await pilot.press("plus")
        await pilot.pause()
        refusals = [n for n in notes(app) if READ_ONLY in n]
        assert len(refusals) == 5, notes(app)
        assert sum("the leader's clock rules" in n for n in refusals) == 2
        for text in ("maintenance B on", "fail-node B", "pause"):
            assert not headless.session.submit(parse(text)).accepted
        assert app.engine.log.events == headless.session.engine.log.events == events
        assert app.engine.now == 40.0
        session.close()
        app.mode.update(budget_s=None)
        headless.poll()
        headless.play()
        await pilot.pause()
        assert "the session ended at 00:00:40" in bar_text(app)
        assert any("the session ended at 00:00:40" in n for n in notes(app))
        assert headless.player.ended
        assert app.engine.log.events == headless.session.engine.log.events \
            == session.engine.log.events


async def test_the_poll_timer_brings_the_leaders_commits(tmp_path):
    """The console's own poll (every POLL_S real seconds) brings a commit to the screen; how
    soon is a figure of bench/follow_bench.py (a timed test would fail on a busy machine)."""
    path = tmp_path / "s.journal"
    session, journal = journaled_session(path, synced=True)
    app = follower_app(path, poll_s=POLL_S)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        session.submit(parse("fail-node C"))
        run(session, 20)  # the heartbeats tell the cluster
        journal.sync(session.now)
        deadline = time.monotonic() + 30  # no hang; not a measure
        while shown_state(app, "C") != "failed" and time.monotonic() < deadline:
            await pilot.pause(0.05)
        assert shown_state(app, "C") == "failed"
    assert POLL_S <= 0.25  # a commit waits a poll at most: within 1 s of the leader
    session.close()


async def test_a_late_follower_opens_on_the_leaders_state(tmp_path):
    path = tmp_path / "s.journal"
    session, journal = journaled_session(path, synced=True)
    run(session, 5)
    session.submit(parse("fail-node B"))
    run(session, 600)
    journal.sync(session.now)
    app = follower_app(path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert shown_state(app, "B") == "failed"
        assert app.engine.now == session.now
        assert app.engine.log.events == session.engine.log.events
        assert "leader at 00:10:05 · live" in bar_text(app)
    session.close()


async def test_a_followed_drill_shows_its_panel(tmp_path):
    path = tmp_path / "d.journal"
    live, journal = drill_leader(path, tmp_path / "report.txt")
    live.session.advance(90)
    live.session.journal.time(live.session.now, force=True)
    journal.sync(live.session.now)
    app = follower_app(path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        panel = app.screen.query_one("#drill-table")
        assert [r.passed for r in panel.results] == [r.passed for r in live.results()]
        assert any(r.passed for r in panel.results)
        await pilot.press("9")
        assert app.focused is panel
    live.session.close()


@pytest.mark.parametrize("big", [False, True])
async def test_a_long_catch_up_plays_behind_the_loading_screen(tmp_path, monkeypatch, big):
    path = tmp_path / "s.journal"
    session, journal = journaled_session(path, synced=True)
    session.submit(parse("fail-node B"))
    run(session, 600)
    journal.sync(session.now)
    monkeypatch.setattr(launch, "FOLLOW_INLINE_S", 0.0)  # one chunk inline, then the loader
    if big:  # the cluster itself is built behind the loading screen
        monkeypatch.setattr(launch, "loads_behind_screen", lambda *_args: True)
    app = follow_console(open_reader(path), theme="dark", poll_s=0.0)
    assert app.session is None  # the screen opens before the catch-up
    assert ("building its cluster" if big else "catching up with the leader, 10%") \
        in app.loading_status()
    async with app.run_test(size=SIZE) as pilot:
        deadline = time.monotonic() + 10
        while app.main_screen() is None and time.monotonic() < deadline:
            await pilot.pause(0.02)
        await pilot.pause()
        assert shown_state(app, "B") == "failed"
        assert app.engine.log.events == session.engine.log.events
        assert "FOLLOWING" in [text for text, _ in app.screen.query_one(ClusterHeader).parts()]
    session.close()


async def test_a_divergence_is_said_and_the_last_good_state_shown(tmp_path):
    path = tmp_path / "s.journal"
    session, journal = journaled_session(path, synced=True)
    app = follower_app(path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        run(session, 10)
        session.submit(parse("fail-node A"))
        run(session, 30)
        journal.sync(session.now)
        with sqlite3.connect(path) as connection:  # as another program version would log
            connection.execute("UPDATE events SET message = 'something else' WHERE n = 0")
        app.mode.update(budget_s=None)
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "the replay diverges from the journal at entry 1 (10 s command fail-node A)" \
            in bar_text(app)
        assert any("following stopped" in n for n in notes(app))
        assert app.engine.now == 10.0 and shown_state(app, "A") == "online"
    session.close()


async def palette_pick(pilot, query: str) -> None:
    """Open the command palette, type `query`, wait for its hits and pick the first."""
    await pilot.press("ctrl+p")
    await pilot.press(*query)
    await pilot.app.workers.wait_for_complete()  # the palette searches in a worker
    await pilot.pause()
    await pilot.press("enter")
    await pilot.pause()


async def test_the_palette_on_a_follower_says_the_refusal(tmp_path):
    """A change picked in the command palette is refused aloud, as its key is (Textual skips
    a greyed action without a word)."""
    path = tmp_path / "s.journal"
    session, _journal = journaled_session(path, synced=True)
    app = follower_app(path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await select_node(pilot, "C")
        for query in ("crash the selected", "maintenance on/off", "pause / resume"):
            await palette_pick(pilot, query)
        refusals = [n for n in notes(app) if READ_ONLY in n]
        assert len(refusals) == 3, notes(app)
        assert app.engine.command_log == []
    session.close()


async def test_a_followers_footer_offers_no_key_it_refuses(tmp_path):
    """The keys a follower refuses (the changes, the clock's: the leader's clock rules) are
    greyed in its footer, running or paused, as a replay greys its changes; pressed, they
    still say why."""
    path = tmp_path / "s.journal"
    session, _journal = journaled_session(path, synced=True)
    app = follower_app(path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        for paused in (False, True):
            app.session.clock.paused = paused
            app.screen.refresh_bindings()
            await pilot.pause()
            footer = app.screen.query_one(ConsoleFooter)
            shown = {key: enabled for key, _a, _d, enabled, _t, _s
                     in footer.shown_keys(app.screen)}
            assert shown["m"] is shown["x"] is shown["space"] is False, shown
            assert shown["question_mark"] is True
            assert app.screen.check_action("faster", ()) is None
        await pilot.press("space")
        await pilot.pause()
        assert any("the leader's clock rules" in n for n in notes(app))
    session.close()
