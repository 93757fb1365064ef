"""A big table's order for changed values worked out in slices equals the order worked out at
once (randomised keys and values with fixed seeds; the VMs pane on a small cluster with the
slicing threshold lowered); moving over the nodes neither re-sorts the VMs pane showing all VMs
nor lays the screen out again. Counts calls and compares orders, never time."""

from __future__ import annotations

import random

import pytest
from cluster_helpers import make_engine
from textual.widget import Widget
from ui_helpers import crashed_datacenter_app, make_app

from console.ui.widgets.nodes import NodeSpark
from console.ui.widgets.sliced_order import sliced_order
from console.ui.widgets.vms import VmsTable


def run(job):
    """Drive a `sliced_order` job to its end; (the order, the number of slices)."""
    slices = 0
    try:
        while True:
            next(job)
            slices += 1
    except StopIteration as done:
        return done.value, slices


@pytest.mark.parametrize("seed", range(12))
def test_sliced_order_equals_a_stable_sort(seed):
    rng = random.Random(seed)
    keys = [f"vm{n}" for n in range(rng.randrange(0, 2500))]
    rng.shuffle(keys)
    values = {key: rng.randrange(6) for key in keys}  # many ties: stability shows
    keep = (lambda key: hash(key) % 3 != 0) if seed % 2 else None
    for reverse in (False, True):
        plain = sorted((k for k in keys if keep is None or keep(k)), key=values.__getitem__,
                       reverse=reverse)
        order, slices = run(sliced_order(keys, keep, values.__getitem__, reverse,
                                         chunk=rng.randrange(1, 400)))
        assert order == plain
        assert slices >= 1 or not keys
    assert run(sliced_order(keys, None, None))[0] == keys


def test_sliced_order_refuses_an_empty_chunk():
    with pytest.raises(ValueError, match="chunk"):
        run(sliced_order(["a"], None, None, chunk=0))


async def test_the_vms_pane_sorted_in_slices_shows_the_order_worked_out_at_once(monkeypatch):
    app = crashed_datacenter_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("2", "a")  # every VM, not the node's
        table = app.screen.query_one(VmsTable)
        monkeypatch.setattr(VmsTable, "order_slice_rows", 1)
        started = []
        original = VmsTable._start_order_job

        def counted(self, values, marker):
            started.append(values)
            original(self, values, marker)

        monkeypatch.setattr(VmsTable, "_start_order_job", counted)
        cases = [(label, reverse, text) for label in ("CPU", "Uptime", "State", "VM")
                 for reverse in (False, True) for text in ("", "running")]
        labels = [c.label for c in table.columns]
        for seconds, (label, reverse, text) in zip([30.0, 15.0, 300.0] * 6, cases,
                                                    strict=False):
            table.set_filter(text)
            table.sort_by(labels.index(label), reverse)
            table.shown_keys()  # the order for this sort and filter, in slices too
            while table._order_job is not None:
                await pilot.pause()
            table._order_due = 0.0
            before = len(started)
            marker = table.values_marker()
            app.advance(seconds)  # VMs down, restarting, up again: the values change
            table.shown_keys()  # the old order shows while the new one is worked out
            assert len(started) == before + (table.values_marker() != marker)
            await pilot.pause()
            while table._order_job is not None:
                await pilot.pause()
            assert table.shown_keys() == table._compute_order(), (label, reverse, text)
        assert len(started) >= 8  # the live columns' orders at least were sliced


async def test_moving_over_the_nodes_keeps_the_order_of_all_vms(monkeypatch):
    app = make_app(make_engine("datacenter.toml", 4))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("2", "a")
        table = app.screen.query_one(VmsTable)
        table.sort_by(5)  # CPU
        table.shown_keys()
        computed = []
        original = VmsTable._compute_order
        monkeypatch.setattr(VmsTable, "_compute_order",
                            lambda self: computed.append(1) or original(self))
        await pilot.press("1", "down", "down", "up")
        await pilot.pause()
        assert table.node is not None and not table.follow
        assert computed == []


async def test_moving_over_the_nodes_lays_nothing_out(monkeypatch):
    app = make_app(make_engine("datacenter.toml", 4))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("1")
        await pilot.pause()
        layouts = []
        original = Widget.refresh

        def refresh(self, *args, layout: bool = False, **kwargs):
            if layout:
                layouts.append(type(self).__name__)
            return original(self, *args, layout=layout, **kwargs)

        monkeypatch.setattr(Widget, "refresh", refresh)
        spark = app.screen.query_one(NodeSpark)
        shown = str(spark.render())
        await pilot.press("down", "down", "up")
        await pilot.pause()
        assert str(spark.render()) != shown  # the sparkline follows the cursor ...
        assert layouts == []  # ... without a layout of the screen


async def test_vms_showing_the_same_cpu_figure_keep_the_order_of_their_names():
    from console.model import views
    from console.ui.widgets.keyed_table import percent

    app = make_app(make_engine("datacenter.toml", 4))
    async with app.run_test(size=(120, 40)) as pilot:
        app.advance(95.0)
        await pilot.press("2", "a")
        table = app.screen.query_one(VmsTable)
        table.sort_by(5)  # CPU, the biggest first
        order = table._compute_order()
        shown = [percent(views.vm_cpu(app.engine, app.engine.cluster.vms[n])) for n in order]
        assert shown == sorted(shown, reverse=True)
        pairs = zip(order, order[1:], shown, shown[1:], strict=False)  # each row and the next
        ties = [(a, b) for a, b, x, y in pairs if x == y]
        assert ties and all(a < b for a, b in ties)
