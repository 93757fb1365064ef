"""A bar: the one-line input under the panes (the `:` command line, the `/` filter, the event
log's search), whose keys act in the order they were typed.

Textual inserts a printable key in the focused input's own turn, but runs the input's key
bindings (enter, backspace, tab, the arrows...) only once the key has bubbled back up to the
app. Keys read in one burst (a paste the terminal does not mark, keys bunched by an SSH link,
a script) were therefore inserted before an enter or a backspace typed ahead of them:
`:fail-node A` enter `2` ran `fail-node A2`, and `ab` backspace `c` left `ab`. Here the
focused bar takes its keys as the app reads them (`Bar.take`, from ConsoleApp.on_event), in
the order typed: a character goes in, a bound key acts, and a key that closes the bar (enter,
esc) gives the focus back there and then, so the keys typed behind it go to the screen. Nothing
about a bar waits in a queue: a command's enter can't close the bar the next command typed
behind it opened again (the screen only runs what was submitted).
"""

from __future__ import annotations

from typing import ClassVar

from textual import events
from textual.binding import Binding, BindingType
from textual.widget import Widget
from textual.widgets import Input

#: The bar's actions that close it: its keys give the focus back as they are read.
CLOSING_ACTIONS = ("submit", "close")


class Bar(Input):
    """Input that takes its keys as the app reads them (see the module); esc clears and closes
    it, enter submits it (`Input.Submitted`) and closes it. The screen that opens it (`open`)
    names where the focus goes back to when it closes (`leave`)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close", show=False),
    ]

    def __init__(self, **kwargs) -> None:
        # Not Textual's select-all on focus: the focus event comes after the keys the bar has
        # taken already (`take`), and selected them, so the next key replaced them: `:speed 2`
        # typed in two bursts ran `ed 2`.
        kwargs.setdefault("select_on_focus", False)
        super().__init__(**kwargs)
        self.return_to: Widget | None = None

    def open(self, return_to: Widget | None) -> None:
        """Show the bar and focus it at once (keys already read behind the key that opened
        it are typed into it); the focus goes back to `return_to` when it closes."""
        self.return_to = return_to
        self.add_class("-open")
        self.screen.set_focus(self)

    def leave(self) -> None:
        """Hide the bar and, if it still has the focus, give it back at once (to `return_to`,
        or to nothing when that is gone)."""
        self.remove_class("-open")
        if self.screen.focused is self:
            target = self.return_to
            self.screen.set_focus(target if target is not None and target.is_mounted else None)

    async def take(self, event: events.Key) -> bool:
        """Take `event` now, as the app reads it (ConsoleApp.on_event): a key bound on the bar
        acts (then the bar closes if the key closes it), a character goes in; whether it was
        taken. Keys with ctrl, alt or super go the app's way (its priority bindings first:
        ctrl+c quits), as do keys the bar does not know (F1)."""
        if any(modifier in event.key for modifier in ("ctrl+", "alt+", "super+")):
            return False
        bindings = [b for b in self._bindings.key_to_bindings.get(event.key, ()) if not b.priority]
        if bindings:
            event.stop()
            await self.run_action(bindings[0].action)
            if bindings[0].action in CLOSING_ACTIONS:
                self.leave()
            return True
        if event.is_printable:
            await super()._on_key(event)  # Input's: the character at the cursor
            return True
        return False

    def action_close(self) -> None:
        """Esc: clear the line (the bar closes: `take`)."""
        self.value = ""
