"""Keys read in one burst (a paste the terminal does not mark, keys bunched by an SSH link, a
script) act on the bars in the order typed: a key bound on a bar (enter, esc, backspace, tab)
acts where it was typed, not after the characters typed behind it, and the keys typed after
the key that closes a bar go to the screen (console.ui.widgets.bar)."""

from __future__ import annotations

from textual import events
from ui_helpers import make_app, notes

from console.ui.screens.log import EventLogScreen, EventLogTable
from console.ui.widgets.bar import Bar
from console.ui.widgets.command_line import CommandLine
from console.ui.widgets.nodes import NodesTable

NAMES = {":": "colon", "/": "slash", " ": "space", "-": "minus"}


def burst(app, *parts: str) -> None:
    """Post every key of `parts` to the app in one go, no key waiting for the one before it to
    be handled: a part is a key's name when it is one (`enter`, `backspace`, `escape`, `tab`),
    else the characters typed."""
    for part in parts:
        if part in ("enter", "backspace", "escape", "tab"):
            app.post_message(events.Key(part, "\r" if part == "enter" else None))
            continue
        for char in part:
            app.post_message(events.Key(NAMES.get(char, char), char))


async def settle(pilot) -> None:
    for _ in range(10):
        await pilot.pause()


async def test_the_keys_behind_enter_go_to_the_screen_not_into_the_command() -> None:
    """`:speed 3` enter `jj` ran `speed 3jj` (refused), and `:fail-node A` enter `2` would
    crash a host named A2."""
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        nodes = app.screen.query_one(NodesTable)
        assert app.focused is nodes and nodes.cursor == 0
        burst(app, ":speed 3", "enter", "jj")
        await settle(pilot)
        assert app.session.clock.speed == 3
        assert app.screen.query_one(CommandLine).history[-1] == "speed 3"
        assert app.focused is nodes and nodes.cursor == 2
        burst(app, ":speed 2", "enter", "2")
        await settle(pilot)
        assert app.session.clock.speed == 2
        assert app.focused is not None and app.focused.id == "vms-table"


async def test_esc_in_a_burst_drops_the_line_and_the_keys_behind_it_go_to_the_screen() -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        burst(app, ":speed 3", "escape", "2")
        await settle(pilot)
        assert app.session.clock.speed == 1
        line = app.screen.query_one(CommandLine)
        assert line.value == "" and not line.has_class("-open") and line.history == []
        assert app.focused is not None and app.focused.id == "vms-table"


async def test_editing_keys_in_a_burst_act_where_they_were_typed() -> None:
    """Backspace and tab act before the characters typed behind them."""
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        burst(app, ":spe", "tab", "4", "enter")
        await settle(pilot)
        assert app.session.clock.speed == 4
        burst(app, "2/web0", "backspace", "1")
        await settle(pilot)
        assert app.screen.query_one("#filter-line").value == "web1"
        burst(app, "enter")
        await settle(pilot)
        assert app.focused is not None and app.focused.id == "vms-table"
        assert app.focused.text_filter == "web1"


async def test_the_log_search_takes_a_burst_in_order() -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("L")
        await pilot.pause()
        assert isinstance(app.screen, EventLogScreen)
        table = app.screen.query_one(EventLogTable)
        burst(app, "/ab", "backspace", "c")
        await settle(pilot)
        assert table.text_filter == "ac"
        burst(app, "escape", "e")
        await settle(pilot)
        assert table.text_filter == "" and app.focused is table
        assert table.least == "error"  # `e`, typed behind esc, went to the log


async def test_commands_typed_one_behind_the_other_in_one_burst_each_run_whole() -> None:
    """The second `:` opens the line again before the first command has run: the first
    command's submission must neither take the second's characters nor close the line on them
    (under load one command of eight was lost and its keys reached the panes)."""
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        nodes = app.screen.query_one(NodesTable)
        burst(app, ":speed 3", "enter", ":speed 5", "enter", ":mark here", "enter", "jj")
        await settle(pilot)
        assert app.screen.query_one(CommandLine).history[-3:] == ["speed 3", "speed 5",
                                                                   "mark here"]
        assert app.session.clock.speed == 5
        assert app.focused is nodes and nodes.cursor == 2
        assert not app.screen.query_one(CommandLine).has_class("-open")


async def test_keys_read_before_the_bar_has_its_focus_stay_in_it() -> None:
    """The focus event reached the command line after `:spe` was in it and selected it, so the
    `e` of the next burst replaced it: `:speed 2` ran `ed 2` (found by a tester, about one
    command in seven over SSH). The same for the filter."""
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        burst(app, ":spe")
        await settle(pilot)
        burst(app, "ed 2", "enter")
        await settle(pilot)
        assert app.session.clock.speed == 2
        assert not any("unknown command" in n for n in notes(app))
        burst(app, "/sq")
        await settle(pilot)
        burst(app, "l02")
        await settle(pilot)
        assert app.screen.query_one("#filter-line", Bar).value == "sql02"
