"""ctrl+c quits from every screen and mode (never a toast saying how to quit), and no toast
shows raw markup: Textual's own toasts render theirs, the console's are plain text."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from textual import events
from textual.content import Content
from ui_helpers import loading_app, make_app, notes, select_node, select_vm

from console.drills import load_drill
from console.drills.live import LiveDrill, drill_session
from console.formats.recording import load_recording, record_engine
from console.model.engine import Engine
from console.paths import SAMPLE_CLUSTERS
from console.replay import ReplayPlayer, replay_session
from console.ui.drill import DrillMode
from console.ui.replay import ReplayMode
from console.ui.screens.report import ReportScreen

CONSOLE = Path(__file__).resolve().parents[2] / "console"
NODE_CRASH = SAMPLE_CLUSTERS / "drills" / "node-crash.toml"


def plain_app(tmp_path: Path):
    return make_app(confirm=True)


def drill_app(tmp_path: Path):
    drill = load_drill(NODE_CRASH)
    session = drill_session(drill, paused=True)
    return make_app(session=session, mode=DrillMode(LiveDrill(session, drill,
                                                               tmp_path / "r.txt")))


def replay_app(tmp_path: Path):
    from console.formats.cluster import load_cluster

    engine = Engine(load_cluster(SAMPLE_CLUSTERS / "seed.toml"), 0)
    engine.run_until(60)
    path = tmp_path / "r.jsonl"
    seed = SAMPLE_CLUSTERS / "seed.toml"
    record_engine(path, engine, cluster_file=str(seed), cluster=seed.read_text(),
                  created_by="simulate", end=60)
    recording = load_recording(path)
    session = replay_session(recording, paused=True)
    return make_app(session=session, mode=ReplayMode(ReplayPlayer(session, recording)))


async def nowhere(pilot) -> None:
    """The main screen as it opens."""


async def command_line(pilot) -> None:
    await pilot.press(":", "f", "a")


async def confirm_dialog(pilot) -> None:
    await select_node(pilot, "A")
    await pilot.press("x")


async def target_picker(pilot) -> None:
    await select_vm(pilot, "web01")
    await pilot.press("v")


async def details(pilot) -> None:
    await select_node(pilot, "A")
    await pilot.press("enter")


async def help_screen(pilot) -> None:
    await pilot.press("question_mark")


async def command_palette(pilot) -> None:
    await pilot.press("ctrl+p")


async def drill_report(pilot) -> None:
    pilot.app.advance(600)
    await pilot.pause()
    assert isinstance(pilot.app.screen, ReportScreen)


PLACES = [
    (plain_app, nowhere), (plain_app, command_line), (plain_app, confirm_dialog),
    (plain_app, target_picker), (plain_app, details), (plain_app, help_screen),
    (plain_app, command_palette), (drill_app, nowhere), (drill_app, command_line),
    (drill_app, drill_report), (replay_app, nowhere), (replay_app, help_screen),
]


@pytest.mark.parametrize(("app_for", "go"), PLACES,
                         ids=[f"{a.__name__}-{g.__name__}" for a, g in PLACES])
async def test_ctrl_c_quits_from_every_screen_and_mode(tmp_path, app_for, go) -> None:
    app = app_for(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await go(pilot)
        await pilot.pause()
        screen = app.screen
        assert app.return_code is None, f"left before ctrl+c on {screen}"
        await pilot.press("ctrl+c")
        await pilot.pause()
        assert app.return_code == 0, f"ctrl+c did not quit {screen}"
        assert not any("ctrl+q" in message for message in notes(app))


async def test_ctrl_c_quits_the_loading_screen() -> None:
    async with loading_app() as (app, pilot, _release):
        await pilot.press("ctrl+c")
        await pilot.pause()
        assert app.return_code == 0


def toast_texts(app) -> list[str]:
    """What the toasts show, read as Textual's Toast reads its notification."""
    return [(Content.from_markup(n.message) if n.markup else Content(n.message)).plain
            for n in app._notifications]


async def test_textuals_own_toasts_render_their_markup() -> None:
    """The screenshot toast (the palette's "Save screenshot") said `[$text-success]`."""
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        app.post_message(events.DeliveryComplete(key="k", path=Path("shot.svg"),
                                                 name="screenshot"))
        await pilot.pause()
        shown = " ".join(toast_texts(app))
        assert "shot.svg" in shown and "[$" not in shown and "[b]" not in shown


async def test_the_consoles_toasts_show_text_with_brackets_as_it_is() -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        app.run_text("fail-node [b]B[/b]")
        app.run_text("theme [red]x")
        await pilot.pause()
        shown = " ".join(toast_texts(app))
        assert "[b]B[/b]" in shown and "[red]x" in shown


def test_every_toast_of_the_console_is_plain_text() -> None:
    """The kind: a message built from names, typed commands and reasons, read as markup, shows
    tags or breaks; every `notify(...)` call in the console says `markup=False` (but Textual's
    own, `super().notify`, given the message escaped: console.ui.toasts)."""
    missing = []
    for path in sorted(CONSOLE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr == "notify" and not is_super(node.func.value)):
                markup = [k for k in node.keywords if k.arg == "markup"]
                plain = markup and (isinstance(markup[0].value, ast.Name)
                                    or ast.literal_eval(markup[0].value) is False)
                if not plain:
                    missing.append(f"{path.relative_to(CONSOLE.parent)}:{node.lineno}")
    assert missing == []


def is_super(node: ast.expr) -> bool:
    """`super()`."""
    return (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
            and node.func.id == "super")
