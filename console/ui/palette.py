"""The command palette (ctrl+p): the same actions as the keys, worded for the current selection,
plus pane jumps and themes. Picking one runs the same action a key would (confirmation and
read-only refusals included). A query that is a whole line of the command line (`fail-node A`,
`theme dark`, `vms`) is offered first as `Run: ...`, run as typed after `:` (`run_text`),
except that crash, isolate and failover ask first, as their keys do."""

from __future__ import annotations

import math
from collections.abc import Awaitable
from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.screen import Screen

from console.ui.keys import DRILL_KEYS, KEYS, REPLAY_KEYS
from console.ui.widgets.command_line import is_complete_line

#: A typed command line ranks above every fuzzy match (Textual's scores are unbounded).
RUN_SCORE = math.inf


def run_key_action(screen: Screen, action: str) -> Awaitable[bool] | None:
    """Run `action` on `screen` as its key runs it: a greyed key says its refusal (the main
    screen's `press_greyed`: the source's reason, or a locked key's command built to be refused
    with its reason), where Textual's `run_action` skips a disabled action silently."""
    if screen.check_action(action, ()) is None:
        press_greyed = getattr(screen, "press_greyed", None)
        if press_greyed is not None:
            return press_greyed(action)
        return getattr(screen, f"action_{action}")()
    return screen.run_action(action)


class ConsoleCommands(Provider):
    """The command palette's provider: the keys' actions (not the app-wide ones, pane moves, the
    command line, the filter or details), the replay keys while replaying, each worded for the
    selection on the main screen; then pane jumps and themes. Empty when no main screen is up."""

    def _main_screen(self):
        from console.ui.screens.main import MainScreen

        return next((s for s in self.app.screen_stack if isinstance(s, MainScreen)), None)

    def _entries(self) -> list[tuple[str, str, object]]:
        from console.ui.widgets.command_line import PANES

        app = self.app
        main = self._main_screen()
        if main is None:
            return []
        from console.ui.actions import NODE_KEYS

        subject = {key_id: main.target_of(key_id) for key_id in (*NODE_KEYS, "migrate")}
        entries: list[tuple[str, str, object]] = []
        replaying = main.check_action("replay_step", ()) is True
        drilling = main.check_action("focus_drill", ()) is True
        for spec in (KEYS + (REPLAY_KEYS if replaying else ())
                     + (DRILL_KEYS if drilling else ())):
            if spec.action.startswith("app.") or spec.id in ("command", "filter", "next-pane",
                                                             "previous-pane", "pane-left",
                                                             "pane-right", "details"):
                continue
            label = spec.help[0].upper() + spec.help[1:]
            if spec.id in subject:
                target = subject[spec.id]
                what = target.label()
                if spec.id == "failover" and target.node is not None:
                    what = f"services on {what}"
                label = f"{label} ({what})"
            key = app.keys_of(spec).split(",")[0]  # type: ignore[attr-defined]
            action = spec.action
            if spec.paused_footer and main.check_action(action, ()) is False:
                action = "resume"  # the key's other binding, the one live while paused
            refused = main.source_refusal(action) if spec.mutating else None
            help_text = f"key {key}" if refused is None else f"key {key} · refused: {refused}"
            entries.append((label, help_text, partial(run_key_action, main, action)))
        for n, pane in enumerate(PANES, start=1):
            entries.append((f"Go to the {pane} pane", f"key {n}",
                            partial(main.action_focus_pane, pane)))
        for name in getattr(app, "theme_names", []):
            entries.append((f"Theme: {name}", "", partial(setattr, app, "theme", name)))
        return entries

    async def discover(self) -> Hits:
        """Every entry, shown when the palette opens with no query."""
        for label, help_text, action in self._entries():
            yield DiscoveryHit(label, action, help=help_text)  # type: ignore[arg-type]

    async def search(self, query: str) -> Hits:
        """`Run: QUERY` first when `query` is a whole command line; then the entries whose label
        matches `query`, scored and highlighted by Textual's fuzzy matcher."""
        line = " ".join(query.split())
        if self._main_screen() is not None and is_complete_line(line):
            yield Hit(RUN_SCORE, f"Run: {line}",
                      partial(self.app.run_text, line, ask=True),  # type: ignore[attr-defined]
                      help="as typed after : (the command language)")
        matcher = self.matcher(query)
        for label, help_text, action in self._entries():
            score = matcher.match(label)
            if score > 0:
                yield Hit(score, matcher.highlight(label), action,  # type: ignore[arg-type]
                          help=help_text)
