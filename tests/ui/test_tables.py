"""The tables as k9s and htop users handle them: sort by a column, zoom a pane, the scroll position,
panes sized by their content, `/` field filters and n / N, h / l by the layout's geometry, and
values that are not cut where the width allows."""

from __future__ import annotations

import pytest
from rich.cells import cell_len
from ui_helpers import make_app, seed_engine

from console.formats.cluster import load_cluster
from console.model import views
from console.model.commands import parse
from console.model.engine import Engine
from console.paths import SAMPLE_CLUSTERS
from console.ui.screens.main import VMS_MIN, pane_rows
from console.ui.screens.sort_picker import SortPicker
from console.ui.widgets.base import age
from console.ui.widgets.events import EventsTable
from console.ui.widgets.heartbeats import HeartbeatsTable
from console.ui.widgets.keyed_table import KeyedTable, cell_text, natural
from console.ui.widgets.migrations import MigrationsTable
from console.ui.widgets.nodes import NodesTable
from console.ui.widgets.services import ServicesTable
from console.ui.widgets.table_query import parse_query
from console.ui.widgets.vms import VmsTable

CPU = 5  # the VMs table's CPU column


def sample(name: str) -> Engine:
    return Engine(load_cluster(SAMPLE_CLUSTERS / f"{name}.toml"), 0)


def vm_cpu(app, name) -> float:
    return views.vm_cpu(app.engine, views.vms(app.engine)[name])


# -- sorting ------------------------------------------------------------------------------------


async def test_sorting_by_cpu_puts_the_busiest_first_and_survives_a_refresh():
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        app.advance(30)
        await pilot.press("2", "a", *["greater_than_sign"] * (CPU + 1))
        table = app.screen.query_one(VmsTable)
        assert table.sort_column == CPU and table.sort_reverse  # CPU starts with the busiest
        cpus = [vm_cpu(app, k) for k in table.shown_keys()]
        assert cpus == sorted(cpus, reverse=True) and cpus[0] > cpus[-1]
        pane = app.screen.query_one("#vms-pane")
        assert pane.border_title == "2 VMs · sorted by CPU ▼"
        header = "".join(s.text for s in table.render_line(0))
        assert "CPU▼" in header
        app.run_command(parse("migrate sql01 A"), quiet=True)
        app.advance(120)
        await pilot.pause()
        cpus = [vm_cpu(app, k) for k in table.shown_keys()]
        assert cpus == sorted(cpus, reverse=True)
        assert [table.shown_key(i) for i in range(table.shown_count())][:1] == [
            max(table.shown_keys(), key=lambda k: (vm_cpu(app, k), -table.shown_keys().index(k)))]


async def test_r_reverses_and_the_ends_of_the_cycle_give_the_own_order():
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("2", "a")
        table = app.screen.query_one(VmsTable)
        own = table.shown_keys()
        await pilot.press("greater_than_sign")  # by name, ascending
        assert table.sort_label() == "sorted by VM ▲" and table.shown_keys() == own
        await pilot.press("R")
        assert table.shown_keys() == own[::-1]
        assert app.screen.query_one("#vms-pane").border_title == "2 VMs · sorted by VM ▼"
        await pilot.press("less_than_sign")  # before the first column: the table's own order
        assert table.sort_column is None and table.shown_keys() == own
        assert app.screen.query_one("#vms-pane").border_title == "2 VMs"


async def test_ties_keep_the_name_order_so_the_screen_is_deterministic():
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("2", "a")
        table = app.screen.query_one(VmsTable)
        table.sort_by(3)  # vCPU, biggest first
        keys = table.shown_keys()
        vms = views.vms(app.engine)
        assert keys == sorted(keys, key=lambda k: (-vms[k].vcpus, k))


