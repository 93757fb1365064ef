"""The `?` screen: every key (as remapped), the table keys and the command language."""

from __future__ import annotations

from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from console.ui.keys import DRILL_KEYS, KEYS, REPLAY_KEYS, TABLE_KEYS, display_key


def help_renderable(keymap: dict[str, str], read_only: bool, locked_by: str = "",
                    drill: bool = False):
    """`locked_by`: why mutating keys are disabled besides read-only (`replay`, `drill over`);
    the replay's keys are listed only during a replay, the drill panel's (`drill`) only with
    one."""
    from console.model.commands import COMMANDS

    keys = Table.grid(padding=(0, 2))
    keys.add_column(style="bold", no_wrap=True)
    keys.add_column()
    why = "read-only" if read_only else locked_by
    for spec in (KEYS + (REPLAY_KEYS if locked_by == "replay" else ())
                 + (DRILL_KEYS if drill else ())):
        note = f"  (disabled: {why})" if why and spec.mutating else ""
        keys.add_row(display_key(spec, keymap), Text(spec.help + note))
    for key, what in TABLE_KEYS:
        keys.add_row(key, what)
    language = Table.grid(padding=(0, 2))
    language.add_column(style="bold", no_wrap=True)
    language.add_column()
    for verb in sorted(COMMANDS):
        cls = COMMANDS[verb]
        language.add_row(cls.usage(), cls.help)
    outer = Table.grid()
    outer.add_column()
    outer.add_row(Text("Keys", style="bold underline"))
    outer.add_row(keys)
    outer.add_row("")
    outer.add_row(Text("Command language (after :, in the palette, in drills)",
                       style="bold underline"))
    outer.add_row(language)
    outer.add_row("")
    outer.add_row(Text("Destructive keys (x, i, f) ask first unless --no-confirm. Keys are "
                       "remapped in $XDG_CONFIG_HOME/cluster-console/keys.toml, e.g. "
                       "[keys] crash = \"X\".", style="italic"))
    return outer


def locked_by(app) -> str:
    """Why mutating keys are disabled by the console's mode (`replay`, `the drill is over`), or ""
    when the mode does not lock them."""
    mode = getattr(app, "mode", None)
    if mode is None or not mode.locked:
        return ""
    return "replay" if mode.tag == "REPLAY" else "the drill is over"


class HelpScreen(ModalScreen[None]):
    """Every key with what it does, and the command language, in a scrollable modal; escape, q or ?
    closes it."""

    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll {
        width: 96%; max-width: 120; height: 90%;
        border: round $accent; background: $surface; padding: 0 1;
    }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark", "close", "Close"),
        Binding("j,down", "scroll(1)", "Down", show=False),
        Binding("k,up", "scroll(-1)", "Up", show=False),
    ]

    def compose(self) -> ComposeResult:
        app = self.app
        with VerticalScroll() as box:
            box.border_title = "Help (esc closes)"
            box.can_focus = True
            yield Static(help_renderable(app.keymap,  # type: ignore[attr-defined]
                                         app.session.read_only,  # type: ignore[attr-defined]
                                         locked_by(app),
                                         drill=any(screen.query("#drill-table")
                                                   for screen in app.screen_stack)))

    def on_mount(self) -> None:
        self.query_one(VerticalScroll).focus()

    def action_scroll(self, lines: int) -> None:
        self.query_one(VerticalScroll).scroll_relative(y=lines, animate=False)

    def action_close(self) -> None:
        self.dismiss(None)
