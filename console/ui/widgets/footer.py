"""The screens' footer: Textual's `Footer`, recomposed only when the keys it shows changed.

Textual's footer builds all its keys anew (a widget each, ~40 on the main screen) whenever the
screen says its bindings may have changed: a focus change, a screen pushed or popped, the clock
paused or resumed. At start-up that is three times before the first full frame, and at every
tick that re-checks the bindings once more; most of the time nothing it shows changed."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.widgets import Footer

if TYPE_CHECKING:
    from textual.screen import Screen

#: What a footer shows of one key: (key, action, description, enabled, tooltip, shown as).
Shown = tuple[str, str, str, bool, str, str]


class ConsoleFooter(Footer):
    """`Footer`, recomposed only when `shown_keys` differ from those it last composed."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._composed_for: list[Shown] | None = None

    def shown_keys(self, screen: Screen) -> list[Shown]:
        """The keys `screen` has for the footer, as it draws them (`Shown`), in order."""
        return [(binding.key, binding.action, binding.description, enabled, tooltip,
                 self.app.get_key_display(binding))
                for _node, binding, enabled, tooltip in screen.active_bindings.values()
                if binding.show]

    def bindings_changed(self, screen: Screen) -> None:
        """Textual's, skipped when the keys shown are the same as last time."""
        if screen.app.app_focus and self.is_attached and screen is self.screen:
            # what Textual's recomposes for (otherwise it only notes the bindings are ready)
            shown = self.shown_keys(screen)
            if shown == self._composed_for:
                return
            self._composed_for = shown
        super().bindings_changed(screen)
