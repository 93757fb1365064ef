"""Values are not cut where the width allows, in every table (console.ui.widgets.keyed_table):
a value that grows after the table was drawn widens its column, and a long message gives up its
width before the short values beside it."""

from __future__ import annotations

from rich.cells import cell_len
from ui_helpers import make_app, make_session

from console.drills import load_drill
from console.drills.live import LiveDrill, drill_session
from console.formats.cluster import parse_cluster
from console.model.engine import Engine
from console.paths import SAMPLE_CLUSTERS
from console.ui.cast import screen_lines
from console.ui.drill import DrillMode
from console.ui.widgets.balancer import BalancerTable
from console.ui.widgets.drill import DrillTable
from console.ui.widgets.heartbeats import HeartbeatsTable
from console.ui.widgets.keyed_table import KeyedTable, cell_text


def cut(table: KeyedTable, *labels: str) -> list[str]:
    """The values of the columns called `labels` on screen that are wider than their column."""
    found = []
    for column, _x, width in table.layout_columns():
        if table.columns[column].label not in labels:
            continue
        for entry in table._shown:
            if entry is not None and column < len(entry[1]):
                text = cell_text(entry[1][column])
                if cell_len(text) > width:
                    found.append(text)
    return found


async def test_the_balancer_move_fits_when_rows_arrive_after_the_pane_opened():
    text = ((SAMPLE_CLUSTERS / "datacenter.toml").read_text()
            + '\n[balancer]\nautomation = "manual"\nthreshold = 5\n')
    app = make_app(session=make_session(Engine(parse_cluster(text, "manual.toml"), 0)))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("7")
        await pilot.pause()
        for _ in range(90):
            app.advance(10)
        await pilot.pause()
        table = app.screen.query_one(BalancerTable)
        assert table.row_count() > 0
        assert cut(table, "VM", "Move", "After", "Status") == []
        lines = [plain for _ansi, plain in screen_lines(app)]
        move = cell_text(table.row_cells(table.row_key(0))[1])
    header = next(line for line in lines if "Move" in line and "Reason" in line)
    row = next(line for line in lines if move in line)
    assert move in row
    assert header.index("Move") == row.index(move)  # the header is drawn on the new layout
    assert header.index("After") > row.index(move) + len(move)


async def test_the_drill_panel_observed_is_not_cut_at_120x40(tmp_path):
    drill = load_drill(SAMPLE_CLUSTERS / "drills" / "node-crash.toml")
    session = drill_session(drill, paused=True)
    live = LiveDrill(session, drill, tmp_path / "report.txt")
    app = make_app(session=session, mode=DrillMode(live))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        for _ in range(20):
            app.advance(10)
            await pilot.pause()
        table = app.screen.query_one(DrillTable)
        observed = [cell_text(table.row_cells(table.row_key(i))[3])
                    for i in range(table.row_count())]
        assert any(len(text) > 24 for text in observed)
        assert cut(table, "#", "Result", "Observed") == []


async def test_the_heartbeats_at_80x24_spell_the_state_and_a_subtitle_that_fits():
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        app.run_text(f"isolate {list(app.engine.cluster.nodes)[-1]}")
        app.advance(40)
        await pilot.pause()
        table = app.screen.query_one(HeartbeatsTable)
        states = [cell_text(table.row_cells(key)[3]) for key in app.engine.cluster.nodes]
        assert "isolated!" in states
        assert cut(table, "Node", "Last", "State") == []
        pane = app.screen.query_one("#heartbeats-pane")
        subtitle = str(pane.border_subtitle)
        assert "2 parts" in subtitle
        assert len(subtitle) <= pane.outer_size.width - 4
