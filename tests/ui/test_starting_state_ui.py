"""The console on a cluster that starts with a host powered off and a `must` rule broken: the
panes show both from the first frame, and the host comes up when powered on."""

from __future__ import annotations

from ui_helpers import make_app

from console.formats.cluster import load_cluster
from console.model.commands import parse
from console.model.engine import Engine
from console.paths import SAMPLE_CLUSTERS
from console.ui.widgets.events import EventsTable
from console.ui.widgets.header import ClusterHeader
from console.ui.widgets.nodes import NodesTable


def text(cells) -> list[str]:
    return [cell if isinstance(cell, str) else cell[0] for cell in cells]


async def test_the_panes_show_a_host_that_starts_off_and_a_broken_rule() -> None:
    app = make_app(Engine(load_cluster(SAMPLE_CLUSTERS / "repair.toml")))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        nodes = app.screen.query_one(NodesTable)
        row = text(nodes.row_cells("C"))
        assert (row[1], row[-2], row[-1]) == ("offline", "0/1", "○")
        events = app.screen.query_one(EventsTable)
        shown = [text(events.row_cells(events.row_key(i)))[2] for i in range(events.row_count())]
        assert shown == ["sql01", "C"]  # newest first: the broken rule, the host off
        alerts = app.screen.query_one(ClusterHeader).alerts(app.engine)
        assert alerts == ["node C is offline",
                          "rule sql-licence (must vm-host) is broken: sql01 runs on A; it must "
                          "run on C"]
        assert app.session.submit(parse("power-on C")).accepted
        app.advance(130)
        await pilot.pause()
        row = text(nodes.row_cells("C"))
        assert (row[1], row[-1]) == ("online", "●")
