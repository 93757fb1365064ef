"""A tick that changes nothing on screen repaints nothing; a clock the model cannot keep up with
says so in the header instead of freezing the console; sorting by a live column through the
views' bulk values keeps the order the per-row values give. Counts refreshes, never time."""

from __future__ import annotations

from dataclasses import replace

from textual.widget import Widget
from ui_helpers import crashed_datacenter_app, make_app, seed_engine

from console.model.commands import parse
from console.ui import app as app_module
from console.ui.widgets.base import clock
from console.ui.widgets.header import ClusterHeader
from console.ui.widgets.keyed_table import KeyedTable
from console.ui.widgets.vms import VmsTable


def header_text(app) -> str:
    return "".join(text for text, _style in app.screen.query_one(ClusterHeader).parts())


def header_shown(app) -> str:
    """The header's line as drawn now (not as it would be drawn afresh)."""
    return app.screen.query_one(ClusterHeader).render_line(0).text


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
        assert app.behind_label == "behind 1m13s"  # what this tick found left over
        app.tick(0.0)
        assert app.behind_label == "" and "behind" not in header_text(app)
        await pilot.pause()


async def test_sorting_every_vm_at_once_keeps_the_row_by_row_order():
    app = crashed_datacenter_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("2", "a")  # every VM, not the node's
        table = app.screen.query_one(VmsTable)
        assert not table.follow
        bulk = [i for i, column in enumerate(table.columns) if column.sort_all is not None]
        assert {table.columns[i].label for i in bulk} >= {"CPU", "Uptime", "State", "Host"}
        for seconds in (30.0, 45.0, 300.0):  # VMs down, restarting, then up again
            app.advance(seconds)
            await pilot.pause()
            for index in bulk:
                for reverse in (False, True):
                    table.sort_by(index, reverse)
                    fast = table.shown_keys()
                    saved = table.columns
                    table.columns = tuple(replace(c, sort_all=None) for c in saved)
                    table.sort_by(None)
                    table.sort_by(index, reverse)
                    plain = table.shown_keys()
                    table.columns = saved
                    assert fast == plain, (table.columns[index].label, reverse, seconds)


async def test_ticks_come_once_a_second_up_to_x1_and_faster_above():
    app = make_app(paused=False, tick_s=0.25)
    async with app.run_test(size=(120, 40)):
        periods = {}
        for speed in (0.25, 1.0, 2.0, 8.0):
            app.session.clock.speed = speed
            periods[speed] = app.tick_period()
        assert periods == {0.25: 1.0, 1.0: 1.0, 2.0: 0.5, 8.0: 0.25}


def behind_app(monkeypatch):
    """An app at x120 whose clock steps the model one simulated second per turn, so that two
    ticks leave it behind (`fall_behind`)."""
    monkeypatch.setattr(app_module, "STEP_BUDGET_S", 0.0)  # one simulated second per turn
    return make_app(paused=False, speed=120.0, tick_s=0)


def fall_behind(app) -> None:
    """Two ticks of `behind_app`: the second finds simulated seconds left over."""
    app.tick(1.0)
    app.tick(0.25)
    assert app.behind_label.startswith("behind")


async def test_pausing_while_behind_stops_at_the_time_on_screen(monkeypatch):
    app = behind_app(monkeypatch)
    async with app.run_test(size=(120, 40)) as pilot:
        fall_behind(app)
        await pilot.press("space")
        shown = app.engine.now  # what the screen shows once paused
        assert app.session.clock.paused and app.behind_label == ""
        assert "behind" not in header_text(app) and clock(shown) in header_text(app)
        await pilot.pause()  # no catch-up steps on while paused
        assert app.engine.now == shown
        await pilot.press("space")  # resumed: no owed seconds come back
        assert app.tick(0.0) == 0.0 and app.engine.now == shown


async def test_a_new_speed_while_behind_drops_the_seconds_owed_at_the_old_one(monkeypatch):
    app = behind_app(monkeypatch)
    async with app.run_test(size=(120, 40)) as pilot:
        fall_behind(app)
        await pilot.press("minus")
        shown = app.engine.now
        assert app.session.clock.speed < 120.0 and app.behind_label == ""
        assert "behind" not in header_text(app)
        await pilot.pause()
        assert app.tick(0.0) == 0.0 and app.engine.now == shown