async def test_f6_picks_the_sort_column():
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("1", "f6")
        assert isinstance(app.screen, SortPicker)
        await pilot.press("down", "down", "down", "down", "enter")  # (own), Node, State, Hyp, CPU
        table = app.screen.query_one(NodesTable)
        assert table.sort_label() == "sorted by CPU ▼"
        usage = [views.node_usage(app.engine, views.nodes(app.engine)[k]).cpu
                 for k in table.shown_keys()]
        assert usage == sorted(usage, reverse=True)


def test_natural_order():
    assert sorted(["web10", "web2", "Web1"], key=natural) == ["Web1", "web2", "web10"]
    assert sorted(["10%", "9%"], key=natural) == ["9%", "10%"]


# -- zoom and position --------------------------------------------------------------------------


async def test_z_zooms_the_focused_pane_and_back():
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("2")
        pane = app.screen.query_one("#vms-pane")
        before = pane.region
        await pilot.press("z")
        await pilot.pause()
        assert app.screen.maximized is pane
        assert pane.region.height == 38 and pane.region.width == 120  # all but header, footer
        assert not app.screen.query_one("#nodes-pane").region  # not drawn
        await pilot.press("z")
        await pilot.pause()
        assert app.screen.maximized is None and pane.region == before


async def test_the_position_follows_the_cursor():
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("2", "a", "g")
        pane = app.screen.query_one("#vms-pane")
        assert pane.border_subtitle.endswith("1/12")
        await pilot.press("j", "j")
        assert pane.border_subtitle.endswith("3/12")
        await pilot.press("G")
        assert pane.border_subtitle.endswith("12/12")
        nodes = app.screen.query_one("#nodes-pane")
        await pilot.press("1", "j")
        assert nodes.border_subtitle == "2/3"


# -- panes sized by their content ---------------------------------------------------------------


def test_extra_rows_go_to_the_vms_and_empty_panes_stay_small():
    needs = {"nodes": 3, "services": 2, "migrations": 0, "lower": 0}
    rows = pane_rows(needs, 58, roomy=True, short=False)  # 200x60
    assert rows["lower"] == 4 and rows["side"] == 5  # an empty events pane: its frame and a line
    assert 58 - sum(rows.values()) == 58 - 7 - 4 - 5
    more = pane_rows({**needs, "migrations": 26}, 58, roomy=True, short=False)
    assert more["side"] > rows["side"]  # many migrations: more rows


@pytest.mark.parametrize("size", [(80, 24), (120, 40), (200, 60), (70, 20)])
def test_the_vms_keep_their_minimum_and_everything_fits(size):
    width, height = size
    body = height - 2
    roomy = width >= 110 and height >= 34
    needs = {"nodes": 32, "services": 12, "migrations": 40, "lower": 64}
    rows = pane_rows(needs, body, roomy=roomy, short=height < 28)
    stacked = sum(v for k, v in rows.items() if k != "services")
    assert body - stacked >= VMS_MIN


async def test_the_migrations_pane_grows_with_many_migrations(monkeypatch):
    from console.ui.screens import main

    monkeypatch.setattr(main, "LAYOUT_SETTLE_S", 0.0)  # content may move the panes at once
    app = make_app(sample("datacenter"))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        pane = app.screen.query_one("#migrations-pane")
        before = pane.region.height
        app.run_command(parse("maintenance esx01 on"), quiet=True)
        app.advance(2)
        await pilot.pause()
        await pilot.pause()
        shown = app.screen.query_one(MigrationsTable).shown_count()
        assert shown > 6
        assert pane.region.height > before
        assert app.screen.query_one("#vms-pane").region.height >= VMS_MIN


async def test_an_empty_events_pane_gives_its_rows_to_the_vms():
    app = make_app(sample("datacenter"))
    async with app.run_test(size=(200, 60)) as pilot:
        await pilot.pause()
        assert app.screen.query_one(EventsTable).shown_count() == 0
        assert app.screen.query_one("#events-pane").region.height == 4
        vms = app.screen.query_one("#vms-pane").region.height
        assert vms >= 60 - 2 - 14 - 4 - 8


