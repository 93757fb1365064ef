"""The keys act on what the operator looks at, ask the model before asking the operator, show
the model's preview of what follows, hold the clock while a question is open, and the balancer
pane tells its last pass truthfully (issue 11's examples, in the console)."""

from __future__ import annotations

from ui_helpers import make_app, make_session, notes, select_node, select_vm

from console.formats.cluster import parse_cluster
from console.model.commands import Maintenance, parse
from console.model.engine import Engine
from console.paths import SAMPLE_CLUSTERS
from console.ui.screens.dialogs import ConfirmScreen, TargetPicker, TargetTable
from console.ui.widgets.balancer import BalancerTable
from console.ui.widgets.header import ClusterHeader
from console.ui.widgets.services import ServicesTable


async def select_vm_of_all(pilot, name: str) -> None:
    """The VMs pane showing all VMs (not only the selected node's), `name` selected."""
    from console.ui.widgets.vms import VmsTable

    if pilot.app.screen.query_one(VmsTable).follow:
        pilot.app.screen.action_follow()
    await select_vm(pilot, name)


def header_text(app) -> str:
    return "".join(text for text, _style in app.screen_stack[0].query_one(ClusterHeader).parts())


async def test_x_in_the_vms_pane_names_the_vms_host():
    app = make_app(confirm=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await select_node(pilot, "A")
        await select_vm_of_all(pilot, "sql01")  # sql01 runs on B
        await pilot.press("x")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        assert app.screen.question == "Crash node B (host of sql01)?"
        await pilot.press("n")


async def test_m_in_the_vms_pane_asks_about_the_vms_host_and_puts_it_into_maintenance():
    app = make_app(confirm=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await select_node(pilot, "A")
        await select_vm_of_all(pilot, "sql01")
        await pilot.press("m")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        assert app.screen.question == "Put node B (host of sql01) into maintenance?"
        await pilot.press("y")
        await pilot.pause()
        assert app.engine.command_log[-1][1] == Maintenance("B", True)
        assert not app.engine.cluster.nodes["A"].maintenance


async def test_x_on_a_crashed_host_refuses_at_once_without_a_dialog():
    app = make_app(confirm=True)
    async with app.run_test(size=(120, 40)) as pilot:
        app.run_command(parse("fail-node B"))
        await select_node(pilot, "B")
        logged = len(app.engine.command_log)
        await pilot.press("x")
        await pilot.pause()
        assert not isinstance(app.screen, ConfirmScreen)
        assert any(n.startswith("fail-node B: B is already powered off") for n in notes(app))
        assert len(app.engine.command_log) == logged  # nothing reached the model


async def test_the_picker_refuses_the_host_anti_affinity_forbids():
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await select_vm_of_all(pilot, "web02")  # anti-affine with web01, on A
        await pilot.press("v")
        await pilot.pause()
        picker = app.screen
        assert isinstance(picker, TargetPicker)
        refusal = {o.node: o.refusal for o in picker.options}
        assert refusal["A"] == "anti-affinity with web01 on A"
        count = str(picker.query_one("#picker-count").render())
        assert "refused" in count
        table = picker.query_one(TargetTable)
        table.move_cursor_to_key("A")
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is picker  # still open: A is not offered
        assert any("A cannot take web02: anti-affinity with web01 on A" in n for n in notes(app))
        assert not app.engine.migrations.active
        picker.show_preview("A")
        text = str(picker.query_one("#picker-preview-text").render())
        assert text == "A cannot take web02: anti-affinity with web01 on A"
        picker.show_preview("B")
        text = str(picker.query_one("#picker-preview-text").render())
        assert text.startswith("migrate web02 B:") and "VMs that move (1): web02→B" in text


async def test_the_palette_names_what_the_services_selection_means():
    from console.ui.palette import ConsoleCommands

    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await select_node(pilot, "C")
        await pilot.press("4")
        table = app.screen.query_one(ServicesTable)
        assert table.move_cursor_to_key("exchange")
        await pilot.pause()
        labels = [label for label, _help, _run in ConsoleCommands(app.screen)._entries()]
        failover = next(label for label in labels if label.startswith("Forced failover"))
        assert failover.endswith("(service exchange)"), failover
        assert app.screen.target_of("failover").service == "exchange"
        active = app.engine.cluster.services["exchange"].active
        host = app.engine.cluster.vms[active].host
        crash = next(label for label in labels if label.startswith("Crash"))
        assert f"node {host} (host of exchange's active member {active})" in crash


async def test_the_clock_holds_while_a_dialog_is_open():
    app = make_app(confirm=True, paused=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await select_node(pilot, "B")
        await pilot.press("x")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        start = app.engine.now
        assert app.tick(2.0) == 0.0
        await pilot.pause()
        assert app.engine.now == start  # the console's own timer holds too
        assert "HELD" in header_text(app)
        await pilot.press("n")
        await pilot.pause()
        before = app.engine.now
        assert app.tick(2.0) == 2.0 and app.engine.now >= before + 2.0
        assert "HELD" not in header_text(app)


async def test_the_clock_holds_while_the_command_line_is_open():
    app = make_app(paused=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("colon")
        await pilot.pause()
        assert app.clock_held and app.tick(1.0) == 0.0
        assert "HELD" in header_text(app)
        await pilot.press("escape")
        await pilot.pause()
        assert not app.clock_held and app.tick(1.0) == 1.0


async def test_with_the_setting_off_the_clock_runs_while_a_dialog_is_open():
    app = make_app(confirm=True, paused=False, hold_clock=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await select_node(pilot, "B")
        await pilot.press("x")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        start = app.engine.now
        assert app.tick(2.0) == 2.0 and app.engine.now >= start + 2.0


async def test_the_crash_preview_lists_the_restarts_that_then_happen():
    app = make_app(confirm=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await select_node(pilot, "B")
        await pilot.press("x")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, ConfirmScreen)
        lines = dialog.preview.splitlines()
        restarts = next(line for line in lines if line.startswith("VMs that restart"))
        moves = dict(item.split("→") for item in restarts.split(": ", 1)[1].split(", "))
        assert set(moves) == {"sql01", "exch02", "iis01", "app01"}
        assert "host B: online → failed" in lines
        assert any(line.startswith("capacity for failures") for line in lines)
        await pilot.press("y")
        await pilot.pause()
        app.advance(600)
        assert {vm: app.engine.cluster.vms[vm].host for vm in moves} == moves


async def test_the_balancer_pane_after_b_shows_the_applied_moves_not_stale_ones():
    text = ((SAMPLE_CLUSTERS / "seed.toml").read_text()
            + '\n[balancer]\nautomation = "manual"\nthreshold = 5\n')
    engine = Engine(parse_cluster(text, "manual.toml"), 0)
    app = make_app(session=make_session(engine))
    async with app.run_test(size=(120, 40)) as pilot:
        app.advance(900)
        await pilot.press("7")
        await pilot.pause()
        table = app.screen.query_one(BalancerTable)
        assert [table.row_key(i) for i in range(table.row_count())] == [
            ("app01", "C", "recommended")]
        await pilot.press("b")
        await pilot.pause()
        assert [table.row_key(i) for i in range(table.row_count())] == [
            ("app01", "C", "applied")]
        assert "1 applied, 0 recommended" in table.summary()
        assert table.row_cells(("app01", "C", "applied"))[3] == ("moving", "warn")
        await pilot.press("7", "home", "enter")
        await pilot.pause()
        assert any("was applied by the balancer's last pass" in n for n in notes(app))
        assert len(app.engine.migrations.active) == 1


async def test_enter_on_a_recommendation_applies_it_and_it_is_no_longer_offered():
    text = ((SAMPLE_CLUSTERS / "seed.toml").read_text()
            + '\n[balancer]\nautomation = "manual"\nthreshold = 5\n')
    engine = Engine(parse_cluster(text, "manual.toml"), 0)
    app = make_app(session=make_session(engine))
    async with app.run_test(size=(120, 40)) as pilot:
        app.advance(900)
        await pilot.press("7", "home", "enter")
        await pilot.pause()
        table = app.screen.query_one(BalancerTable)
        assert app.engine.migrations.is_moving("app01")
        assert table.row_count() == 0  # applied: not offered again
        assert "b runs the balancer now" in table.empty_text


async def test_a_timed_drill_runs_on_while_a_dialog_is_up_and_a_plain_one_holds(tmp_path):
    import json

    from console.drills import parse_drill
    from console.drills.live import LiveDrill, drill_session
    from console.ui.drill import DrillMode

    head = ("[drill]\nname = \"timed\"\n"
            f"cluster = {json.dumps(str(SAMPLE_CLUSTERS / 'seed.toml'))}\nduration_s = 600\n")
    expect = '\n[[expect]]\nthat = "node B is online at end"\n'
    for extra, runs in (("hold_clock = false\n", True), ("", False)):
        drill = parse_drill(head + extra + expect, "timed.toml")
        session = drill_session(drill, paused=False)
        live = LiveDrill(session, drill, tmp_path / "report.json")
        app = make_app(session=session, mode=DrillMode(live), confirm=True)
        async with app.run_test(size=(120, 40)) as pilot:
            await select_node(pilot, "B")
            await pilot.press("x")
            await pilot.pause()
            assert isinstance(app.screen, ConfirmScreen)
            assert (app.tick(2.0) == 2.0) is runs
            await pilot.press("n")


async def test_the_picker_previews_the_row_it_opens_on_without_a_keypress():
    """`v` on web02: the area under the table stayed empty until j then k; now the row the
    picker opens on gets its preview after the same short rest."""
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await select_vm_of_all(pilot, "web02")
        await pilot.press("v")
        await pilot.pause()
        picker = app.screen
        assert isinstance(picker, TargetPicker)
        table = picker.query_one(TargetTable)
        first = str(table.shown_key(table.cursor))  # the row under the cursor, not yet moved
        text = ""
        for _ in range(50):  # the rest is real time (PREVIEW_DELAY_S): wait for it by condition
            await pilot.pause(0.05)
            text = str(picker.query_one("#picker-preview-text").render())
            if text:
                break
        assert text.startswith((f"migrate web02 {first}:", f"{first} cannot take web02")), text


async def test_above_the_fork_limit_the_dialogs_say_once_that_there_is_no_preview(monkeypatch):
    for module in ("console.model.engine", "console.model.preview", "console.ui.actions"):
        monkeypatch.setattr(f"{module}.FORK_LIMIT_VMS", 5)
    app = make_app(confirm=True)
    async with app.run_test(size=(120, 40)) as pilot:
        assert len(app.engine.cluster.vms) > 5
        await select_node(pilot, "B")
        for key in ("x", "m"):  # crash, maintenance
            await pilot.press(key)
            await pilot.pause()
            dialog = app.screen
            assert isinstance(dialog, ConfirmScreen)
            assert dialog.preview.count("more than 5 VMs") == 1, dialog.preview
            await pilot.press("n")
            await pilot.pause()
