"""The `:` command line: the command language with tab completion and history.

Besides the model's commands it takes a few console words: a pane's name jumps to it (`:vms`,
`:events`, ...), `help`, `theme NAME`, `mark LABEL` (a moment in the recording) and `quit`.
"""

from __future__ import annotations

import shlex
from typing import TYPE_CHECKING, ClassVar

from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import Input

from console.model import views
from console.model.commands import COMMANDS

if TYPE_CHECKING:
    from console.model.engine import Engine

PANES = ("nodes", "vms", "heartbeats", "services", "migrations", "events", "balancer", "images")
CONSOLE_WORDS = ("help", "mark", "quit", "theme", *PANES)
HISTORY_KEPT = 200


def complete(engine: Engine, text: str, themes: list[str] = ()) -> tuple[str, list[str]]:  # type: ignore[assignment]
    """Complete the last word of `text`: (new text, the candidates that matched)."""
    ends_with_space = text == "" or text[-1].isspace()
    try:
        words = shlex.split(text)
    except ValueError:
        return text, []
    if ends_with_space:
        words.append("")
    current = words[-1]
    position = len(words) - 1
    if position == 0:
        pool = sorted({*COMMANDS, *CONSOLE_WORDS})
    else:
        pool = _candidates(engine, words[0], words[1:-1], themes)
    matches = [c for c in pool if c.startswith(current)]
    if not matches:
        return text, []
    head = text[: len(text) - len(current)] if current else text
    if len(matches) == 1:
        return head + matches[0] + " ", matches
    prefix = matches[0]
    for match in matches[1:]:
        while not match.startswith(prefix):
            prefix = prefix[:-1]
    return head + prefix, matches


def _candidates(engine: Engine, verb: str, before: list[str], themes: list[str]) -> list[str]:
    if verb == "theme":
        return list(themes) if not before else []
    cls = COMMANDS.get(verb)
    if cls is None:
        return []
    positional = [w for w in before if not w.startswith("--")]
    flags = [f"--{p.name.replace('_', '-')}" for p in cls.params if p.kind == "flag"
             and f"--{p.name.replace('_', '-')}" not in before]
    params = [p for p in cls.params if p.kind != "flag"]
    index = 0
    for param in params:
        if param.kind == "keyword-node":
            if positional[index:index + 1] == ["on"]:
                if len(positional) == index + 1:
                    return sorted(views.names_for(engine, "node"))
                index += 2
                continue
            if len(positional) == index:
                return ["on", *flags]
            continue
        if len(positional) == index:
            return [*(param.choices or sorted(views.names_for(engine, param.kind))), *flags]
        index += 1
    return flags


class CommandLine(Input):
    """Input with completion (tab) and history (up / down); enter submits, esc closes."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("tab", "complete", "Complete", show=False),
        Binding("up", "history(-1)", "Previous", show=False),
        Binding("down", "history(1)", "Next", show=False),
        Binding("escape", "close", "Close", show=False),
    ]

    class Closed(Message):
        """Escape closed the bar and dropped its line: the screen hides it and gives the focus
        back."""

        pass

    def __init__(self, **kwargs) -> None:
        super().__init__(placeholder="command (tab completes; e.g. maintenance B on)", **kwargs)
        self.history: list[str] = []
        self._position = 0
        self.candidates: list[str] = []

    def remember(self, line: str) -> None:
        """Add `line` to the history (not an empty one, nor the same line twice in a row; the last
        HISTORY_KEPT kept) and point the history after it."""
        if line and (not self.history or self.history[-1] != line):
            self.history.append(line)
            del self.history[:-HISTORY_KEPT]
        self._position = len(self.history)

    def action_complete(self) -> None:
        app = self.app
        themes = [t for t in getattr(app, "theme_names", [])]
        text, self.candidates = complete(app.engine, self.value, themes)  # type: ignore[attr-defined]
        self.value = text
        self.cursor_position = len(text)
        if len(self.candidates) > 1:
            shown = " ".join(self.candidates[:12]) + (" ..." if len(self.candidates) > 12 else "")
            self.app.notify(shown, title="Completions", timeout=4, markup=False)

    def action_history(self, step: int) -> None:
        if not self.history:
            return
        self._position = max(0, min(len(self.history), self._position + step))
        self.value = self.history[self._position] if self._position < len(self.history) else ""
        self.cursor_position = len(self.value)

    def action_close(self) -> None:
        self.value = ""
        self.post_message(self.Closed())
