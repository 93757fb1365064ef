"""The `:` command line: the command language with completion and history.

Besides the model's commands it takes the console's own words (`CONSOLE_WORDS`): a pane's name
jumps to it (`:vms`, `:events`, ...), `help`, `theme NAME`, `mark LABEL` (a moment in the
recording) and `quit`; and the other spellings users try (`ALIASES`, as in k9s: `:vm`, `:node`,
`:svc`, `:ev`, `:q`, ...). While typing, the candidates for the word under the cursor (and the
usage of the command typed) show in a strip above the line (`Completions`), and the one
completion that fits is offered inline (right arrow takes it).
"""

from __future__ import annotations

import difflib
import shlex
from typing import TYPE_CHECKING, ClassVar

from textual.binding import Binding, BindingType
from textual.css.query import NoMatches
from textual.suggester import Suggester
from textual.widgets import Input, Static

from console.model import views
from console.model.commands import COMMANDS
from console.ui.widgets.bar import Bar

if TYPE_CHECKING:
    from collections.abc import Callable

    from console.model.engine import Engine

PANES = ("nodes", "vms", "heartbeats", "services", "migrations", "events", "balancer", "images")
#: The console's own words after `:`, with what each does (the help screen lists them).
CONSOLE_WORDS: dict[str, str] = {
    "help": "the help screen",
    "quit": "quit the console",
    "theme": "theme NAME: switch to a theme",
    "mark": "mark LABEL: a moment in the recording (replay --svg screenshots it)",
    **{pane: f"go to the {pane} pane" for pane in PANES},
}
#: Other spellings of the console's words (k9s and vi habits): alias -> word.
ALIASES: dict[str, str] = {
    "q": "quit", "q!": "quit", "exit": "quit", "?": "help", "h": "help",
    "node": "nodes", "no": "nodes", "host": "nodes", "hosts": "nodes",
    "vm": "vms", "hb": "heartbeats", "heartbeat": "heartbeats",
    "svc": "services", "service": "services",
    "mig": "migrations", "migration": "migrations",
    "ev": "events", "event": "events",
    "bal": "balancer", "drs": "balancer", "recommendations": "balancer",
    "img": "images", "image": "images",
}
HISTORY_KEPT = 200
STRIP_ROWS = 4  # the completions strip's most rows: the usage, then as many candidates as fit


def console_word(word: str) -> str | None:
    """The console word `word` is or stands for (`vm` -> `vms`), None when it is neither."""
    word = ALIASES.get(word, word)
    return word if word in CONSOLE_WORDS else None


def unknown_word(word: str) -> str:
    """The refusal of a first word the command line does not know, short (a toast of every
    verb covered the panes at 80x24): the nearest known word, if one is near, and where
    the others are (`?` lists them)."""
    near = difflib.get_close_matches(word.lower(), sorted({*COMMANDS, *CONSOLE_WORDS, *ALIASES}),
                                     n=1)
    guess = f"; did you mean {near[0]!r}?" if near else ""
    return f"unknown command {word!r}{guess} (? lists every command)"


def complete(engine: Engine, text: str, themes: list[str] = ()) -> tuple[str, list[str]]:  # type: ignore[assignment]
    """Complete the last word of `text`: (new text, the candidates that matched). The first
    word is completed from the verbs, the console's words and their aliases."""
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
        pool = sorted({*COMMANDS, *CONSOLE_WORDS, *ALIASES})
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


def is_complete_line(text: str) -> bool:
    """Whether `text` is a whole line the command line would run: a command of the language
    that parses, or a console word (or an alias of two letters or more) with what it takes
    (`theme NAME`, `mark [LABEL]`, the others alone)."""
    from console.model.commands import CommandError, parse

    words = text.split()
    if not words:
        return False
    if words[0] in COMMANDS:
        try:
            parse(text)
        except CommandError:
            return False
        return True
    word = console_word(words[0])
    if word is None or (words[0] in ALIASES and len(words[0]) < 2):
        return False
    if word == "theme":
        return len(words) == 2
    return word == "mark" or len(words) == 1


def usage_hint(text: str) -> str:
    """The usage and help of the command (or console word) `text` starts with, or ""."""
    words = text.split()
    if not words:
        return ""
    cls = COMMANDS.get(words[0])
    if cls is not None:
        return f"{cls.usage()}: {cls.help}"
    word = console_word(words[0])
    return f"{word}: {CONSOLE_WORDS[word]}" if word is not None else ""