# -- filters --------------------------------------------------------------------------------------


async def test_a_host_field_shows_only_the_vms_on_that_host():
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("2", "a", "slash", *"host:B", "enter")
        table = app.screen.query_one(VmsTable)
        on_b = sorted(n for n, vm in views.vms(app.engine).items() if vm.host == "B")
        assert table.shown_keys() == on_b and on_b
        assert app.screen.query_one("#vms-pane").border_subtitle.startswith("all /host:B")


async def test_a_plain_b_does_not_match_vms_on_other_hosts():
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("2", "a", "slash", "B", "enter")
        table = app.screen.query_one(VmsTable)
        vms = views.vms(app.engine)
        assert table.shown_keys() and all(vms[k].host == "B" for k in table.shown_keys())


async def test_an_unknown_field_says_which_fields_there_are():
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("2", "slash", *"colour:red")
        table = app.screen.query_one(VmsTable)
        assert table.shown_count() == 0
        line = "".join(s.text for s in table.render_line(1))
        assert "unknown field 'colour'" in line and "host" in line


def test_queries_use_smart_case_and_fields():
    fields = {"vm": 0, "name": 0, "host": 1, "state": 2}
    row = ["web01", "B", "failed", "hidden"]
    assert parse_query("host:B state:failed", fields).matches(row, [0, 1, 2])
    assert not parse_query("B", fields).matches(["web01", "A", "running"], [0, 1, 2])
    assert parse_query("b", fields).matches(["web01", "A", "running"], [0, 1, 2])
    assert not parse_query("hidden", fields).matches(row, [0, 1, 2])  # not on screen
    assert parse_query("name:", fields).matches(row, [0])  # still typing


async def test_slash_in_the_services_pane_filters_the_services():
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("4", "slash", *"name:sql", "enter")
        table = app.screen.query_one(ServicesTable)
        assert table.shown_keys() == [k for k in views.services(app.engine) if "sql" in k]
        assert "/name:sql" in app.screen.query_one("#services-pane").border_subtitle


async def test_n_and_shift_n_move_between_matches_also_once_the_filter_is_cleared():
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("2", "a", "slash", *"host:B", "enter")
        table = app.screen.query_one(VmsTable)
        matches = table.shown_keys()
        assert len(matches) >= 2
        await pilot.press("escape")  # every VM again; n / N still find the matches
        assert table.shown_count() == len(views.vms(app.engine))
        await pilot.press("g", "n")
        first = table.cursor_key
        assert first in matches
        await pilot.press("n")
        assert table.cursor_key in matches and table.cursor_key != first
        await pilot.press("N")
        assert table.cursor_key == first


async def test_events_filter_by_severity_field():
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        app.run_command(parse("fail-node A"), quiet=True)
        app.advance(60)
        await pilot.press("6", "slash", *"sev:ERR", "enter")
        table = app.screen.query_one(EventsTable)
        assert table.shown_count()
        events = app.engine.log.events
        assert all(events[k].severity.value == "error" for k in table.shown_keys())


# -- h / l by geometry ----------------------------------------------------------------------------


@pytest.mark.parametrize(("size", "start", "key", "expected"), [
    ((120, 40), "4", "l", "migrations"),   # services and migrations side by side
    ((120, 40), "5", "h", "services"),
    ((120, 40), "5", "l", "migrations"),   # nothing to the right: stays put
    ((120, 40), "1", "l", "heartbeats"),
    ((80, 24), "4", "h", "vms"),           # services sit beside the VMs
    ((80, 24), "2", "l", "services"),
    ((80, 24), "5", "h", "vms"),
])
async def test_h_and_l_go_to_the_pane_beside(size, start, key, expected):
    app = make_app()
    async with app.run_test(size=size) as pilot:
        await pilot.press(start, key)
        assert app.focused.id == f"{expected}-table"


# -- values not cut -------------------------------------------------------------------------------


