"""Pilot tests: every key builds its command and the model changes as expected; refusals show
their reason; destructive keys ask first; read-only mode refuses every mutating key."""

from __future__ import annotations

import os

import pytest
from ui_helpers import make_app, notes, select_node, select_vm

from console.model.commands import Command, Migrate, Pause, Resume, Speed
from console.model.entities import NodeState, Role, ServiceState, VmState
from console.ui.screens.dialogs import ConfirmScreen, TargetPicker
from console.ui.screens.help import HelpScreen
from console.ui.widgets.header import ClusterHeader
from console.ui.widgets.services import ServicesTable
from console.ui.widgets.vms import VmsTable


async def test_m_puts_the_selected_node_in_maintenance():
    # The seed's other two hosts cannot take B's VMs and keep room for a host failure, so B
    # waits in entering_maintenance (vSphere's DRS does the same) until the operator gives up.
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await select_node(pilot, "B")
        await pilot.press("m")
        node = app.engine.cluster.nodes["B"]
        assert node.state is NodeState.ENTERING_MAINTENANCE
        app.advance(300)
        assert node.state is NodeState.ENTERING_MAINTENANCE and node.vms
        assert any(e.kind == "ha_capacity_reduced" for e in app.engine.log.events)
        await pilot.press("m")  # and out again
        assert node.state is NodeState.ONLINE and not node.maintenance


async def test_v_opens_the_target_picker_and_enter_migrates():
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await select_vm(pilot, "web01")
        await pilot.press("v")
        await pilot.pause()
        assert isinstance(app.screen, TargetPicker)
        # Hosts that fit come first: web02 is anti-affine on C, so B leads.
        await pilot.press("enter")
        await pilot.pause()
        vm = app.engine.cluster.vms["web01"]
        assert vm.state is VmState.MIGRATING and vm.target == "B"
        app.advance(120)
        assert vm.host == "B" and vm.state is VmState.RUNNING


async def test_v_then_a_lets_the_balancer_choose():
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await select_vm(pilot, "dc01")
        await pilot.press("v")
        await pilot.pause()
        await pilot.press("a")
        await pilot.pause()
        vm = app.engine.cluster.vms["dc01"]
        assert vm.state is VmState.MIGRATING
        assert app.engine.command_log[-1][1].text() == "migrate dc01"


async def test_v_on_a_vm_that_cannot_move_says_why_without_a_picker():
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        app.run_command(Migrate("dc01", "C"))
        await select_vm(pilot, "dc01")
        await pilot.press("v")
        await pilot.pause()
        assert not isinstance(app.screen, TargetPicker)
        assert any("dc01 is migrating" in n for n in notes(app))
        assert app.engine.cluster.vms["dc01"].target == "C"


async def test_v_escape_cancels():
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await select_vm(pilot, "dc01")
        await pilot.press("v", "escape")
        await pilot.pause()
        assert app.engine.command_log == []


async def test_v_to_a_host_that_does_not_fit_is_refused_with_its_reason():
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await select_vm(pilot, "web01")
        await pilot.press("v")
        await pilot.pause()
        await pilot.press("end", "enter")  # the last row: C, where web02 lives
        await pilot.pause()
        assert app.engine.cluster.vms["web01"].host == "A"
        assert any("anti-affinity" in n for n in notes(app))


