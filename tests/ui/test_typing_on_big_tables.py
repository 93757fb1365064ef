"""Typing on a big table never waits for it: a filter typed into the `/` bar echoes each key at once
and reaches a big table's rows in slices (the rows shown stay until the new order is ready), and
keys typed right behind `:` all reach the command line; between two slices of a sort or a filter
the event loop turns (keys and frames go first). Small clusters with the slicing threshold
lowered; counts calls and compares orders, never time."""

from __future__ import annotations

import asyncio
from functools import partial

import pytest
from cluster_helpers import make_engine
from ui_helpers import make_app

from console.ui.widgets import keyed_table
from console.ui.widgets.command_line import CommandLine
from console.ui.widgets.keyed_table import KeyedTable
from console.ui.widgets.sliced_order import sliced_order
from console.ui.widgets.table_query import Query
from console.ui.widgets.vms import VmsTable


async def test_a_filter_typed_on_a_big_table_echoes_each_key_and_filters_in_slices(monkeypatch):
    app = make_app(make_engine("datacenter.toml", 4))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("2", "a")  # every VM
        table = app.screen.query_one(VmsTable)
        monkeypatch.setattr(VmsTable, "order_slice_rows", 1)
        at_once = []
        original = KeyedTable._compute_order

        def counted(self):
            at_once.append(self)
            return original(self)

        monkeypatch.setattr(KeyedTable, "_compute_order", counted)
        everything = table.shown_keys()
        bar = app.screen.query_one("#filter-line")
        await pilot.press("slash", "a")
        assert bar.value == "a"  # echoed
        assert table.text_filter == "a"
        for typed in ("ap", "app", "app0", "app00"):
            await pilot.press(typed[-1])
            assert bar.value == typed
        while table._order_job is not None:
            await pilot.pause()
        assert not at_once  # no key waited for a whole filter pass
        monkeypatch.setattr(KeyedTable, "_compute_order", original)
        assert table.shown_keys() == table._compute_order()
        assert 0 < len(table.shown_keys()) < len(everything) or not everything
        await pilot.press("escape", "escape")  # the bar closed, then the filter cleared: at once
        assert table.shown_keys() == everything


async def test_a_sort_picked_on_a_big_table_is_worked_out_in_slices(monkeypatch):
    app = make_app(make_engine("datacenter.toml", 4))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("2", "a")
        table = app.screen.query_one(VmsTable)
        monkeypatch.setattr(VmsTable, "order_slice_rows", 1)
        everything = table.shown_keys()
        table.sort_by(1, True)
        assert table.shown_keys() == everything  # the rows shown stay while it is worked out
        assert table._order_job is not None
        while table._order_job is not None:
            await pilot.pause()
        assert table.shown_keys() == table._compute_order()


async def test_keys_pressed_right_behind_colon_all_reach_the_command_line():
    app = make_app(make_engine("datacenter.toml", 4))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("2", "a")
        await pilot.press("colon", *"fail-node", "space", "x")
        line = app.screen.query_one(CommandLine)
        assert app.focused is line and line.value == "fail-node x"


class RowsPerTurn:
    """Counts the rows whose sort value or filter match is worked out within one turn of the
    event loop: `most` is the most rows worked out without the loop turning, `turns` the turns
    that worked some out."""

    def __init__(self) -> None:
        self.since_turn = self.most = self.turns = 0
        self.pending = False

    def row(self) -> None:
        if not self.pending:  # the first row of this turn: note when the loop turns next
            self.pending = True
            self.turns += 1
            asyncio.get_running_loop().call_soon(self.turned)
        self.since_turn += 1
        self.most = max(self.most, self.since_turn)

    def turned(self) -> None:
        self.pending = False
        self.since_turn = 0


@pytest.mark.parametrize("keys", [(">",), (">", "R"), ("slash", "v", "m", "1"),
                                  ("slash", "a", "enter", "slash", "escape", "escape")])
async def test_a_sort_or_filter_on_a_big_table_works_at_most_a_slice_per_turn(monkeypatch, keys):
    chunk = 7
    app = make_app(make_engine("datacenter.toml", 4))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("2", "a")  # every VM: 648
        table = app.screen.query_one(VmsTable)
        table.sort_by(1)
        while table.shown_keys() and table._order_job is not None:
            await pilot.pause()
        monkeypatch.setattr(VmsTable, "order_slice_rows", 1)
        monkeypatch.setattr(keyed_table, "ORDER_SLICE_S", 0.0)  # one step of work per turn
        monkeypatch.setattr(keyed_table, "sliced_order", partial(sliced_order, chunk=chunk))
        counter = RowsPerTurn()
        sort_value, matches = VmsTable._sort_value, Query.matches

        def counted_sort_value(self, index):
            value = sort_value(self, index)
            return lambda key: counter.row() or value(key)

        monkeypatch.setattr(VmsTable, "_sort_value", counted_sort_value)
        monkeypatch.setattr(Query, "matches",
                            lambda self, texts, shown: counter.row() or matches(self, texts, shown))
        await pilot.press(*keys)
        while table._order_job is not None:
            await pilot.pause()
        assert counter.turns > 1  # the work was sliced
        assert counter.most <= chunk  # never more than a slice before the loop turned
        monkeypatch.undo()
        assert table.shown_keys() == table._compute_order()
