"""A tick that changes nothing on screen repaints nothing; a clock the model cannot keep up with
says so in the header instead of freezing the console; sorting by a live column through the
views' bulk values keeps the order the per-row values give. Counts refreshes, never time."""

from __future__ import annotations

from textual.widget import Widget
from ui_helpers import make_app

from console.ui import app as app_module
from console.ui.widgets.header import ClusterHeader
from console.ui.widgets.keyed_table import KeyedTable


def header_text(app) -> str:
    return "".join(text for text, _style in app.screen.query_one(ClusterHeader).parts())


def count_refreshes(widgets: list[Widget], monkeypatch) -> dict[str, int]:
    """Count each widget's `refresh` calls (whole or a region) from now on, by id."""
    counts = {str(w.id): 0 for w in widgets}
    for widget in widgets:
        original = widget.refresh

        def counted(*args, _original=original, _id=str(widget.id), **kwargs):
            counts[_id] += 1
            return _original(*args, **kwargs)

        monkeypatch.setattr(widget, "refresh", counted)
    return counts


async def test_a_repaint_with_nothing_changed_refreshes_no_pane(monkeypatch):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        app.advance(3.0)
        await pilot.pause()
        app.refresh_view()
        await pilot.pause()
        widgets = [*app.screen.query(KeyedTable), app.screen.query_one(ClusterHeader)]
        counts = count_refreshes(widgets, monkeypatch)
        for _ in range(3):
            app.refresh_view()
            await pilot.pause()
        assert counts == dict.fromkeys(counts, 0)


async def test_a_second_on_a_quiet_cluster_refreshes_only_what_moved(monkeypatch):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        app.advance(3.0)
        await pilot.pause()
        widgets = [*app.screen.query(KeyedTable), app.screen.query_one(ClusterHeader)]
        counts = count_refreshes(widgets, monkeypatch)
        app.advance(1.0)
        await pilot.pause()
        assert counts["header"] == 1  # the clock
        assert counts["services-table"] == 0 and counts["migrations-table"] == 0


async def test_the_header_says_the_clock_is_behind_while_the_model_cannot_keep_up(monkeypatch):
    monkeypatch.setattr(app_module, "STEP_BUDGET_S", 0.0)  # one simulated second per turn
    app = make_app(paused=False, speed=60.0, tick_s=0)
    async with app.run_test(size=(120, 40)) as pilot:
        start = app.engine.now
        assert app.tick(1.0) == 1.0  # one step of 60; the rest owed, the event loop free
        assert app.engine.now == start + 1.0 and "behind" not in header_text(app)
        assert app.tick(0.25) == 1.0  # a tick found 59 s left over: behind
        assert app.behind_label == "behind 59s" and "x60 behind 59s" in header_text(app)
        monkeypatch.setattr(app_module, "STEP_BUDGET_S", 60.0)  # the model keeps up again
        assert app.tick(0.0) == 73.0 and app.engine.now == start + 75.0
        assert app.behind_label == "behind 73s"  # what this tick found left over
        app.tick(0.0)
        assert app.behind_label == "" and "behind" not in header_text(app)
        await pilot.pause()