async def test_x_asks_first_and_n_changes_nothing():
    app = make_app(confirm=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await select_node(pilot, "A")
        await pilot.press("x")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")
        await pilot.pause()
        assert app.engine.cluster.nodes["A"].powered
        assert app.engine.command_log == []


async def test_x_then_y_crashes_and_the_cluster_recovers_on_screen():
    app = make_app(confirm=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await select_node(pilot, "A")
        await pilot.press("x", "y")
        await pilot.pause()
        cluster = app.engine.cluster
        assert not cluster.nodes["A"].powered
        app.advance(4)
        assert cluster.nodes["A"].state is NodeState.SUSPECT
        app.advance(60)
        assert cluster.nodes["A"].state is NodeState.FAILED
        assert all(vm.host != "A" for vm in cluster.vms.values())
        assert cluster.services["exchange"].active == "exch02"


async def test_i_isolates_and_r_reconnects():
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await select_node(pilot, "C")
        await pilot.press("i")
        node = app.engine.cluster.nodes["C"]
        assert not node.connected
        app.advance(30)
        assert node.state in (NodeState.ISOLATED, NodeState.FAILED)
        await pilot.press("r")
        assert app.engine.command_log[-1][1].verb in ("reconnect", "power-on")


async def test_r_powers_a_crashed_node_on():
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await select_node(pilot, "C")
        await pilot.press("x")
        app.advance(60)
        await pilot.press("r")
        assert app.engine.cluster.nodes["C"].state is NodeState.BOOTING


async def test_r_on_a_healthy_node_is_refused_with_a_reason():
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await select_node(pilot, "B")
        await pilot.press("r")
        await pilot.pause()
        assert any("already powered on" in n for n in notes(app))
        assert app.engine.log.events[-1].kind == "refused"


async def test_f_on_a_node_fails_over_every_service_active_there():
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await select_node(pilot, "B")  # sql and iis are active on B
        await pilot.press("f")
        services = app.engine.cluster.services
        assert services["sql"].state is ServiceState.FAILING_OVER
        assert services["iis"].state is ServiceState.FAILING_OVER
        assert services["exchange"].state is ServiceState.ONLINE


async def test_f_in_the_services_pane_fails_over_the_selected_service():
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("4")
        table = app.screen.query_one(ServicesTable)
        table.move_cursor_to_key("exchange")
        await pilot.press("f")
        app.advance(60)
        service = app.engine.cluster.services["exchange"]
        assert service.active == "exch02" and service.roles["exch01"] is Role.PASSIVE


async def test_f_on_a_node_without_services_says_so():
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await select_node(pilot, "C")
        await pilot.press("f")
        await pilot.pause()
        assert any("no service is active on node C" in n for n in notes(app))


async def test_b_on_a_balanced_cluster_says_so_at_once_and_runs_nothing():
    app = make_app(confirm=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("b")
        await pilot.pause()
        assert not app.engine.command_log
        assert len(app.screen_stack) == 1  # no dialog
        assert any(n.startswith("Nothing to move: the balancer finds the cluster balanced")
                   for n in notes(app))


async def test_space_pauses_and_resumes_and_plus_minus_change_speed():
    app = make_app()  # paused: the test must not depend on how much real time passes
    heard: list[tuple[float, Command]] = []
    async with app.run_test(size=(120, 40)) as pilot:
        app.session.add_listener(lambda h: heard.append((h.t, h.command)))
        await pilot.press("space")
        assert not app.session.clock.paused
        await pilot.press("space")
        assert app.session.clock.paused
        await pilot.press("plus")
        assert app.session.clock.speed == 2
        await pilot.press("minus", "minus")
        assert app.session.clock.speed == 0.5
    kinds = [type(c) for _, c in heard]
    assert kinds == [Resume, Pause, Speed, Speed, Speed]


async def test_advance_moves_the_clock_only_when_asked():
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert app.engine.now == 0
        app.session.tick(10.0)  # paused: nothing
        assert app.engine.now == 0
        app.advance(5)
        assert app.engine.now == 5


async def test_every_command_reaches_the_listeners_with_the_engine_time():
    app = make_app()
    heard: list[tuple[float, str]] = []
    async with app.run_test(size=(120, 40)) as pilot:
        app.session.add_listener(lambda h: heard.append((h.t, h.command.text())))
        app.advance(7)
        await select_node(pilot, "A")
        await pilot.press("x", "r")  # the second is refused: A is already down... and powered
    assert heard[0] == (7.0, "fail-node A")
    assert heard[1][1] == "power-on A"


MUTATING_KEYS = ["m", "v", "f", "x", "i", "r", "b"]


@pytest.mark.parametrize("key", MUTATING_KEYS)
async def test_read_only_refuses_every_mutating_key_with_a_reason(key):
    app = make_app(read_only=True, confirm=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await select_node(pilot, "B")
        if key == "v":
            await select_vm(pilot, "sql01")
        await pilot.press(key)
        await pilot.pause()
        assert not isinstance(app.screen, (ConfirmScreen, TargetPicker))
        assert any("read-only" in n for n in notes(app)), notes(app)
        assert all(e.kind == "refused" for e in app.engine.log.events)
        assert app.engine.cluster.nodes["B"].state is NodeState.ONLINE


async def test_read_only_refuses_typed_commands_too():
    app = make_app(read_only=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("colon", *"fail-node A", "enter")
        await pilot.pause()
        assert app.engine.cluster.nodes["A"].powered
        assert any("read-only" in n for n in notes(app))


async def test_read_only_greys_the_mutating_keys_in_the_footer():
    app = make_app(read_only=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert screen.check_action("crash", ()) is None
        assert screen.check_action("resume", ()) is True  # the clock is not locked (paused)


async def test_slash_filters_the_vms_and_escape_clears():
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("a", "slash", *"sql")
        table = app.screen.query_one(VmsTable)
        assert table.shown_keys() == ["sql01", "sql02"]
        await pilot.press("enter")
        assert app.focused is table
        await pilot.press("escape")
        assert table.shown_count() == 12


async def test_the_command_line_runs_completes_and_remembers():
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("colon", *"mai", "tab", "B", "space", "o", "n", "enter")
        assert app.engine.cluster.nodes["B"].maintenance
        await pilot.press("colon", "up")
        assert app.focused.value == "maintenance B on"
        await pilot.press("escape")
        await pilot.press("colon", *"frobnicate", "enter")
        await pilot.pause()
        assert any("unknown command 'frobnicate'" in n for n in notes(app))
        await pilot.press("colon", *"migrate nosuchvm", "enter")
        await pilot.pause()
        assert any("no VM named nosuchvm" in n for n in notes(app))


def _burst(app, text: str) -> None:
    """Keys arriving in one read, as over SSH: all queued before the first is handled."""
    from textual import events

    names = {":": "colon", "/": "slash", " ": "space"}
    for char in text:
        app.post_message(events.Key(names.get(char, char), char))


async def test_keys_typed_right_behind_colon_go_into_the_command_line_not_to_the_panes():
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        _burst(app, ":isolate B")  # i, o, l, a, e, B would each be a key of the main screen
        await pilot.pause()
        await pilot.pause()
        assert app.focused.value == "isolate B"
        assert app.engine.cluster.nodes["A"].connected  # `i` did not isolate the selection
        await pilot.press("enter")
        assert not app.engine.cluster.nodes["B"].connected
        _burst(app, "/sql")
        await pilot.pause()
        await pilot.pause()
        assert app.focused.id == "filter-line" and app.focused.value == "sql"


async def test_two_quick_moves_settle_instead_of_bouncing_between_nodes_and_heartbeats(
        monkeypatch):
    from console.ui.screens.main import MainScreen
    from console.ui.widgets.heartbeats import HeartbeatsTable
    from console.ui.widgets.nodes import NodesTable

    seen: list[object] = []
    original = MainScreen.on_keyed_table_highlighted

    def spy(self, message):
        seen.append(message.key)
        return original(self, message)

    monkeypatch.setattr(MainScreen, "on_keyed_table_highlighted", spy)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        _burst(app, "jj")  # each table echoed the other's stale move back: a busy loop, forever
        for _ in range(5):
            await pilot.pause()
        handled = len(seen)
        await pilot.pause()
        await pilot.pause()
        assert len(seen) == handled < 20
        screen = app.screen
        assert screen.query_one(NodesTable).cursor_key == "C"
        assert screen.query_one(HeartbeatsTable).cursor_key == "C"
        assert screen.query_one(VmsTable).node == "C" and app.selected_node == "C"


async def test_an_open_bar_takes_the_footer_line_and_gives_it_back():
    from textual.widgets import Footer

    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        footer = app.screen.query_one(Footer)
        for key, bar_id in (("colon", "command-line"), ("slash", "filter-line")):
            await pilot.press(key)
            await pilot.pause()
            bar = app.screen.query_one(f"#{bar_id}")
            assert bar.region.y == 23 and bar.region.width == 80  # drawn, not under the footer
            assert not footer.display
            await pilot.press("escape")
            await pilot.pause()
            assert footer.display and footer.region.y == 23


async def test_question_mark_opens_help_listing_every_key():
    from console.ui.keys import KEYS

    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        from rich.console import Console

        from console.ui.screens.help import help_renderable

        console = Console(width=160, record=True, file=open(os.devnull, "w"))  # noqa: SIM115
        console.print(help_renderable(app.keymap, app.session.read_only))
        text = console.export_text()
        for spec in KEYS:
            assert spec.help.split(" (")[0][:30] in text
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)


async def test_t_cycles_the_themes():
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        seen = [app.theme]
        for _ in range(4):
            await pilot.press("t")
            seen.append(app.theme)
        assert seen == ["dark", "light", "high-contrast", "monochrome", "dark"]


async def test_q_quits():
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("q")
        await pilot.pause()
    assert app.return_code == 0


@pytest.mark.parametrize("first", [(), (":", "f", "a")])
async def test_ctrl_c_quits_from_anywhere_without_a_toast(first):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press(*first)
        assert app.return_code is None
        await pilot.press("ctrl+c")
        await pilot.pause()
        assert app.return_code == 0
        assert not any("ctrl+q" in message for message in notes(app))


async def test_tab_and_numbers_move_between_panes():
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("tab")
        assert app.focused.id == "vms-table"
        await pilot.press("8")
        assert app.focused.id == "images-table"
        await pilot.press("6", "l")
        assert app.focused.id == "balancer-table"
        await pilot.press("shift+tab")
        assert app.focused.id == "events-table"


async def test_enter_opens_details_and_escape_goes_back():
    from console.ui.screens.details import DetailsScreen

    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await select_node(pilot, "B")
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, DetailsScreen)
        assert "Node B" in app.screen._text
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, DetailsScreen)


async def test_a_too_small_terminal_says_so():
    app = make_app()
    async with app.run_test(size=(60, 16)) as pilot:
        await pilot.pause()
        assert app.screen.has_class("-too-small")
        assert "too small" in str(app.screen.query_one("#too-small").render())
        app.advance(7.0)  # the header above the message keeps the clock
        await pilot.pause()
        header = app.screen.query_one(ClusterHeader)
        assert "00:00:07" in "".join(text for text, _style in header.parts())
        assert "00:00:07" in header.render_line(0).text


async def test_no_color_chooses_monochrome(monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    app = make_app(theme=None)
    async with app.run_test(size=(120, 40)):
        assert app.theme == "monochrome"


async def test_remapped_keys_act_and_show_in_help():
    app = make_app(keymap={"crash": "X"})
    async with app.run_test(size=(120, 40)) as pilot:
        await select_node(pilot, "C")
        await pilot.press("x")
        assert app.engine.cluster.nodes["C"].powered  # x is free now
        await pilot.press("X")
        assert not app.engine.cluster.nodes["C"].powered


def test_the_help_names_every_key_that_asks_first_from_the_key_table():
    """The help said "Destructive keys (x, i, f) ask first" while m, M and b asked too: the list
    comes from the key table's `asks`, remapped keys included."""
    import os

    from rich.console import Console

    from console.ui.keys import KEYS
    from console.ui.screens.help import help_renderable

    console = Console(width=400, record=True, file=open(os.devnull, "w"))  # noqa: SIM115
    console.print(help_renderable({"crash": "X"}, False))
    text = " ".join(console.export_text().split())
    assert "ask first unless --no-confirm: m, M, S, P, f, X, i, b;" in text, text[-400:]
    assert {spec.id for spec in KEYS if spec.asks} == {
        "maintenance", "force-maintenance", "failover", "crash", "isolate", "rebalance",
        "shutdown", "power"}
