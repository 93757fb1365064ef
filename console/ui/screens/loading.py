"""Shown while a big cluster file loads in a worker thread, so the first frame is immediate."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Static


class LoadingScreen(Screen[None]):
    """One line saying the cluster file is loading; q quits (exit status 0, as `q` and ctrl+c
    do everywhere in the console)."""

    DEFAULT_CSS = """
    LoadingScreen { align: center middle; }
    LoadingScreen Static { width: auto; color: $text-muted; }
    """

    def compose(self) -> ComposeResult:
        yield Static("cluster-console: loading the cluster file ...  (q quits)")

    def key_q(self) -> None:
        """Quit (exit status 0), as q does on every other screen."""
        self.app.exit()