class Completions(Static):
    """The strip above the command line: the candidates for the word being typed and the usage
    of the command typed; hidden when there is nothing to say or the line is closed. It lies
    over the panes' last rows (the screen's `overlay` layer) rather than taking rows from them:
    panes that change size lay out and draw the whole screen again, as the strip came and went
    with each command typed (30-70 ms at 40,000 VMs, a key waiting behind it). Hidden, it is
    invisible rather than not displayed: Textual numbers the painting order of a screen's
    children among those displayed, so a strip that left the display renumbered every pane and
    the screen was drawn whole again each time it came or went; invisible, it keeps its place
    and only its own rows are drawn."""

    DEFAULT_CSS = """
    Completions { dock: bottom; height: auto; max-height: 4; margin-bottom: 1;
                  visibility: hidden; layer: overlay; padding: 0 1; background: $boost;
                  color: $text-muted; }
    Completions.-shown { visibility: visible; }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__("", markup=False, **kwargs)
        self.lines: list[str] = []

    def show(self, candidates: list[str], hint: str) -> None:
        """Show `hint` and `candidates` (as many as fit the strip's STRIP_ROWS rows at the
        screen's width, then `(+N more)`); hide the strip when both are empty."""
        width = max(20, self.app.size.width - 2)  # the whole width, less the padding
        # Rows wrap between words: a row may end up to a word short of the width.
        longest = max(map(len, candidates), default=0)
        room = (STRIP_ROWS - (-(-len(hint) // width))) * max(1, width - longest)
        shown = ""
        for count, candidate in enumerate(candidates):
            more = len(candidates) - count - 1
            suffix = f" (+{more} more)" if more else ""
            text = f"{shown} {candidate}" if shown else candidate
            if len(text) + len(suffix) > room:
                shown = f"{shown} (+{len(candidates) - count} more)".lstrip()
                break
            shown = text
        lines = [line for line in (hint, shown) if line]
        if lines != self.lines:
            self.lines = lines
            self.update("\n".join(lines))
        self.set_class(bool(lines), "-shown")


class LineSuggester(Suggester):
    """The inline suggestion: the line completed as far as it is certain (`complete`)."""

    def __init__(self, completer: Callable[[str], tuple[str, list[str]]]) -> None:
        super().__init__(use_cache=False, case_sensitive=True)
        self.completer = completer

    async def get_suggestion(self, value: str) -> str | None:
        """`value` completed, when completion adds to it."""
        text, _candidates = self.completer(value)
        return text if text != value and text.startswith(value) else None


class CommandLine(Bar):
    """A bar with completion (tab; the candidates in the `Completions` strip above, the sure
    part inline) and history (up / down); enter submits, esc closes."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("tab", "complete", "Complete", show=False),
        Binding("up", "history(-1)", "Previous", show=False),
        Binding("down", "history(1)", "Next", show=False),
    ]

    def __init__(self, **kwargs) -> None:
        super().__init__(placeholder="command (tab completes; e.g. maintenance B on)",
                         suggester=LineSuggester(self.complete_line), **kwargs)
        self.history: list[str] = []
        self._position = 0
        self.candidates: list[str] = []

    async def action_submit(self) -> None:
        """Enter: the line goes to the screen (`Input.Submitted`, which runs it) and the bar is
        empty at once, for a command typed right behind it."""
        text, self.value = self.value, ""
        self.post_message(self.Submitted(self, text))

    def complete_line(self, text: str) -> tuple[str, list[str]]:
        """`complete` on the console's engine and themes."""
        app = self.app
        return complete(app.engine, text,  # type: ignore[attr-defined]
                        list(getattr(app, "theme_names", [])))

    def remember(self, line: str) -> None:
        """Add `line` to the history (not an empty one, nor the same line twice in a row; the last
        HISTORY_KEPT kept) and point the history after it."""
        if line and (not self.history or self.history[-1] != line):
            self.history.append(line)
            del self.history[:-HISTORY_KEPT]
        self._position = len(self.history)

    def _strip(self) -> Completions | None:
        try:
            return self.screen.query_one(Completions)
        except NoMatches:
            return None

    def _show_candidates(self) -> None:
        strip = self._strip()
        if strip is None:
            return
        if not self.has_focus:
            strip.show([], "")
            return
        _text, self.candidates = self.complete_line(self.value)
        shown = self.candidates
        if not self.value.strip():  # the words to start with: no aliases
            shown = [c for c in shown if c not in ALIASES]
        strip.show(shown, usage_hint(self.value))

    def on_input_changed(self, message: Input.Changed) -> None:
        """Typing: the strip follows the word under the cursor (the message goes on to the
        screen)."""
        if message.input is self:
            self._show_candidates()

    def on_focus(self) -> None:
        self._show_candidates()

    def on_blur(self) -> None:
        strip = self._strip()
        if strip is not None:
            strip.show([], "")

    def action_complete(self) -> None:
        text, self.candidates = self.complete_line(self.value)
        self.value = text
        self.cursor_position = len(text)
        self._show_candidates()

    def action_history(self, step: int) -> None:
        if not self.history:
            return
        self._position = max(0, min(len(self.history), self._position + step))
        self.value = self.history[self._position] if self._position < len(self.history) else ""
        self.cursor_position = len(self.value)
