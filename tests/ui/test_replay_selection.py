"""The presenter's selection in a recording (`select` lines): written when it changes and before
every mark, played back in the console's replay and in `replay --svg`, so that a screenshot at a
mark shows the row the presenter had selected. Old (version 1) recordings still replay."""

from __future__ import annotations

import json
import re

from test_replay_console import SEED, replay_app
from ui_helpers import make_app, make_session, select_node, select_vm

from console.formats.recording import load_recording
from console.ui.cast import export
from console.ui.launch import console_recorder
from console.ui.widgets.vms import VmsTable


def presenter_app(path):
    """A recorded console whose clock ticks only when the test says (`tick`)."""
    session = make_session()
    session.record(console_recorder(path, session.engine, cluster_file=str(SEED),
                                    cluster_text=SEED.read_text(), read_only=False))
    return make_app(session=session, tick_s=0)


async def presenter_session(path) -> None:
    """A recorded session: B selected, then the VM sql01 in the VMs pane and a mark."""
    app = presenter_app(path)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await select_node(pilot, "B")
        app.advance(10)
        app.note_selection()  # what each tick of the clock does
        await select_vm(pilot, "sql01")
        await pilot.press("up", "up", "down", "down")  # a scroll that comes back, between ticks
        app.advance(20)
        app.note_selection()
        await pilot.press("colon", *"mark on sql01", "enter")
        await pilot.pause()
        await pilot.press("q")
        await pilot.pause()


def body(path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()[1:]]


async def test_the_selection_is_recorded_when_it_changes_at_ticks(tmp_path):
    rec = tmp_path / "r.jsonl"
    await presenter_session(rec)
    lines = body(rec)
    selections = [(line["t"], line["select"]) for line in lines if "select" in line]
    assert selections == [(10.0, "nodes B"), (30.0, "vms sql01")]  # not iis01, passed over
    assert json.loads(rec.read_text().splitlines()[0])["version"] == 2


async def test_a_replay_shows_the_presenters_selection(tmp_path):
    rec = tmp_path / "r.jsonl"
    await presenter_session(rec)
    app, _ = replay_app(rec)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("s")  # the mark (the selection on the way)
        await pilot.pause()
        table = app.screen.query_one(VmsTable)
        assert app.focused is table and table.cursor_key == "sql01"


async def test_a_mark_writes_the_selection_first_even_from_the_command_line(tmp_path):
    rec = tmp_path / "r.jsonl"
    app = presenter_app(rec)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await select_vm(pilot, "dc01")  # no tick since: only the mark writes it
        await pilot.press("colon", *"mark here", "enter")
        await pilot.pause()
        await pilot.press("q")
        await pilot.pause()
    kinds = [(line["t"], next(k for k in line if k != "t"), line.get("select"))
             for line in body(rec)]
    assert kinds == [(0.0, "select", "vms dc01"), (0.0, "mark", None), (0.0, "end", None)]


def row_backgrounds(svg: str, x: str = "12.2") -> dict[str, str]:
    """The background colour behind each cell that starts at column `x` (the VMs pane's first
    column) in an SVG screenshot, by the cell's text."""
    rects = {(m[1], m[2]): m[0] for m in re.findall(
        r'<rect fill="(#[0-9a-f]+)" x="([\d.]+)" y="([\d.]+)"', svg)}
    found = {}
    for cx, line, text in re.findall(
            r'<text class="[^"]+" x="([\d.]+)" y="[\d.]+" textLength="[\d.]+" '
            r'clip-path="url\(#[^)]*line-(\d+)\)">([^<]*)</text>', svg):
        if cx != x:
            continue
        y = f"{1.5 + int(line) * 24.4:.1f}".rstrip("0").rstrip(".")
        found[text.replace("&#160;", " ").strip()] = rects.get((cx, y), "")
    return found


def test_the_svg_at_a_mark_shows_the_selected_row_highlighted(tmp_path):
    import asyncio

    rec = tmp_path / "r.jsonl"
    asyncio.run(presenter_session(rec))
    export(load_recording(rec), svg_dir=tmp_path / "with", speed=40.0)
    plain = tmp_path / "plain.jsonl"  # the same recording without its selections
    plain.write_text("".join(line + "\n" for line in rec.read_text().splitlines()
                             if '"select"' not in line))
    export(load_recording(plain), svg_dir=tmp_path / "without", speed=40.0)
    selected = row_backgrounds((tmp_path / "with" / "001-on-sql01.svg").read_text())
    unselected = row_backgrounds((tmp_path / "without" / "001-on-sql01.svg").read_text())
    assert {"sql01", "iis01"} <= set(selected)  # B's VMs in the VMs pane, as presented
    assert selected["sql01"] and selected["sql01"] != selected["iis01"]  # highlighted
    assert unselected.get("sql01", "") == unselected.get("iis01", "")  # not without
