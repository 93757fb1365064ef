"""What the console is doing besides running a cluster live: an interactive drill or a replay.

A mode is handed to `ConsoleApp(mode=...)` and bound to it once the engine exists. The app asks it

* to move the model on (`advance`): a drill's steps and a replay's recorded commands fall due as
  simulated time passes, and they enter through `ConsoleApp.run_command` like keys do;
* whether to refuse an operator's command (`refusal`), with the reason the console shows;
* to submit an operator's command it lets through (`submit`: a drill scores it);
* for the widgets it adds to the main screen (`widgets`), each in its own module.

The base class is the plain live console, so a mode overrides only what it changes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from textual.widget import Widget

    from console.model.commands import Command
    from console.model.engine import Engine
    from console.model.kernel import Outcome
    from console.ui.app import ConsoleApp


class Mode:
    #: Shown in the header beside the clock (DRILL, REPLAY).
    tag = ""
    #: Live data may enter (psutil readings): not during a replay, which shows history.
    live = True

    def __init__(self) -> None:
        self.app: ConsoleApp | None = None

    def bind(self, app: ConsoleApp) -> None:
        self.app = app

    @property
    def console(self) -> ConsoleApp:
        assert self.app is not None, "the mode is not bound to a console yet"
        return self.app

    @property
    def engine(self) -> Engine:
        return self.console.engine

    def started(self) -> None:
        """The console is up (its first screen mounted)."""

    def advance(self, seconds: float) -> None:
        self.engine.advance(seconds)

    def submit(self, command: Command) -> Outcome:
        return self.engine.submit(command)

    def refusal(self, command: Command) -> str | None:
        """Why the operator may not run `command` now, or None."""
        return None

    @property
    def locked(self) -> bool:
        """Mutating keys are disabled (greyed in the footer; pressed, they say why)."""
        return False

    def widgets(self) -> list[Widget]:
        """Extra widgets for the main screen, below the panes; each has `update_view()` and a
        `rows` height, fixed or set by its `fit(room)` to what a short terminal leaves."""
        return []
