"""Widgets whose size their text cannot change repaint without a layout of the screen (each
layout lays out and draws the whole screen again: tens of ms at 40,000 VMs, a key waiting): the
symbol legend on a resize (like the node's spark line and the status bar). Content moves the
panes (a new layout) only once the operator has left the keys for a moment. The completions
strip comes and goes over the panes drawing only its own rows.

`drawn_rows` reads what Textual's compositor is about to draw at each frame (private:
`Screen._compositor_refresh`, `Compositor._dirty_regions`); a whole screen refreshed must read
as every row, so a change of Textual under it fails the tests that use it."""

from __future__ import annotations

from ui_helpers import make_app

from console.formats.cluster import load_cluster
from console.model.commands import parse
from console.model.engine import Engine
from console.paths import SAMPLE_CLUSTERS
from console.ui.screens import main
from console.ui.widgets.command_line import Completions
from console.ui.widgets.legend import SymbolLegend
from console.ui.widgets.migrations import MigrationsTable


async def test_the_legend_follows_the_width_without_a_layout(monkeypatch) -> None:
    layouts: list[bool] = []
    plain = SymbolLegend.update

    def update(self, content="", *, layout=True):
        layouts.append(layout)
        return plain(self, content, layout=layout)

    monkeypatch.setattr(SymbolLegend, "update", update)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        legend = app.screen.query_one(SymbolLegend)
        narrow = str(legend.render())
        layouts.clear()
        await pilot.resize_terminal(200, 40)
        await pilot.pause()
        wide = str(legend.render())
        assert len(wide) > len(narrow)  # more symbols on the wider line
        assert len(wide) <= legend.content_size.width
        assert layouts and not any(layouts)


def datacenter_app(monkeypatch):
    """The datacenter sample's console, content free to move the panes at once (no
    LAYOUT_SETTLE_S): an evacuation's migrations need more rows than the pane has."""
    monkeypatch.setattr(main, "LAYOUT_SETTLE_S", 0.0)
    return make_app(Engine(load_cluster(SAMPLE_CLUSTERS / "datacenter.toml"), 0))


async def test_the_clock_moves_the_panes_only_once_the_keys_rest(monkeypatch) -> None:
    """At the clock's ticks (`refresh_view(by_clock=True)`); the tests' `advance` lays the
    panes out at once, whatever the keys did (the same keys and clock, the same screen)."""
    app = datacenter_app(monkeypatch)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        pane = app.screen.query_one("#migrations-pane")
        before = pane.region.height
        await pilot.press("j")  # the operator at the keys
        app.engine.submit(parse("maintenance esx01 on"))  # the model only: no repaint yet
        app.session.advance(2)
        app.refresh_view(by_clock=True)
        await pilot.pause()
        assert app.screen.query_one(MigrationsTable).shown_count() > 6
        assert pane.region.height == before  # not moved under the keys
        app._last_input -= main.LAYOUT_INPUT_QUIET_S  # the keys rest
        app.session.advance(1)
        app.refresh_view(by_clock=True)
        await pilot.pause()
        await pilot.pause()
        assert pane.region.height > before


async def test_the_tests_advance_moves_the_panes_at_once_even_at_the_keys(monkeypatch) -> None:
    app = datacenter_app(monkeypatch)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        pane = app.screen.query_one("#migrations-pane")
        before = pane.region.height
        await pilot.press("j")
        app.run_command(parse("maintenance esx01 on"), quiet=True)
        app.advance(2)
        await pilot.pause()
        await pilot.pause()
        assert pane.region.height > before


async def test_a_typed_command_moves_the_panes_only_once_the_keys_rest(monkeypatch) -> None:
    """A command is typed: its repaint leaves the panes' sizes (a new layout draws the whole
    screen again while the next key waits); a tick finds the keys resting and lays them out,
    also while the clock is paused."""
    app = datacenter_app(monkeypatch)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert app.session.clock.paused
        pane = app.screen.query_one("#migrations-pane")
        before = pane.region.height
        await pilot.press(":", *"maintenance esx01 on", "enter")
        await pilot.pause()
        assert app.screen.query_one(MigrationsTable).shown_count() > 6
        assert pane.region.height == before  # not moved under the keys
        app.tick(1.0)  # a tick of the paused clock, the keys just typed
        await pilot.pause()
        assert pane.region.height == before
        app._last_input -= main.LAYOUT_INPUT_QUIET_S  # the keys rest
        app.tick(1.0)
        await pilot.pause()
        await pilot.pause()
        assert pane.region.height > before


async def test_the_completions_strip_lies_over_the_panes_without_moving_them() -> None:
    """The strip above the command line comes and goes as a command is typed; the panes keep
    their sizes (a new size lays out and draws the whole screen again)."""
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        body = app.screen.query_one("#body")
        lower = app.screen.query_one("#lower")
        before = (body.region, lower.region)
        await pilot.press(":", *"mig")
        await pilot.pause()
        strip = app.screen.query_one("#completions")
        assert strip.visible and strip.region.height >= 2
        assert strip.region.overlaps(lower.region)  # over the lower pane's last rows
        assert (body.region, lower.region) == before
        await pilot.press("escape")
        await pilot.pause()
        assert (body.region, lower.region) == before


def drawn_rows(screen, monkeypatch) -> list[int]:
    """The number of the screen's rows each of its frames draws from now on (Textual's dirty
    regions as the compositor is about to draw them)."""
    frames: list[int] = []
    paint = screen._compositor_refresh

    def painted():
        regions = screen._compositor._dirty_regions
        frames.append(len({y for region in regions for y in range(region.y, region.bottom)
                           if 0 <= y < screen.size.height}))
        paint()

    monkeypatch.setattr(screen, "_compositor_refresh", painted)
    return frames


async def test_the_completions_strip_comes_and_goes_drawing_only_its_own_rows(monkeypatch):
    """Not displayed while hidden, the strip renumbered the painting order of every pane each
    time it came or went, and the whole screen was drawn again (at 40,000 VMs, 10-15 ms each
    time, a key typed behind waiting)."""
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press(":", "m")
        await pilot.pause()
        screen = app.screen
        strip = screen.query_one(Completions)
        assert strip.has_class("-shown")  # maintenance, mark, migrate, ...
        frames = drawn_rows(screen, monkeypatch)
        screen.refresh()  # the measure sees a whole screen drawn
        await pilot.pause()
        assert frames == [40]
        frames.clear()
        for key, shown in (("z", False), ("backspace", True), ("z", False)):
            await pilot.press(key)  # `mz` matches nothing: the strip goes; back: it comes
            await pilot.pause()
            assert strip.has_class("-shown") == shown
        assert frames and max(frames) <= 6, frames  # the strip's rows and the line's
