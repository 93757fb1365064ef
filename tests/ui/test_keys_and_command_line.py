"""Keys and the command line as k9s and htop users reach for them: the palette runs typed
commands, `:` takes the aliases users try and shows completions in a strip above the line, the
help screen (F1) scrolls with the table keys and lists every key's id and the symbols, F10 and
ctrl+c quit, the footer keeps `? Help` and `q Quit` at 80 columns and says Resume while paused,
and keys.toml reads `F2`."""

from __future__ import annotations

import pytest
from textual.command import CommandList, CommandPalette
from textual.containers import VerticalScroll
from textual.widgets import Footer
from ui_helpers import make_app, notes, select_node, select_vm

from console.model.commands import COMMANDS
from console.ui.keys import KEYS, keymap_path, load_keymap
from console.ui.legend import legend_rows
from console.ui.screens.details import DetailsScreen
from console.ui.screens.dialogs import ConfirmScreen, TargetPicker
from console.ui.screens.help import HelpScreen
from console.ui.widgets.command_line import ALIASES, CONSOLE_WORDS, CommandLine, Completions


async def palette_run(pilot, query: str) -> list[str]:
    """Open the palette, type `query`, wait for its hits; the prompts shown, best first."""
    await pilot.press("ctrl+p")
    await pilot.press(*query)
    palette = pilot.app.screen
    assert isinstance(palette, CommandPalette)
    hits = palette.query_one(CommandList)
    await pilot.app.workers.wait_for_complete()  # the palette searches in a worker
    await pilot.pause()
    return [str(hits.get_option_at_index(i).prompt).split("\n")[0]
            for i in range(hits.option_count)]


# -- the palette runs typed commands ---------------------------------------------------------


async def test_the_palette_offers_a_typed_command_first_and_runs_it():
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        prompts = await palette_run(pilot, "fail-node A")
        assert prompts[0] == "Run: fail-node A"
        await pilot.press("enter")
        await pilot.pause()
        assert not app.engine.cluster.nodes["A"].powered


