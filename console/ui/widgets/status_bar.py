"""A one-line status bar built of (text, Rich style) parts, repainted only when they change: the
replay's bar and the follower's bar are two of them. When the line is wider than the bar,
optional parts go first, whole (the keys' reminder: the footer and help say them too; half a
reminder is noise), then elastic parts are shortened to an ellipsis (the last command, the next
one), so that what the bar is for (where the replay or the follower stands) stays whole."""

from __future__ import annotations

from typing import NamedTuple

from rich.text import Text
from textual import events
from textual.widgets import Static

ELLIPSIS = "…"
#: An elastic part shortened to fewer characters than this is left out instead (`· las…` says
#: nothing).
MIN_KEPT = 12


class Part(NamedTuple):
    """A piece of the bar: its text, Rich style, whether it may be shortened to fit (elastic)
    or left out (optional)."""

    text: str
    style: str = ""
    elastic: bool = False
    optional: bool = False


def fit(parts: list[Part], width: int) -> list[Part]:
    """`parts` fitted to `width` cells (0: not known yet, nothing changed): the optional parts
    left out, the last first, until the rest fits; then the elastic parts shortened to end in
    an ellipsis, the last first, or left out where fewer than MIN_KEPT characters would be
    left; what is still too long is cut at the end (one ellipsis) when drawn."""
    if width <= 0:
        return parts
    fitted = list(parts)
    over = sum(len(part.text) for part in fitted) - width
    for index in reversed(range(len(fitted))):
        if over > 0 and fitted[index].optional:
            over -= len(fitted.pop(index).text)
    for index in reversed(range(len(fitted))):
        part = fitted[index]
        if over <= 0 or not part.elastic:
            continue
        keep = len(part.text) - over - 1
        if keep < MIN_KEPT:
            over -= len(fitted.pop(index).text)
        else:
            fitted[index] = part._replace(text=part.text[:keep] + ELLIPSIS)
            over = 0
    return fitted


class StatusBar(Static):
    """One line as wide as the screen; a subclass says what it shows (`parts`)."""

    def __init__(self, bar_id: str) -> None:
        super().__init__("", id=bar_id, markup=False)
        self.rows = 1
        self._shown: tuple[Part, ...] | None = None

    def parts(self) -> list[Part]:
        """The bar as parts, in order."""
        raise NotImplementedError

    def update_view(self) -> None:
        """Repaint when the parts (fitted to the bar's width) changed."""
        parts = tuple(fit(self.parts(), self.content_size.width))
        if parts == self._shown:
            return
        self._shown = parts
        text = Text(no_wrap=True, overflow="ellipsis")
        for part in parts:
            text.append(part.text, part.style)
        self.update(text, layout=False)  # one line as wide as the screen: no screen layout

    def on_resize(self, event: events.Resize) -> None:
        """Fit the parts to the new width."""
        self.update_view()
