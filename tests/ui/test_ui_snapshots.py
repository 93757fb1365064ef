"""Snapshot tests (pytest-textual-snapshot): fixed seed, paused clock, no animation, no toasts,
fixed terminal size. Update with `pytest tests/ui --snapshot-update` and look at the SVGs."""

from __future__ import annotations

import pytest
from ui_helpers import make_app

from console.model.commands import parse


def scene(*commands: str, advance: float = 0.0, keys: tuple[str, ...] = (), engine=None,
          **options):
    app = make_app(engine, **options)

    async def run_before(pilot) -> None:
        await pilot.pause()
        for text in commands:
            app.run_command(parse(text), quiet=True)
        if advance:
            app.advance(advance)
        for key in keys:
            await pilot.press(key)
        await pilot.pause()
        app.clear_notifications()
        await pilot.pause()

    return app, run_before


def test_main_120x40(snap_compare):
    app, before = scene(advance=30)
    assert snap_compare(app, terminal_size=(120, 40), run_before=before)


def test_main_80x24(snap_compare):
    app, before = scene(advance=30)
    assert snap_compare(app, terminal_size=(80, 24), run_before=before)


def test_main_200x60(snap_compare):
    app, before = scene(advance=30)
    assert snap_compare(app, terminal_size=(200, 60), run_before=before)


@pytest.mark.parametrize("size", [(80, 24), (120, 40), (200, 60)], ids=lambda s: f"{s[0]}x{s[1]}")
def test_datacenter(snap_compare, size):
    from console.formats.cluster import load_cluster
    from console.model.engine import Engine
    from console.paths import SAMPLE_CLUSTERS

    engine = Engine(load_cluster(SAMPLE_CLUSTERS / "datacenter.toml"), 0)
    app, before = scene("maintenance esx01 on", advance=4, engine=engine)
    assert snap_compare(app, terminal_size=size, run_before=before)


def test_help(snap_compare):
    app, before = scene(keys=("question_mark",))
    assert snap_compare(app, terminal_size=(120, 40), run_before=before)


def test_migration_in_progress(snap_compare):
    app, before = scene("migrate dc01 C", "migrate sql01 A", advance=12)
    assert snap_compare(app, terminal_size=(120, 40), run_before=before)


def test_failed_node(snap_compare):
    app, before = scene("fail-node A", advance=60)
    assert snap_compare(app, terminal_size=(120, 40), run_before=before)


def test_partition(snap_compare):
    app, before = scene("isolate C", advance=40)
    assert snap_compare(app, terminal_size=(120, 40), run_before=before)


def test_read_only_header_and_greyed_footer(snap_compare):
    app, before = scene(read_only=True)
    assert snap_compare(app, terminal_size=(120, 40), run_before=before)


def test_too_small(snap_compare):
    app, before = scene()
    assert snap_compare(app, terminal_size=(60, 16), run_before=before)


@pytest.mark.parametrize("theme", ["dark", "light", "high-contrast", "monochrome"])
def test_theme(snap_compare, theme):
    app, before = scene("maintenance B on --force", advance=20, theme=theme)
    assert snap_compare(app, terminal_size=(120, 40), run_before=before)
