"""A key's whole repaint in one frame: the pane that follows the cursor (the VMs of the node under
it) changes in the frame that moves the cursor, and content changes (an evacuation's migrations
coming and going) repaint rows without laying the panes out again; nothing frozen out of the
garbage collector's reach after the first frame (console.collector); Textual draws at the
console's frame rate (console.ui.FRAMES_PER_SECOND)."""

from __future__ import annotations

import gc
import os
import subprocess
import sys

from ui_helpers import make_app

from console import collector
from console.formats.cluster import load_cluster
from console.model.commands import parse
from console.model.engine import Engine
from console.paths import SAMPLE_CLUSTERS
from console.ui import FRAMES_PER_SECOND
from console.ui.screens import main
from console.ui.screens.main import stepped_needs
from console.ui.widgets.keyed_table import KeyedTable
from console.ui.widgets.migrations import MigrationsTable
from console.ui.widgets.nodes import NodesTable
from console.ui.widgets.vms import VmsTable

PANES = ("#top", "#nodes-pane", "#vms-pane", "#side", "#migrations-pane", "#lower")


def _record_frames(screen, monkeypatch) -> list[tuple[object, str, int]]:
    """Each frame the screen paints: the nodes cursor, the VMs pane's subtitle and how many of
    the VMs table's lines it drew."""
    frames: list[tuple[object, str, int]] = []
    drawn = [0]
    vms = screen.query_one(VmsTable)
    render_line = vms.render_line

    def counting(y):
        drawn[0] += 1
        return render_line(y)

    monkeypatch.setattr(vms, "render_line", counting)
    paint = screen._compositor_refresh

    def painted():
        paint()
        frames.append((screen.query_one(NodesTable).cursor_key,
                       str(screen.query_one("#vms-pane").border_subtitle), drawn[0]))
        drawn[0] = 0

    monkeypatch.setattr(screen, "_compositor_refresh", painted)
    return frames


async def test_one_key_repaints_the_nodes_and_the_vms_that_follow_them_in_one_frame(
        monkeypatch):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        screen = app.screen
        frames = _record_frames(screen, monkeypatch)
        for key, node in (("j", "B"), ("j", "C"), ("k", "B")):
            frames.clear()
            await pilot.press(key)
            for _ in range(3):
                await pilot.pause()
            moved = next(i for i, frame in enumerate(frames) if frame[0] == node)
            # the first frame with the cursor on the node already shows its VMs ...
            assert frames[moved][1].startswith(f"on {node}"), frames
            # ... and the VMs table is drawn in that one frame, not again in a later one
            assert [frame[2] > 0 for frame in frames[moved:]] == [True] + [False] * (
                len(frames) - moved - 1), frames


async def test_a_table_tells_its_follower_before_posting_the_message():
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        table = app.screen.query_one(NodesTable)
        told: list[tuple[object, bool]] = []

        def follower(message: KeyedTable.Highlighted) -> None:
            told.append((message.key, message.followed))

        table.follower = follower
        table.action_cursor(1)
        assert told == [("B", False)]  # at once, before the message (not followed yet)
        assert app.screen.query_one(VmsTable).node == "A"  # the screen's own follower replaced


async def test_an_evacuation_changes_rows_but_not_the_panes_sizes(monkeypatch):
    monkeypatch.setattr(main, "LAYOUT_SETTLE_S", 3600.0)  # content moves the panes once at most
    app = make_app(Engine(load_cluster(SAMPLE_CLUSTERS / "datacenter.toml"), 0))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        app.run_command(parse("maintenance esx01 on"), quiet=True)
        app.advance(1)
        await pilot.pause()
        screen = app.screen
        sizes = {pane: screen.query_one(pane).region for pane in PANES}
        counts = set()
        for _ in range(15):
            app.advance(2)
            await pilot.pause()
            counts.add(screen.query_one(MigrationsTable).shown_count())
            assert {pane: screen.query_one(pane).region for pane in PANES} == sizes
        assert len(counts) > 3  # the migrations did come and go


def test_pane_needs_move_in_steps_and_keep_their_rows_within_one():
    needs = {"nodes": 3, "migrations": 0, "lower": 5}
    first = stepped_needs(needs, None)
    assert first == needs  # the first layout: as the panes ask
    assert stepped_needs({**needs, "migrations": 1}, first)["migrations"] == 4
    grown = stepped_needs({**needs, "migrations": 6}, first)
    assert grown["migrations"] == 8
    for count in range(4, 9):  # within a step below: the pane keeps its rows
        assert stepped_needs({**needs, "migrations": count}, grown)["migrations"] == 8
    assert stepped_needs({**needs, "migrations": 2}, grown)["migrations"] == 4
    assert stepped_needs({**needs, "migrations": 0}, grown)["migrations"] == 0


async def test_modal_screens_opened_and_closed_leave_nothing_frozen():
    """The collector's policy (console.collector), as the command line holds it, freezes at the
    first full frame and after the first full pass, and never again: details and help screens
    opened and closed, a full pass while each is open, leave no more frozen than before, and
    no `gc.callbacks` entry is left (their reference cycles, dead once closed, are collected:
    a console runs for days)."""
    callbacks = list(gc.callbacks)
    collector.hold()  # as the command line does
    app = make_app()
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            while not gc.isenabled():  # released at the first full frame
                await pilot.pause()
            assert gc.get_freeze_count() > 0
            gc.collect()  # the first full pass: its survivors frozen too, once
            frozen = gc.get_freeze_count()
            for _ in range(3):
                for opener in ("enter", "question_mark"):
                    await pilot.press(opener)
                    gc.collect()  # a full pass while the modal screen is alive
                    await pilot.press("escape")
            assert gc.get_freeze_count() <= frozen and gc.callbacks == callbacks
    finally:
        collector.release()
        gc.collect()
        gc.unfreeze()


def test_textual_draws_at_the_consoles_frame_rate_unless_told_otherwise():
    """Textual reads its frame rate once, when it is imported: the console's package sets it
    before (a fresh interpreter, as `python -m console` is); TEXTUAL_FPS still says otherwise."""
    code = "import console.ui.app, textual.constants as c; print(c.MAX_FPS)"
    env = {key: value for key, value in os.environ.items() if key != "TEXTUAL_FPS"}
    for told, expected in ((None, FRAMES_PER_SECOND), ("30", 30)):
        run_env = env if told is None else {**env, "TEXTUAL_FPS": told}
        found = subprocess.run([sys.executable, "-c", code], env=run_env, capture_output=True,
                               text=True, check=True)
        assert int(found.stdout) == expected