async def test_the_clock_timer_wakes_once_a_tick_period_and_follows_the_speed():
    app = make_app(paused=False, tick_s=0.25)
    async with app.run_test(size=(120, 40)) as pilot:
        assert app.clock_period == 1.0  # x1: once a real second, not every tick_s
        await pilot.press("plus", "plus")  # x4
        await pilot.pause()
        assert app.clock_period == 0.25
        await pilot.press("minus", "minus", "minus")  # x0.5
        await pilot.pause()
        assert app.clock_period == 1.0


async def test_opening_and_closing_the_command_line_ticks_at_once():
    app = make_app(paused=False, tick_s=0.25)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("colon")
        await pilot.pause()
        assert app.clock_held and "HELD" in header_shown(app)  # without waiting for the timer
        await pilot.press("escape")
        await pilot.pause()
        assert not app.clock_held and "HELD" not in header_shown(app)


def count_rows_computed(tables: list[KeyedTable], monkeypatch) -> dict[str, int]:
    """Count each table's `row_cells` calls from now on, by id."""
    counts = {str(t.id): 0 for t in tables}
    for table in tables:
        original = table.row_cells

        def counted(key, _original=original, _id=str(table.id)):
            counts[_id] += 1
            return _original(key)

        monkeypatch.setattr(table, "row_cells", counted)
    return counts


async def test_a_tick_of_a_paused_clock_refreshes_no_widget_and_computes_no_row(monkeypatch):
    app = make_app(paused=False)
    async with app.run_test(size=(120, 40)) as pilot:
        app.advance(3.0)
        await pilot.pause()
        await pilot.press("space")  # paused
        await pilot.pause()
        refreshed: list[str] = []
        original = Widget.refresh

        def counted(self, *args, **kwargs):
            refreshed.append(f"{type(self).__name__}#{self.id}")
            return original(self, *args, **kwargs)

        monkeypatch.setattr(Widget, "refresh", counted)
        rows = count_rows_computed(list(app.screen.query(KeyedTable)), monkeypatch)
        for _ in range(3):
            assert app.tick(1.0) == 0.0
            await pilot.pause()
        assert refreshed == []
        assert rows == dict.fromkeys(rows, 0)


async def test_a_quiet_second_computes_no_row_of_the_panes_time_alone_leaves_alone(monkeypatch):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        app.advance(3.0)
        await pilot.pause()
        tables = list(app.screen.query(KeyedTable))
        rows = count_rows_computed(tables, monkeypatch)
        log = len(app.engine.log)
        for _ in range(5):
            app.advance(1.0)
            await pilot.pause()
        assert len(app.engine.log) == log  # nothing happened but time
        assert rows["events-table"] == rows["services-table"] == 0
        assert rows["migrations-table"] == 0
        assert rows["nodes-table"] == rows["vms-table"] == 0  # 4-8 s: no sample yet


async def test_the_utilisation_figures_move_with_the_samples_and_the_placement_at_once():
    from console.model import views
    from console.ui.widgets.nodes import NodesTable
    from console.ui.widgets.vms import VmsTable

    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        app.advance(11.0)
        await pilot.pause()
        nodes, vms = app.screen.query_one(NodesTable), app.screen.query_one(VmsTable)
        node = app.engine.cluster.nodes["A"]
        vm = next(v for v in views.vms_on(app.engine, node)
                  if v.workload.profile == "diurnal")
        shown = nodes.row_cells("A"), vms.row_cells(vm.name)
        at_ten = views.node_usage(app.engine, node, t=10.0).cpu
        assert views.node_usage(app.engine, node).cpu == at_ten
        app.advance(8.0)  # 19 s: the 10 s sample still
        await pilot.pause()
        assert (nodes.row_cells("A"), vms.row_cells(vm.name)) == shown
        app.advance(1.0)  # 20 s: the next
        await pilot.pause()
        assert views.node_usage(app.engine, node).cpu == views.node_usage(
            app.engine, node, t=20.0).cpu != at_ten
        app.run_command(parse(f"migrate {vm.name} B"), quiet=True)
        for _ in range(60):
            if vm.host == "B":
                break
            app.advance(1.0)
            await pilot.pause()
        assert vm.host == "B"
        if app.engine.now % 10 == 0:
            app.advance(1.0)
            await pilot.pause()
        sample = views.sampled_at(app.engine)
        assert sample < app.engine.now  # between samples, and yet A no longer counts it:
        assert views.node_usage(app.engine, node).cpu == views.node_usage(
            app.engine, node, t=sample).cpu
        assert vm.name not in [v.name for v in views.vms_on(app.engine, node)]
        line = nodes.shown_index("A") - nodes.top + 1
        shown = nodes.render_line(line).text
        nodes.refresh_rows(force=True)
        assert nodes.render_line(line).text == shown  # the pane shows it so already


