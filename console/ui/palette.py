"""The command palette (ctrl+p): the same actions as the keys, worded for the current selection,
plus pane jumps and themes. Picking one runs the same action a key would (confirmation and
read-only refusals included)."""

from __future__ import annotations

from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider

from console.ui.keys import DRILL_KEYS, KEYS, REPLAY_KEYS


class ConsoleCommands(Provider):
    """The command palette's provider: the keys' actions (not the app-wide ones, pane moves, the
    command line, the filter or details), the replay keys while replaying, each worded for the
    selection on the main screen; then pane jumps and themes. Empty when no main screen is up."""

    def _entries(self) -> list[tuple[str, str, object]]:
        from console.ui.screens.main import MainScreen
        from console.ui.widgets.command_line import PANES

        app = self.app
        main = next((s for s in app.screen_stack if isinstance(s, MainScreen)), None)
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
            entries.append((label, f"key {key}", partial(main.run_action, spec.action)))
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
        """The entries whose label matches `query`, scored and highlighted by Textual's fuzzy
        matcher."""
        matcher = self.matcher(query)
        for label, help_text, action in self._entries():
            score = matcher.match(label)
            if score > 0:
                yield Hit(score, matcher.highlight(label), action,  # type: ignore[arg-type]
                          help=help_text)