def test_ages_are_short():
    assert [age(s) for s in (None, 0.2, 45, 125, 3700, 90000)] == [
        "-", "<1s", "45s", "2m", "1h", "1d"]


@pytest.mark.parametrize("cluster", ["datacenter", "planetlab"])
async def test_no_value_is_cut_at_120x40(cluster):
    engine = sample(cluster)
    app = make_app(engine)
    async with app.run_test(size=(120, 40)) as pilot:
        node = next(iter(engine.cluster.nodes))
        app.run_command(parse(f"isolate {list(engine.cluster.nodes)[-1]}"), quiet=True)
        app.advance(150)  # heartbeat ages past two minutes
        app.run_command(parse(f"maintenance {node} on"), quiet=True)
        app.advance(3)
        await pilot.pause()
        await pilot.pause()
        checked = 0
        for kind in (NodesTable, HeartbeatsTable, VmsTable, ServicesTable, MigrationsTable):
            table: KeyedTable = app.screen.query_one(kind)
            for entry in table._shown:
                if entry is None:
                    continue
                for column, _x, width in table.layout_columns():
                    text = cell_text(entry[1][column])
                    assert cell_len(text) <= width, (kind.__name__, table.columns[column], text)
                    checked += 1
        assert checked > 100
        migrations = app.screen.query_one(MigrationsTable)
        assert migrations.shown_count(), "the evacuation's migrations are on screen"


async def test_the_seed_cluster_fits_at_80x24():
    app = make_app(seed_engine())
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        for kind in (NodesTable, HeartbeatsTable):
            table = app.screen.query_one(kind)
            for entry in table._shown:
                if entry is not None:
                    for column, _x, width in table.layout_columns():
                        assert cell_len(cell_text(entry[1][column])) <= width


async def test_keys_right_behind_a_pane_number_act_on_that_pane():
    from textual import events

    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        app.post_message(events.Key("2", "2"))  # one burst, as over SSH: no pause between
        app.post_message(events.Key("greater_than_sign", ">"))
        await pilot.pause()
        assert app.screen.query_one(VmsTable).sort_column == 0
        assert app.screen.query_one(NodesTable).sort_column is None


async def test_the_quick_texts_are_the_cells_texts():
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        app.run_command(parse("migrate sql01 A"), quiet=True)
        app.advance(2)
        await pilot.pause()
        table = app.screen.query_one(VmsTable)
        for name in views.vms(app.engine):
            cells = table.row_cells(name)
            for column in range(len(table.columns)):
                quick = table.quick_text(name, column)
                assert quick is None or quick == cell_text(cells[column]), (name, column)


# -- drawn lines kept -----------------------------------------------------------------------------


def line_text(table: KeyedTable, y: int) -> str:
    return "".join(segment.text for segment in table.render_line(y))


async def test_a_line_is_drawn_again_only_when_what_it_shows_changed():
    """Lines are kept under their cells, style, width and columns: an unchanged line comes from
    the cache, a changed value, the cursor, another width or another theme draws it anew."""
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("1")
        table = app.screen.query_one(NodesTable)
        first, second = table.render_line(1), table.render_line(2)
        assert table.render_line(1) is first and table.render_line(2) is second
        await pilot.press("j")  # the cursor moves to the second node: both lines change
        assert table.render_line(1) is not first and table.render_line(2) is not second
        assert line_text(table, 1) == "".join(s.text for s in first)
        before = line_text(table, 1)
        app.run_command(parse("fail-node A"), quiet=True)
        app.advance(30)
        await pilot.pause()
        assert "failed" in line_text(table, 1) and line_text(table, 1) != before
        drawn = table.render_line(3)
        await pilot.resize_terminal(140, 40)
        await pilot.pause()
        assert table.render_line(3) is not drawn
        assert len(line_text(table, 3)) == table.size.width
        drawn = table.render_line(3)
        app.theme = "light"
        await pilot.pause()
        assert table.render_line(3) is not drawn
