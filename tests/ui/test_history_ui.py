"""The recorded CPU history on screen: the sparkline under Nodes and the details' history lines."""

from __future__ import annotations

from ui_helpers import make_app, select_node, select_vm

from console.model.commands import parse
from console.ui.widgets.nodes import NodeSpark


def spark_text(app) -> str:
    return str(app.screen.query_one(NodeSpark).render())


def spark_of(text: str) -> str:
    """The sparkline of `CPU NODE <spark> NNN% (what)`."""
    body = text.split(" ", 2)[2]
    return body[:body.rindex(" (")][:-5]


async def test_the_sparkline_repaints_only_when_a_sample_lands(monkeypatch):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        app.advance(12)  # the live clock leaves the instant it stands at open (run_before)
        await pilot.pause()
        painted: list[str] = []
        original = NodeSpark.update

        def spy(self, content="", **kwargs):
            painted.append(str(content))
            return original(self, content, **kwargs)

        monkeypatch.setattr(NodeSpark, "update", spy)
        for _ in range(8):  # 13-20 s: no sample lands, the CPU moves
            app.advance(1)
        assert painted == []
        app.advance(1)  # past 20 s: the second sample
        assert len(painted) == 1 and "(10s steps)" in painted[0]
        await select_node(pilot, "B")  # another node: drawn once
        assert len(painted) == 2 and painted[1].startswith("CPU B")


async def test_the_sparkline_shows_the_crash_and_nothing_before_the_first_sample():
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await select_node(pilot, "C")
        app.advance(5)
        text = spark_text(app)
        assert text.startswith("CPU C") and not spark_of(text).strip()  # nothing recorded yet
        assert text.endswith(" 8% (10s steps)")  # the figure of C's meter, there from the start
        app.advance(30)  # 35 s
        app.session.submit(parse("fail-node C"))
        app.advance(31)
        await pilot.pause()
        spark = spark_of(spark_text(app))
        assert spark.endswith("▂▂▂▁▁▁")  # 10-30 s: its load (8 %), kept; 40-60 s: 0 %
        assert spark_text(app).endswith("0% (10s steps)")


async def test_the_window_follows_the_clock_speed():
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        app.advance(1201)
        await pilot.pause()
        assert spark_text(app).endswith("(10s steps)")
        await pilot.press(*["plus"] * 4)  # x1 -> x16: a 10 s point would land 1.6 times a second
        app.refresh_view()
        assert app.session.clock.speed == 16 and spark_text(app).endswith("(1m steps)")
        await pilot.press(*["plus"] * 3)  # -> x120
        app.refresh_view()
        assert app.session.clock.speed == 120 and spark_text(app).endswith("(10m steps)")
        # 20 minutes recorded: two 10 m points, drawn at the right end
        spark = spark_of(spark_text(app))
        assert len(spark.strip()) == 2 and spark.endswith(spark.strip())


async def test_details_show_the_recorded_cpu_history_of_a_vm_and_a_node():
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        app.advance(61)
        await select_vm(pilot, "web01")
        await pilot.press("enter")
        await pilot.pause()
        line = next(x for x in app.screen._text.splitlines() if x.startswith("CPU history"))
        spark = line[len("CPU history    "):-len("  (10s steps)")]
        assert len(spark) == 40 and spark[:34].isspace() and " " not in spark[34:]  # 6 samples
        await pilot.press("escape")
        await select_node(pilot, "A")
        await pilot.press("enter")
        await pilot.pause()
        assert any(x.startswith("CPU history") and x.endswith("(10s steps)")
                   for x in app.screen._text.splitlines())


async def test_the_local_node_draws_its_measured_readings():
    from console.model.commands import LocalReading
    from console.session import OBSERVATION

    app = make_app()
    app.engine.cluster.nodes["C"].local = True
    async with app.run_test(size=(120, 40)) as pilot:
        await select_node(pilot, "C")
        for cpu in (0.9, 0.1, 0.95):  # readings at 0, 4 and 8 s: the sample at 10 s is their mean
            app.session.submit(LocalReading("C", cpu, 0.5, 0.1), source=OBSERVATION)
            app.advance(4)
        await pilot.pause()
        text = spark_text(app)
        # The point at 10 s is the readings' mean (65 %); the figure is the latest reading, as
        # the node's meter says it.
        assert spark_of(text).endswith(" ▆") and text.endswith(" 95% (10s steps, measured)")
