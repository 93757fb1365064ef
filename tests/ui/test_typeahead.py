"""Keys typed ahead of a screen reach it, in the order typed (console.ui.typeahead): `L/miss`
in one burst searches the event log for `miss` (the `/` opened the main screen's filter, the
log not mounted yet), and keys typed while a big cluster loads act once the console is up
(they were dropped); q on the loading screen still quits at once."""

from __future__ import annotations

from test_bar_key_order import burst, settle
from textual import events
from ui_helpers import loading_app, make_app, notes

from console.ui.screens.alerts import AlertsScreen
from console.ui.screens.loading import LoadingScreen
from console.ui.screens.log import EventLogScreen
from console.ui.screens.main import MainScreen
from console.ui.widgets.bar import Bar


async def test_l_then_a_search_in_one_burst_searches_the_log() -> None:
    app = make_app()
    app.run_text("fail-node B")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        main = app.screen
        burst(app, "L/miss")
        await settle(pilot)
        assert isinstance(app.screen, EventLogScreen)
        assert app.screen.query_one("#log-search", Bar).value == "miss"
        assert app.screen.table.text_filter == "miss"
        assert [bar.value for bar in main.query(Bar)] == ["", ""]  # nothing went below


async def test_the_keys_behind_the_alerts_key_go_to_the_alerts_list() -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        main = app.screen
        app.post_message(events.Key("exclamation_mark", "!"))
        burst(app, "/x")
        await settle(pilot)
        assert isinstance(app.screen, AlertsScreen)
        assert [bar.value for bar in main.query(Bar)] == ["", ""]
        assert not main.has_class("-bar-open")


async def test_keys_typed_while_the_cluster_loads_act_once_the_console_is_up() -> None:
    async with loading_app() as (app, pilot, release):
        burst(app, ":speed 3", "enter", "2")
        await settle(pilot)
        assert isinstance(app.screen, LoadingScreen) and app.session is None
        release.set()
        for _ in range(200):  # the loader's thread hands the session over
            await pilot.pause()
            if isinstance(app.screen, MainScreen) and app.session.clock.speed == 3:
                break
        await settle(pilot)
        assert app.session is not None and app.session.clock.speed == 3
        assert app.focused is not None and app.focused.id == "vms-table"


async def test_q_on_the_loading_screen_quits_at_once() -> None:
    async with loading_app() as (app, pilot, _release):
        burst(app, "2q")
        await settle(pilot)
        assert app.return_code == 0


def test_a_screen_that_goes_before_it_is_up_lets_its_keys_go() -> None:
    from console.ui.typeahead import Turn, TypeAhead

    typeahead = TypeAhead(loading=False)
    screen = object()
    typeahead.wait_for(screen)
    assert typeahead.turn("j", [screen]) is Turn.HOLD
    assert typeahead.turn("ctrl+c", [screen]) is Turn.GO
    assert typeahead.turn("j", []) is Turn.AFTER_HELD
    typeahead.keys.append(events.Key("j", "j"))
    assert [key.key for key in typeahead.take(None)] == ["j"]
    assert typeahead.turn("j", []) is Turn.GO




async def test_keys_ahead_of_a_pane_number_act_before_it_in_one_burst() -> None:
    """`k2x` in one burst focused the VMs pane before `k` had moved the nodes' cursor: `k`
    moved the VMs' cursor, and `x` (with --no-confirm) crashed the host of a VM other than the
    one on show (found by a tester)."""
    app = make_app(paused=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        burst(app, "jj")
        await settle(pilot)
        assert app.screen.query_one("#nodes-table").cursor == 2  # C
        burst(app, "k2x")
        await settle(pilot)
        assert app.screen.query_one("#nodes-table").cursor == 1  # B
        assert notes(app) == ["fail-node B"]  # the host of the VM on show, none other


async def test_keys_ahead_of_the_command_line_are_not_typed_into_it() -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        burst(app, "jj:")
        await settle(pilot)
        assert app.screen.query_one("#command-line", Bar).value == ""
        assert app.screen.query_one("#nodes-table").cursor == 2


async def test_a_q_typed_into_a_command_while_the_cluster_loads_is_the_commands() -> None:
    async with loading_app() as (app, pilot, release):
        burst(app, ":vm-power sql01 off")
        await settle(pilot)
        assert app.return_code is None  # the q of sql01 did not quit
        release.set()
        for _ in range(200):  # the loader's thread hands the session over
            await pilot.pause()
            if isinstance(app.screen, MainScreen):
                break
        await settle(pilot)
        assert app.screen.query_one("#command-line", Bar).value == "vm-power sql01 off"
