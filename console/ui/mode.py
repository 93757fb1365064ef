"""What the console shows besides a live cluster (an interactive drill or a replay), and what a
mode and the screens see of the console (`Viewer`, which console.ui.app.ConsoleApp is).

The Session's driver (console.drills.live.LiveDrill, console.replay.ReplayPlayer) decides how
time advances and what the operator may do; a mode is only its presentation, handed to
`ConsoleApp(mode=...)` and bound to the app once the session exists. It tags the header, greys
the mutating keys when locked, adds its widgets to the main screen and says what happened in
toasts. The base class is the plain live console, so a mode overrides only what it changes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from textual.widget import Widget

    from console.model.commands import Command
    from console.model.engine import Engine
    from console.model.kernel import Outcome
    from console.session import Session
    from console.ui.keys import KeySpec


class Viewer(Protocol):
    """The console as its modes and screens see it (Textual's App, plus these)."""

    session: Session
    mode: Mode | None
    selected_node: str | None

    @property
    def engine(self) -> Engine:
        """The session's engine, for console.model.views to read."""
        ...

    @property
    def locked(self) -> bool:
        """Mutating keys are disabled (read-only, a replay, a drill that ended)."""
        ...

    def run_command(self, command: Command, *, quiet: bool = False) -> Outcome:
        """The operator's command through the session's door."""
        ...

    def run_text(self, text: str) -> Outcome | None:
        """A line of the command line."""
        ...

    def confirm_then(self, question: str, detail: str, commands: list[Command]) -> None:
        """Run `commands` after a yes (at once without confirmation)."""
        ...

    def keys_of(self, spec: KeySpec) -> str:
        """The keys bound to `spec`, comma-separated."""
        ...

    def next_theme(self) -> None:
        """Switch to the next theme."""
        ...

    def refresh_view(self) -> None:
        """Repaint from the model."""
        ...

    def main_screen(self):
        """The main screen wherever it is in the stack, or None before it is up."""
        ...

    def notify(self, message: str, *, title: str = "", severity: str = "information",
               timeout: float | None = None, markup: bool = True) -> None:
        """A toast (the console's own are plain text: `markup=False`)."""
        ...

    def push_screen(self, screen: object, callback: object = None) -> object:
        """Show `screen` on top."""
        ...


class Mode:
    """The plain live console: no tag, nothing locked, no extra widgets."""

    #: Shown in the header beside the clock (DRILL, REPLAY).
    tag = ""

    def __init__(self) -> None:
        self.app: Viewer | None = None

    def bind(self, app: Viewer) -> None:
        """The console this mode presents in (once its session exists)."""
        self.app = app

    @property
    def console(self) -> Viewer:
        """The bound console; AssertionError before `bind`."""
        assert self.app is not None, "the mode is not bound to a console yet"
        return self.app

    def started(self) -> None:
        """The console is up (its first screen mounted)."""

    @property
    def locked(self) -> bool:
        """Mutating keys are disabled (greyed in the footer; pressed, they say why)."""
        return False

    @property
    def holds_clock(self) -> bool:
        """The clock may hold while a dialog, the picker or a bar is open (a timed drill says
        no)."""
        return True

    def widgets(self) -> list[Widget]:
        """Extra widgets for the main screen, below the panes; each has `update_view()` and a
        `rows` height, fixed or set by its `fit(room)` to what a short terminal leaves."""
        return []
