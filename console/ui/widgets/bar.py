"""A bar: the one-line input under the panes (the `:` command line, the `/` filter, the event
log's search), whose keys act in the order they were typed.

Textual inserts a printable key in the focused input's own turn, but runs the input's key
bindings (enter, backspace, tab, the arrows...) only once the key has bubbled back up to the
app. Keys read in one burst (a paste the terminal does not mark, keys bunched by an SSH link,
a script) were therefore inserted before an enter or a backspace typed ahead of them:
`:fail-node A` enter `2` ran `fail-node A2`, and `ab` backspace `c` left `ab`. Here a key
bound on the bar runs its action when the bar takes the key, in the order typed; and a key that
closes the bar (enter, esc) gives the focus back at once, as the app reads it (`Bar.leave`,
from ConsoleApp.on_event), so the keys typed behind it go to the screen, not into the bar.
"""

from __future__ import annotations

from typing import ClassVar

from textual import events
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Input

#: The bar's actions that close it: its keys give the focus back as they are read.
CLOSING_ACTIONS = ("submit", "close")


class Bar(Input):
    """Input whose bound keys act in its own turn (see the module); esc clears it and closes
    it (`Closed`), enter submits it (`Input.Submitted`). The screen that opens it (`open`)
    names where the focus goes back to when it closes (`leave`)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close", show=False),
    ]

    class Closed(Message):
        """Esc closed `bar` and cleared its line: its screen hides it."""

        def __init__(self, bar: Bar) -> None:
            super().__init__()
            self.bar = bar

        @property
        def control(self) -> Bar:
            """The bar that closed."""
            return self.bar

    def __init__(self, **kwargs) -> None:
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

    def closes_on(self, key: str) -> bool:
        """Does `key` close the bar (enter, esc, as bound)?"""
        return any(binding.action in CLOSING_ACTIONS
                   for binding in self._bindings.key_to_bindings.get(key, ()))

    async def _on_key(self, event: events.Key) -> None:
        """A key bound on the bar acts now, in the order typed; the others (printable
        characters) go on to Input's handler."""
        for binding in self._bindings.key_to_bindings.get(event.key, ()):
            if not binding.priority:
                event.stop()
                event.prevent_default()
                await self.run_action(binding.action)
                return

    def action_close(self) -> None:
        """Esc: clear the line and say the bar closed."""
        self.value = ""
        self.post_message(self.Closed(self))
