"""The screens' footer: Textual's `Footer`, its keys composed with the screen and recomposed only
when the keys it shows changed.

Textual's footer builds all its keys anew (a widget each, ~40 on the main screen) whenever the
screen says its bindings may have changed: a focus change, a screen pushed or popped, the clock
paused or resumed. At start-up that is three times before the first full frame, and at every
tick that re-checks the bindings once more; most of the time nothing it shows changed.

On a narrow terminal the keys that do not fit are left out whole, from the first that does not
fit on (Textual's footer would cut the last label mid-word)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.geometry import Size
from textual.reactive import Reactive
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

    def compose(self) -> ComposeResult:
        """The screen's keys from the first compose on: Textual's footer composes empty, then
        again a frame later once the screen says its bindings are ready, so the first frame of
        a screen had no keys (the main screen at 40,000 VMs was complete a tenth of a second
        later). The screen's bindings are known when its widgets are composed. Each key comes
        with its `-compact` class already (Textual's key adds it as it mounts, which restyled
        it: 7 ms for the main screen's first frame)."""
        self.set_reactive(Footer._bindings_ready, True)
        self._composed_for = self.shown_keys(self.screen)
        for widget in super().compose():
            for key in (widget, *widget.walk_children()):
                if isinstance(getattr(type(key), "compact", None), Reactive):  # a FooterKey
                    key.set_class(self.compact, "-compact", update=False)
            yield widget

    async def recompose(self) -> None:
        """Textual's, then the keys that fit (`fit_keys`)."""
        await super().recompose()
        self.fit_keys()

    def on_resize(self) -> None:
        self.fit_keys()

    def fit_keys(self) -> None:
        """Show the keys, in order, while they fit the footer's width (less what is docked at
        its right, the command palette's key); hide the first that does not and all after it."""
        docked = [child for child in self.children if child.styles.dock != "none"]
        room = self.size.width - sum(self._width_of(child) for child in docked if child.display)
        fits = True
        for child in self.children:
            if child in docked:
                continue
            room -= self._width_of(child)
            fits = fits and room >= 0
            if child.display != fits:  # each change lays the screen out again
                child.display = fits

    @staticmethod
    def _width_of(child) -> int:
        """Cells `child` takes in the row: its content, padding, border and margin."""
        styles = child.styles
        content = child.get_content_width(Size(0, 0), Size(0, 0))
        return content + styles.gutter.width + styles.margin.width

    def bindings_changed(self, screen: Screen) -> None:
        """Textual's, skipped when the keys shown are the same as last time, and while the
        footer is hidden (a bar open in its line: the keys of the bar's focus would be composed
        as it opens, and the screen's again as it closes, each a layout of the whole screen
        while a typed command waits; the keys are compared when the focus moves back)."""
        if not self.display:
            return
        if screen.app.app_focus and self.is_attached and screen is self.screen:
            # what Textual's recomposes for (otherwise it only notes the bindings are ready)
            shown = self.shown_keys(screen)
            if shown == self._composed_for:
                return
            self._composed_for = shown
        super().bindings_changed(screen)
