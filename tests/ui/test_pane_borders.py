"""A pane's border texts (the title naming the sort, the subtitle with the cursor's position)
repaint their border line only: Textual's setters repaint the whole pane, and a key moving a
cursor repainted every line of the panes it named a position in. Counts refreshes, never time."""

from __future__ import annotations

from textual.widget import Widget
from ui_helpers import make_app

from console.ui.widgets.base import Pane


def spy_repaints(pane: Pane, monkeypatch) -> list[tuple]:
    """The lines (outer coordinates: y, height) of `pane` marked for repainting from now on;
    the whole pane as (0, its height)."""
    calls: list[tuple] = []
    original = Widget._set_dirty

    def spied(self, *regions):
        if self is pane:
            inside = pane.content_offset
            calls.extend([(r.y + inside.y, r.height) for r in regions]
                         or [(0, pane.outer_size.height)])
        return original(self, *regions)

    monkeypatch.setattr(Widget, "_set_dirty", spied)  # private: raises if Textual renames it
    return calls


async def test_a_cursor_moving_repaints_only_the_subtitle_line_of_its_pane(monkeypatch):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        app.advance(3.0)
        await pilot.press("1")
        await pilot.pause()
        pane = app.screen.query_one("#nodes-pane", Pane)
        before = pane.border_subtitle
        calls = spy_repaints(pane, monkeypatch)
        await pilot.press("j")
        await pilot.pause()
        assert pane.border_subtitle != before  # the position moved: 2/3
        bottom = pane.outer_size.height - 1
        assert calls == [(bottom, 1)]


async def test_border_texts_set_anew_are_drawn():
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        pane = app.screen.query_one("#nodes-pane", Pane)
        pane.set_border_text(title="Nodes · by CPU", subtitle="2/3")
        await pilot.pause()
        lines = [strip.text for strip in pane.render_lines(pane.outer_size.region)]
        assert "Nodes · by CPU" in lines[0] and "2/3" in lines[-1]
