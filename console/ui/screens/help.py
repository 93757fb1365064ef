"""The help screen (`?`, F1): every key (as remapped) with its id, the table keys, the symbols,
the command language and the command line's words; scrolled with the table keys."""

from __future__ import annotations

from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from console.ui.keys import DRILL_KEYS, KEYS, REPLAY_KEYS, TABLE_KEYS, display_key, keymap_path
from console.ui.legend import legend_rows
from console.ui.screens.steady import SteadyScreen
from console.ui.widgets.command_line import ALIASES, CONSOLE_WORDS

#: Keys of the screens other than the main one (their own, not remappable).
SCREEN_KEYS = (("details, event log, alerts: esc q",
                "back to the main screen (q goes back there, it does not quit)"),
               ("details: ↑ ↓ j k, pgup pgdn, home end", "scroll"),
               ("help: ↑ ↓ j k, pgup pgdn, home end g G", "scroll"),
               ("help: esc q ? F1", "close this help"),
               ("dialog: y enter / n esc", "yes / no"),
               ("target picker: enter, a, esc", "migrate there; the balancer chooses; cancel"))


def help_renderable(keymap: dict[str, str], read_only: bool, locked_by: str = "",
                    drill: bool = False):
    """Every key with its id in keys.toml and what it does, the table keys, the details
    screen's keys, the symbols' legend (console.ui.legend), the command language and the
    command line's own words and aliases. `locked_by`: why mutating keys are disabled besides
    read-only (`replay`, `drill over`); the replay's keys are listed only during a replay, the
    drill panel's (`drill`) only with one.
    The keymap's path is the real one (`keymap_path()`), not a variable's name."""
    from console.model.commands import COMMANDS

    keys = _grid(3)
    keys.add_row(Text("key", style="dim"), Text("id (keys.toml)", style="dim"),
                 Text("action", style="dim"))
    why = "read-only" if read_only else locked_by
    for spec in (KEYS + (REPLAY_KEYS if locked_by == "replay" else ())
                 + (DRILL_KEYS if drill else ())):
        note = f"  (disabled: {why})" if why and spec.mutating else ""
        keys.add_row(display_key(spec, keymap), spec.id, Text(spec.help + note))
    for key, what in TABLE_KEYS:
        keys.add_row(key, "", what)
    screens = _grid(2)
    for key, what in SCREEN_KEYS:
        screens.add_row(key, what)
    legend = _grid(2)
    for symbols, meaning in legend_rows():
        legend.add_row(symbols, meaning)
    language = _grid(2)
    for verb in sorted(COMMANDS):
        cls = COMMANDS[verb]
        language.add_row(cls.usage(), cls.help)
    words = _grid(2)
    for word, what in CONSOLE_WORDS.items():
        aliases = [alias for alias, target in ALIASES.items() if target == word]
        words.add_row(" ".join([word, *aliases]), what)
    outer = Table.grid()
    outer.add_column()
    for title, body in (("Keys", keys), ("Other screens", screens), ("Symbols", legend),
                        ("Command language (after :, in the palette, in drills)", language),
                        ("The command line's own words (and their aliases)", words)):
        outer.add_row(Text(title, style="bold underline"))
        outer.add_row(body)
        outer.add_row("")
    path = keymap_path()
    asking = ", ".join(display_key(spec, keymap) for spec in KEYS if spec.asks)
    outer.add_row(Text(f"These keys ask first unless --no-confirm: {asking}; and so do "
                       f"fail-node, isolate, failover, vm-power off, vm-shutdown, "
                       f"cold-migrate, maintenance on and the migration of a VM on a real "
                       f"host typed in the palette. Keys are "
                       f"remapped in {path} by id, e.g."
                       f" [keys] crash = \"X\", maintenance = \"alt+m,F2\".",
                       style="italic"))
    return outer


class _Grid(Table):
    """A borderless table whose first column is bold and unwrapped; every cell is plain text
    (a usage such as `BASE[+LAYER...]` is not markup)."""

    def add_row(self, *cells: object, **options) -> None:  # type: ignore[override]
        """Add a row, each string cell as plain text."""
        super().add_row(*(Text(c) if isinstance(c, str) else c for c in cells), **options)


def _grid(columns: int) -> Table:
    grid = _Grid(show_header=False, show_edge=False, box=None, padding=(0, 2),
                 pad_edge=False, collapse_padding=True)
    grid.add_column(style="bold", no_wrap=True)
    for _ in range(columns - 1):
        grid.add_column()
    return grid


def locked_by(app) -> str:
    """Why mutating keys are disabled by the console's mode (`replay`, `the drill is over`, the
    mode's own `locked_by`), or "" when the mode does not lock them."""
    mode = getattr(app, "mode", None)
    if mode is None or not mode.locked:
        return ""
    if getattr(mode, "locked_by", ""):  # a follower's: console.ui.follow
        return mode.locked_by
    return "replay" if mode.tag == "REPLAY" else "the drill is over"


class HelpScreen(SteadyScreen, ModalScreen[None]):
    """Every key with its id and what it does, the legend and the command language, in a
    scrollable modal; escape, q, ? or F1 closes it."""

    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll {
        width: 96%; max-width: 120; height: 90%;
        border: round $accent; background: $surface; padding: 0 1;
    }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark,f1", "close", "Close"),
        Binding("j,down", "scroll(1)", "Down", show=False),
        Binding("k,up", "scroll(-1)", "Up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("g,home", "edge(False)", "Top", show=False),
        Binding("G,end", "edge(True)", "Bottom", show=False),
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

    def action_page(self, pages: int) -> None:
        box = self.query_one(VerticalScroll)
        box.scroll_relative(y=pages * max(1, box.scrollable_content_region.height - 1),
                            animate=False)

    def action_edge(self, end: bool) -> None:
        box = self.query_one(VerticalScroll)
        if end:
            box.scroll_end(animate=False, immediate=True)
        else:
            box.scroll_home(animate=False, immediate=True)

    def action_close(self) -> None:
        self.dismiss(None)
