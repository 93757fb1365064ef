"""Shown while a big cluster file loads in a worker thread, so the first frame is immediate (or
while a follower catches up with a long journal: the app's `loading_status` then says how far)."""

from __future__ import annotations

from collections.abc import Callable

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Static

from console.ui.screens.steady import SteadyScreen

#: Real seconds between readings of the app's `loading_status`.
STATUS_S = 0.25


class LoadingScreen(SteadyScreen, Screen[None]):
    """One line saying the cluster file is loading (or what the app's `loading_status()` says,
    read again every `STATUS_S` seconds); `when_shown()` is called once it is drawn. q quits
    (exit status 0, as `q` and ctrl+c do everywhere in the console)."""

    # The line wraps within the screen (`max-width`): a journal's long path cut the follower's
    # line at 80 columns. Plain text: a path may hold `[`.
    DEFAULT_CSS = """
    LoadingScreen { align: center middle; }
    LoadingScreen Static { width: auto; max-width: 100%; padding: 0 1; color: $text-muted; }
    """

    def __init__(self, when_shown: Callable[[], None] | None = None) -> None:
        super().__init__()
        self.when_shown = when_shown

    def compose(self) -> ComposeResult:
        yield Static(self._text(), markup=False)

    def first_frame_shown(self) -> None:
        """`when_shown` is called once the screen's first frame is out."""
        if self.when_shown is not None:
            self.when_shown()

    def on_mount(self) -> None:
        if getattr(self.app, "loading_status", None) is not None:
            self.set_interval(STATUS_S, lambda: self.query_one(Static).update(self._text()))

    def _text(self) -> str:
        status = getattr(self.app, "loading_status", None)
        return "cluster-console: loading the cluster file ...  (q quits)" if status is None \
            else status()

    def key_q(self) -> None:
        """Quit (exit status 0), as q does on every other screen."""
        self.app.exit()
