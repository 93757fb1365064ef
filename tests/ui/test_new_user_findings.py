"""What a new user found in the console after issue 11's work, each as a test: keys typed in one
burst apply in order, the header never shows an imbalance nobody measured, a pasted filter of
the same words is one term, and rows the VMs cannot fill go to the events."""

from __future__ import annotations

from textual import events
from ui_helpers import make_app

from console import session as session_module
from console.model import views
from console.model.commands import parse
from console.ui.screens.main import pane_rows
from console.ui.widgets.events import EventsTable
from console.ui.widgets.header import ClusterHeader
from console.ui.widgets.table_query import parse_query


async def test_a_filter_typed_right_behind_a_pane_number_filters_that_pane():
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("1")
        await pilot.pause()
        for key, character in (("6", "6"), ("slash", "/"), ("s", "s")):  # one burst, as over SSH
            app.post_message(events.Key(key, character))
        await pilot.pause()
        await pilot.pause()
        assert isinstance(app.screen._filter_target, EventsTable)
        assert app.screen.query_one("#filter-line").value == "s"


async def test_the_header_shows_no_imbalance_before_anything_measured_it(monkeypatch):
    monkeypatch.setattr(session_module, "LIVE_IMBALANCE_VMS", 0)  # as on a big cluster
    app = make_app()
    assert views.last_imbalance(app.engine) is None
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        text = " ".join(part for part, _ in app.screen.query_one(ClusterHeader)._parts)
        assert "imbalance -" in text and "imbalance 0.00" not in text
        app.run_command(parse("rebalance"), quiet=True)
        app.advance(1)
        await pilot.pause()
        text = " ".join(part for part, _ in app.screen.query_one(ClusterHeader)._parts)
        assert "imbalance -" not in text


def test_a_filter_of_the_same_words_pasted_many_times_is_one_term():
    query = parse_query("host:A " * 500 + "web " * 500, {"host": 2})
    assert query.fields == ((2, "A"),) and query.words == ("web",)


def test_rows_the_vms_cannot_fill_go_to_the_events():
    needs = {"nodes": 3, "services": 3, "migrations": 0, "lower": 25}
    full = pane_rows({**needs, "vms": 40}, 58, roomy=True, short=False)
    empty = pane_rows({**needs, "vms": 0}, 58, roomy=True, short=False)
    assert empty["lower"] > full["lower"] and empty["lower"] <= 25 + 3
    assert 58 - sum(empty.values()) >= 58 // 3  # the VMs keep a third
