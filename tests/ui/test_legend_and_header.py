"""The symbol legend under the heartbeats pane, and the header's quorum on a cluster with a
witness."""

from __future__ import annotations

from ui_helpers import make_app

from console.formats.cluster import load_cluster
from console.model.engine import Engine
from console.paths import SAMPLE_CLUSTERS
from console.ui.legend import SYMBOLS, legend_line
from console.ui.widgets.header import ClusterHeader
from console.ui.widgets.legend import SymbolLegend


async def test_the_legend_is_visible_under_the_heartbeats_at_120x40() -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        legend = app.screen.query_one(SymbolLegend)
        assert legend.display and legend.region.height == 1
        pane = app.screen.query_one("#heartbeats-pane")
        assert pane.region.contains_region(legend.region)
        text = str(legend.render())
        for mark in "◌○!◐✕":
            assert mark in text, mark


async def test_the_legend_gives_way_to_the_nodes_when_short() -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert not app.screen.query_one(SymbolLegend).display


def test_the_legend_line_fits_its_width_and_holds_every_symbol_when_wide() -> None:
    for width in range(0, 120):
        assert len(legend_line(width)) <= width
    assert all(s.mark in legend_line(120, local=True) for s in SYMBOLS if s.word)
    assert {s.mark for s in SYMBOLS} >= set("●○◌◐✕!*")


async def test_the_header_and_heartbeats_show_the_witness_vote() -> None:
    app = make_app(Engine(load_cluster(SAMPLE_CLUSTERS / "wsfc.toml"), 0))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        header = "".join(text for text, _ in app.screen.query_one(ClusterHeader).parts())
        assert "quorum 5/5 ok (4 hosts + witness)" in header
        subtitle = str(app.screen.query_one("#heartbeats-pane").border_subtitle)
        assert "4 hosts + witness" in subtitle
    app = make_app(Engine(load_cluster(SAMPLE_CLUSTERS / "wsfc.toml"), 0))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        header = "".join(text for text, _ in app.screen.query_one(ClusterHeader).parts())
        assert "q 5/5 ok 4h+w" in header


async def test_at_120_columns_the_legend_keeps_the_most_common_symbol() -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert "●" in str(app.screen.query_one(SymbolLegend).render())


async def test_the_legend_shows_this_host_only_with_a_local_node() -> None:
    app = make_app()
    async with app.run_test(size=(200, 60)) as pilot:
        await pilot.pause()
        text = str(app.screen.query_one(SymbolLegend).render())
    assert "●" in text and "*" not in text
    app = make_app()
    next(iter(app.engine.cluster.nodes.values())).local = True
    async with app.run_test(size=(200, 60)) as pilot:
        await pilot.pause()
        assert "*this host" in str(app.screen.query_one(SymbolLegend).render())


def test_the_legend_line_names_the_local_mark_only_when_asked() -> None:
    assert "this host" not in legend_line(500)
    assert "* this host" in legend_line(500, local=True)
    assert legend_line(500).startswith("●")
