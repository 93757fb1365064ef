"""Each node's, VM's and service's details end with its own history, newest first."""

from __future__ import annotations

from ui_helpers import make_app, select_node

from console.model.commands import parse
from console.ui import details
from console.ui.screens.details import DetailsScreen


async def test_the_details_of_a_crashed_node_list_its_crash_newest_first() -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        assert app.session.submit(parse("fail-node B")).accepted
        app.advance(60)
        await select_node(pilot, "B")
        await pilot.press("enter")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, DetailsScreen)
        lines = screen.lines()
        start = next(i for i, line in enumerate(lines) if line.startswith("History ("))
        history = lines[start + 1:]
        assert any("node_failed" in line for line in history)
        assert any("fail-node B" in line for line in history)
        failed = next(i for i, line in enumerate(history) if "node_failed" in line)
        crash = next(i for i, line in enumerate(history) if "fail-node B" in line)
        assert failed < crash  # newest first
        text = str(screen.query_one("#details-text").render())
        assert "node_failed" in text
        # it follows the model: a later event of B joins the top of the history
        assert app.session.submit(parse("power-on B")).accepted
        app.advance(5)
        await pilot.pause()
        history = screen.lines()[start + 1:]
        assert "power-on B" in history[0] or "node_booting" in history[0]


async def test_a_vm_and_a_service_have_their_history_too() -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        assert app.session.submit(parse("fail-node A")).accepted
        app.advance(60)
        await pilot.pause()
        engine = app.engine
        for kind, name in (("vm", "exch01"), ("service", "exchange")):
            app.push_screen(DetailsScreen(kind, name))
            await pilot.pause()
            lines = app.screen.lines()
            start = lines.index(next(line for line in lines if line.startswith("History (")))
            own = [e for e in engine.log.events if e.subject == name]
            assert own and len(lines) - start - 1 == len(own), name
            assert own[-1].message in lines[start + 1]
            await pilot.press("escape")
            await pilot.pause()


def test_a_long_history_is_cut_with_a_pointer_to_the_log() -> None:
    from ui_helpers import seed_engine

    from console.model.events import Event, Severity

    engine = seed_engine()
    engine.log.events.extend(Event(float(i), "command", "A", Severity.INFO, f"note {i}")
                             for i in range(details.HISTORY_LINES + 5))
    lines = details.history_lines(engine, list(range(len(engine.log.events))))
    assert lines[-1] == "  ... and 5 older (L: the whole event log)"
    assert f"note {details.HISTORY_LINES + 4}" in lines[2]


def test_the_details_say_when_their_utilisation_figures_were_sampled() -> None:
    from ui_helpers import seed_engine

    engine = seed_engine()
    engine.run_until(25.0)
    node = next(line for line in details.node_details(engine, "A")
                if line.startswith("utilisation"))
    assert node.endswith("(sample of 00:00:20)")
    vm = next(iter(engine.cluster.nodes["A"].vms))
    workload = next(line for line in details.vm_details(engine, vm)
                    if line.startswith("workload"))
    assert workload.endswith("(sample of 00:00:20)")
