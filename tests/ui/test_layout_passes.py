"""Widgets whose size their text cannot change repaint without a layout of the screen (each
layout lays out and draws the whole screen again: tens of ms at 40,000 VMs, a key waiting): the
symbol legend on a resize (like the node's spark line and the status bar)."""

from __future__ import annotations

from ui_helpers import make_app

from console.ui.widgets.legend import SymbolLegend


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
