"""What the console shows besides a live cluster: an interactive drill or a replay.

The Session's driver (console.drills.live.LiveDrill, console.replay.ReplayPlayer) decides how
time advances and what the operator may do; a mode is only its presentation, handed to
`ConsoleApp(mode=...)` and bound to the app once the session exists. It tags the header, greys
the mutating keys when locked, adds its widgets to the main screen and says what happened in
toasts. The base class is the plain live console, so a mode overrides only what it changes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from textual.widget import Widget

    from console.ui.app import ConsoleApp


class Mode:
    """The plain live console: no tag, nothing locked, no extra widgets."""

    #: Shown in the header beside the clock (DRILL, REPLAY).
    tag = ""

    def __init__(self) -> None:
        self.app: ConsoleApp | None = None

    def bind(self, app: ConsoleApp) -> None:
        """The console this mode presents in (once its session exists)."""
        self.app = app

    @property
    def console(self) -> ConsoleApp:
        """The bound console; AssertionError before `bind`."""
        assert self.app is not None, "the mode is not bound to a console yet"
        return self.app

    def started(self) -> None:
        """The console is up (its first screen mounted)."""

    @property
    def locked(self) -> bool:
        """Mutating keys are disabled (greyed in the footer; pressed, they say why)."""
        return False

    def widgets(self) -> list[Widget]:
        """Extra widgets for the main screen, below the panes; each has `update_view()` and a
        `rows` height, fixed or set by its `fit(room)` to what a short terminal leaves."""
        return []