async def test_a_sample_in_which_one_vms_cpu_changes_repaints_that_row_only(monkeypatch):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        app.advance(9.0)
        await pilot.pause()
        vms = app.screen.query_one(VmsTable)
        name = next(n for n in vms.shown_keys()
                    if app.engine.cluster.vms[n].workload.profile == "steady")
        line = vms.shown_index(name) + 1  # under the header line
        regions: list = []
        original = vms.refresh

        def counted(*args, **kwargs):
            regions.extend(args or [None])
            return original(*args, **kwargs)

        monkeypatch.setattr(vms, "refresh", counted)
        vm = app.engine.cluster.vms[name]
        vm.workload = replace(vm.workload, cpu=min(1.0, vm.workload.cpu + 0.3))
        app.advance(1.0)
        await pilot.pause()
        assert regions and all(r is not None and (r.y, r.height) == (line, 1) for r in regions)
        cpu = next(x for i, x, _w in vms.layout_columns() if vms.columns[i].label == "CPU")
        assert any(r.x == cpu for r in regions)  # the CPU cell, not the whole line


async def test_panes_that_skip_quiet_ticks_show_what_a_full_comparison_shows():
    from console.ui.widgets.base import ModelTable

    for seed, command in ((1, "fail-node B"), (2, "maintenance C on"), (3, "rebalance"),
                          (4, "isolate B"), (5, "power-off C")):
        app = make_app(seed_engine(seed))
        async with app.run_test(size=(120, 40)) as pilot:
            app.run_command(parse(command), quiet=True)
            for second in range(90):
                app.advance(1.0)
                await pilot.pause()
                if second == 45:
                    await pilot.press("7")  # the balancer pane
                for table in app.screen.query(ModelTable):
                    if not table.display or not table.size.height:
                        continue
                    lines = range(table.size.height)
                    shown = [table.render_line(y).text for y in lines]
                    table.refresh_rows(force=True)
                    assert [table.render_line(y).text for y in lines] == shown, \
                        (seed, second, table.id)


async def test_a_timer_call_a_little_early_or_late_still_ticks(monkeypatch):
    app = make_app(paused=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        start = app.engine.now
        monkeypatch.setattr(app_module.time, "monotonic", lambda: app._last_tick + 0.9)
        app._tick()  # the timer's call, 0.1 s off its period: not dropped for a second
        assert abs(app.engine.now - (start + 0.9)) < 1e-9


async def test_a_second_in_which_every_node_beat_as_before_computes_no_heartbeat_row(monkeypatch):
    """The beat strips and `<1s` of nodes beating steadily do not change with the clock: the
    heartbeats pane computes no row then (views.heartbeat_mark); a crashed node's strip moves
    every second, and its row with it (the comparison with a full one: the test above)."""
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        app.advance(30.0)  # past the strip's width: no slot before the start
        await pilot.pause()
        table = app.screen.query_one("#heartbeats-table", KeyedTable)
        rows = count_rows_computed([table], monkeypatch)
        for _ in range(5):
            app.advance(1.0)
            await pilot.pause()
        assert rows["heartbeats-table"] == 0
        app.run_command(parse("fail-node B"), quiet=True)
        app.advance(1.0)
        await pilot.pause()
        computed = rows["heartbeats-table"]
        app.advance(1.0)
        await pilot.pause()
        assert rows["heartbeats-table"] > computed  # B's strip moves with the clock


async def test_a_tick_asks_the_heartbeat_marks_of_the_nodes_on_show_only(monkeypatch):
    from cluster_helpers import make_engine

    from console.model import views
    from console.ui.widgets.heartbeats import HeartbeatsTable

    app = make_app(make_engine("datacenter.toml", 4))
    async with app.run_test(size=(120, 40)) as pilot:
        app.advance(3.0)
        await pilot.pause()
        table = app.screen.query_one(HeartbeatsTable)
        assert table.page_rows < len(app.engine.cluster.nodes)  # some nodes are off screen
        asked: list[str] = []
        original = views.heartbeat_mark
        monkeypatch.setattr(views, "heartbeat_mark",
                            lambda engine, node, slots: asked.append(node.name)
                            or original(engine, node, slots))
        app.advance(1.0)
        await pilot.pause()
        assert asked and set(asked) <= set(table.shown_keys()[table.top:][:table.page_rows])
