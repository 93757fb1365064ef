"""The CPU sparkline's label under the Nodes pane (`CPU A ... (10s steps)`) stays where it is
from the first frame: the first sparkline was drawn before the layout gave the line its width
(the shortest, 8 points), and the label jumped right at the first key. So does a resize."""

from __future__ import annotations

import pytest
from ui_helpers import make_app

from console.ui.widgets.nodes import NodeSpark


def label_at(app) -> int:
    """The column where the spark's `(10s steps)` starts."""
    return str(app.screen.query_one(NodeSpark).render()).index("(")


@pytest.mark.parametrize("size", [(100, 30), (120, 40)])
async def test_the_spark_label_stays_put_from_the_first_frame(size) -> None:
    app = make_app()
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        first = label_at(app)
        await pilot.press("down")
        await pilot.pause()
        assert label_at(app) == first
        await pilot.press("up")
        await pilot.pause()
        assert label_at(app) == first
        spark = app.screen.query_one(NodeSpark)
        assert first == spark.size.width - 2 - len("(10s steps)")  # at the right, padded


async def test_the_spark_follows_a_resize_at_once() -> None:
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.resize_terminal(120, 40)
        await pilot.pause()
        await pilot.pause()
        spark = app.screen.query_one(NodeSpark)
        assert label_at(app) == spark.size.width - 2 - len("(10s steps)")


@pytest.mark.parametrize("speed", [1.0, 60.0])
async def test_the_spark_says_the_cpu_its_nodes_meter_says(speed) -> None:
    from console.model import views
    from console.model.commands import parse

    app = make_app(speed=speed)
    async with app.run_test(size=(120, 40)) as pilot:
        app.advance(95.0)
        await pilot.pause()
        app.run_command(parse("migrate exch01 C"), quiet=True)
        seen = set()
        for _ in range(60):  # the move lands between samples: the meter follows it at once
            app.advance(1.0)
            await pilot.pause()
            meter = f"{views.node_usage(app.engine, app.engine.cluster.nodes['A']).cpu:4.0%}"
            assert f"{meter} (" in str(app.screen.query_one(NodeSpark).render())
            seen.add(meter)
        assert len(seen) > 1  # the figure moved, and the label with it