async def test_a_destructive_command_from_the_palette_asks_first_as_its_key_does():
    app = make_app(confirm=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await palette_run(pilot, "fail-node B")
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")
        assert app.engine.cluster.nodes["B"].powered
        await palette_run(pilot, "isolate B")
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        await pilot.pause()
        assert not app.engine.cluster.nodes["B"].connected
        await pilot.press(":", *"fail-node C", "enter")  # typed after `:`: the line is the yes
        await pilot.pause()
        assert not isinstance(app.screen, ConfirmScreen)
        assert not app.engine.cluster.nodes["C"].powered


async def test_a_typed_command_the_model_refuses_says_why():
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await palette_run(pilot, "fail-node Z")
        await pilot.press("enter")
        await pilot.pause()
        assert any("fail-node Z" in n and "Z" in n.split(":", 1)[1] for n in notes(app))
    app = make_app(read_only=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await palette_run(pilot, "fail-node A")
        await pilot.press("enter")
        await pilot.pause()
        assert app.engine.cluster.nodes["A"].powered
        assert any("read-only" in n for n in notes(app))


async def test_the_palette_runs_console_words_but_offers_no_one_letter_quit():
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        assert (await palette_run(pilot, "theme light"))[0] == "Run: theme light"
        await pilot.press("enter")
        await pilot.pause()
        assert app.theme == "light"
        assert (await palette_run(pilot, "svc"))[0] == "Run: svc"
        await pilot.press("enter")
        await pilot.pause()
        assert app.focused.id == "services-table"
        assert not any(p.startswith("Run:") for p in await palette_run(pilot, "q"))
        await pilot.press("escape")
        await pilot.pause()
        assert app.return_code is None


async def test_the_palettes_pause_entry_resumes_a_paused_clock_and_pauses_a_running_one():
    app = make_app(paused=True)
    async with app.run_test(size=(120, 40)) as pilot:
        for paused_after in (False, True):
            assert (await palette_run(pilot, "pause / resume"))[0].startswith("Pause / resume")
            await pilot.press("enter")
            await pilot.pause()
            assert app.session.clock.paused is paused_after


# -- `:` aliases, the known list, completions --------------------------------------------------


@pytest.mark.parametrize(("typed", "table"), [
    ("vm", "vms"), ("vms", "vms"), ("node", "nodes"), ("nodes", "nodes"), ("ev", "events"),
    ("events", "events"), ("svc", "services"), ("services", "services"), ("mig", "migrations"),
    ("hb", "heartbeats"), ("bal", "balancer"), ("img", "images"),
])
async def test_colon_takes_the_pane_aliases_users_try(typed, table):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("colon", *typed, "enter")
        await pilot.pause()
        assert app.focused.id == f"{table}-table"
        assert not notes(app)


@pytest.mark.parametrize("typed", ["q", "quit", "q!", "exit"])
async def test_colon_q_quits(typed):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("colon", *typed, "enter")
        await pilot.pause()
    assert app.return_code == 0


@pytest.mark.parametrize("typed", ["help", "h"])
async def test_colon_help_opens_help(typed):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("colon", *typed, "enter")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)


async def test_an_unknown_word_is_refused_in_short_with_the_nearest_word():
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("colon", *"fial-node", "enter")
        await pilot.pause()
        refusal = next(n for n in notes(app) if "unknown command 'fial-node'" in n)
        assert "did you mean 'fail-node'?" in refusal and "? lists every command" in refusal
        assert len(refusal) < 100  # a toast of two lines at most, not every verb
        await pilot.press("colon", *"FAIL-NODE", "enter")
        await pilot.pause()
        assert any("did you mean 'fail-node'?" in n for n in notes(app) if "FAIL-NODE" in n)
        await pilot.press("colon", *"zzzzqx", "enter")
        await pilot.pause()
        assert "unknown command 'zzzzqx' (? lists every command)" in notes(app)


def test_no_alias_shadows_a_verb_or_a_console_word():
    assert not set(ALIASES) & (set(COMMANDS) | set(CONSOLE_WORDS))
    assert set(ALIASES.values()) <= set(CONSOLE_WORDS)


async def test_completions_show_in_a_strip_above_the_line_not_in_toasts():
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("colon", *"fail-", "tab")
        await pilot.pause()
        strip = app.screen.query_one(Completions)
        line = app.screen.query_one(CommandLine)
        assert strip.visible and strip.region.height >= 1
        assert strip.region.bottom <= line.region.y  # above the line, not over it
        assert "fail-node" in " ".join(strip.lines)
        assert not app._notifications  # no toast piles up over the panes
        await pilot.press(*"n", "tab")  # fail-node: its usage, then the nodes
        await pilot.pause()
        assert line.value == "fail-node "
        assert strip.lines[0].startswith("fail-node NODE")
        assert strip.lines[1].split() == ["A", "B", "C"]
        await pilot.press("escape")
        await pilot.pause()
        assert not strip.visible
        assert not app._notifications


async def test_the_line_suggests_the_sure_completion_inline():
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("colon", *"maint")
        line = app.screen.query_one(CommandLine)
        for _ in range(20):
            await pilot.pause()
            if line._suggestion:
                break
        assert line._suggestion == "maintenance "
        await pilot.press("right", *"B on", "enter")
        await pilot.pause()
        assert app.engine.cluster.nodes["B"].maintenance


# -- the help screen ---------------------------------------------------------------------------


def help_text(app) -> str:
    from rich.console import Console

    from console.ui.screens.help import help_renderable

    console = Console(width=160, record=True, file=open("/dev/null", "w"))  # noqa: SIM115
    console.print(help_renderable(app.keymap, app.session.read_only))
    return console.export_text()


async def test_f1_opens_help_and_the_table_keys_scroll_it():
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        box = app.screen.query_one(VerticalScroll)
        assert box.max_scroll_y > 20
        seen = []
        for key in ("j", "j", "k", "G", "g", "pagedown", "pageup", "end", "home", "down"):
            await pilot.press(key)
            await pilot.pause()
            seen.append(box.scroll_y)
        bottom = box.max_scroll_y
        assert seen == [1, 2, 1, bottom, 0, seen[5], 0, bottom, 0, 1] and 10 < seen[5] < bottom
        await pilot.press("f1")
        await pilot.pause()
        assert not isinstance(app.screen, HelpScreen)


async def test_help_lists_every_key_with_its_id_the_legend_and_the_real_keys_path():
    app = make_app()
    async with app.run_test(size=(120, 40)):
        text = help_text(app)
    for spec in KEYS:
        assert any(f" {spec.id} " in line for line in text.splitlines()), spec.id
    for symbols, meaning in legend_rows():
        assert any(symbols in line and meaning[:20] in line for line in text.splitlines())
    assert "$XDG" not in text and str(keymap_path()) in text.replace("\n", "")
    assert "F1" in text and "F10" in text
    assert "q goes back" in text  # the details screen's q


# -- quitting ----------------------------------------------------------------------------------


async def nothing(pilot) -> None:
    """The main screen as it opens."""


async def help_screen(pilot) -> None:
    await pilot.press("question_mark")
    assert isinstance(pilot.app.screen, HelpScreen)


async def details(pilot) -> None:
    await select_node(pilot, "A")
    await pilot.press("enter")
    assert isinstance(pilot.app.screen, DetailsScreen)


async def dialog(pilot) -> None:
    await select_node(pilot, "A")
    await pilot.press("x")
    assert isinstance(pilot.app.screen, ConfirmScreen)


async def picker(pilot) -> None:
    await select_vm(pilot, "web01")
    await pilot.press("v")
    assert isinstance(pilot.app.screen, TargetPicker)


async def command_line(pilot) -> None:
    await pilot.press("colon", "f")


async def filter_bar(pilot) -> None:
    await pilot.press("slash", "w")


async def palette(pilot) -> None:
    await pilot.press("ctrl+p", "x")
    assert isinstance(pilot.app.screen, CommandPalette)


PLACES = [nothing, help_screen, details, dialog, picker, command_line, filter_bar, palette]


@pytest.mark.parametrize("key", ["f10", "ctrl+c"])
@pytest.mark.parametrize("go", PLACES, ids=[g.__name__ for g in PLACES])
async def test_f10_and_ctrl_c_quit_from_every_screen_without_a_toast(go, key):
    app = make_app(confirm=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await go(pilot)
        await pilot.pause()
        assert app.return_code is None
        await pilot.press(key)
        await pilot.pause()
        assert app.return_code == 0, f"{key} did not quit {app.screen}"
        assert not app._notifications


async def test_q_in_details_goes_back_and_does_not_quit():
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await details(pilot)
        await pilot.press("q")
        await pilot.pause()
        assert app.return_code is None and not isinstance(app.screen, DetailsScreen)


# -- the footer --------------------------------------------------------------------------------


def footer_labels(app) -> dict[str, tuple[str, int]]:
    """What the footer shows: {label: (key, right edge)}."""
    footer = app.screen.query_one(Footer)
    return {key.description: (key.key, key.region.right) for key in footer.query("FooterKey")
            if key.region.width}


async def footer_with(pilot, label: str) -> dict[str, tuple[str, int]]:
    """The footer's labels once it shows `label` (it recomposes after the bindings change), or
    as they are after a while."""
    for _ in range(50):
        labels = footer_labels(pilot.app)
        if label in labels:
            break
        await pilot.pause()
    return labels


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_the_footer_shows_help_and_quit_at_every_width(size):
    app = make_app()
    async with app.run_test(size=size) as pilot:
        labels = await footer_with(pilot, "Quit")
        assert labels["Help"][0] == "question_mark" and labels["Help"][1] <= size[0]
        assert labels["Quit"][0] == "q" and labels["Quit"][1] <= size[0]


async def test_the_space_key_says_resume_while_paused_and_pause_while_running():
    app = make_app(paused=True)
    async with app.run_test(size=(120, 40)) as pilot:
        labels = await footer_with(pilot, "Resume")
        assert labels["Resume"][0] == "space" and "Pause" not in labels
        await pilot.press("space")
        labels = await footer_with(pilot, "Pause")
        assert not app.session.clock.paused
        assert labels["Pause"][0] == "space" and "Resume" not in labels
        await pilot.press(":", *"pause", "enter")  # a command pauses it too
        assert app.session.clock.paused and "Resume" in await footer_with(pilot, "Resume")
        await pilot.press("space")
        await pilot.pause()
        assert not app.session.clock.paused


# -- key names ---------------------------------------------------------------------------------


async def test_readmes_keys_toml_with_f2_loads_and_both_keys_act(tmp_path):
    path = tmp_path / "keys.toml"
    path.write_text('[keys]\nmaintenance = "alt+m,F2"\n')
    app = make_app(keymap=load_keymap(path))
    async with app.run_test(size=(120, 40)) as pilot:
        await select_node(pilot, "B")
        await pilot.press("f2")
        await pilot.pause()
        assert app.engine.cluster.nodes["B"].maintenance
        await pilot.press("alt+m")
        await pilot.pause()
        assert not app.engine.cluster.nodes["B"].maintenance
        await pilot.press("m")  # m is no longer maintenance
        await pilot.pause()
        assert not app.engine.cluster.nodes["B"].maintenance
        assert "alt+m f2" in help_text(app)


def burst(app, typed: str) -> None:
    """Post `typed` (and enter) to the app in one go, as a terminal over SSH delivers a whole
    line in one read: no key waits for the one before it to be handled."""
    from textual import events

    names = {":": "colon", "/": "slash", " ": "space", "-": "minus"}
    for char in typed:
        app.post_message(events.Key(names.get(char, char), char))
    app.post_message(events.Key("enter", "\r"))


@pytest.mark.parametrize("line", [":speed 63", "6:speed 63", ":fail-node B"])
async def test_a_command_typed_in_one_burst_arrives_whole_and_in_order(line):
    """`:` opens the line as the app reads it, so that every key behind it goes into the line
    in the order typed (not some straight to the line while the earlier ones are still passed
    up from the pane, the rest then running as keys of their own). A pane's number before it
    (`6:`) focuses that pane first."""
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        burst(app, line)
        for _ in range(10):
            await pilot.pause()
        history = app.screen.query_one(CommandLine).history
        assert history[-1:] == [line.split(":", 1)[1]]
        assert app.session.clock.paused  # no stray space resumed the clock
        assert not app.screen.query_one(CommandLine).has_class("-open")
        if line.startswith("6"):
            assert app.screen.focused.id == "events-table"


@pytest.mark.parametrize(("key", "char", "focused"),
                         [("colon", ":", "command-line"), ("slash", "/", "filter-line"),
                          ("6", "6", "events-table")])
async def test_bar_and_pane_keys_act_as_the_app_reads_them(key, char, focused):
    """Before any widget has had its turn: the keys read behind them then go to the line, the
    filter or that pane, in order (each widget handles its keys in a task of its own, so a bar
    opened in the pane's turn got later keys before the pane had passed up the earlier ones)."""
    from textual import events

    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await app.on_event(events.Key(key, char))
        assert app.focused is not None and app.focused.id == focused


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_the_strip_says_how_many_candidates_it_could_not_show(size):
    """On 300 hosts the nodes after `fail-node ` do not fit the strip's rows: its last row says
    how many more there are, inside the strip (a count written past its last row was cut off
    with the names it did not fit)."""
    from console.formats.cluster import parse_cluster
    from console.model.engine import Engine

    text = ('[cluster]\nname = "many"\n[[nodes]]\nname = "host"\ncount = 300\n'
            'hypervisor = "esxi"\n')
    app = make_app(Engine(parse_cluster(text, "many.toml"), 0))
    async with app.run_test(size=size) as pilot:
        await pilot.press("colon", *"fail-node ")
        await pilot.pause()
        strip = app.screen.query_one(Completions)
        nodes = sorted(app.engine.cluster.nodes)  # the candidates' order
        names, more = strip.lines[-1].split(" (+")
        assert names.split() == nodes[:len(names.split())]
        assert more == f"{len(nodes) - len(names.split())} more)"
        rendered = "".join(strip.render_line(y).text for y in range(strip.region.height))
        assert rendered.rstrip().endswith(f"(+{more}")
        assert strip.region.height <= 4
