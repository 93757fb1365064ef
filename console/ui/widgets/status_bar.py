"""A one-line status bar built of (text, Rich style) parts, repainted only when they change: the
replay's bar and the follower's bar are two of them."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static


class StatusBar(Static):
    """One line as wide as the screen; a subclass says what it shows (`parts`)."""

    def __init__(self, bar_id: str) -> None:
        super().__init__("", id=bar_id, markup=False)
        self.rows = 1
        self._shown: tuple[tuple[str, str], ...] | None = None

    def parts(self) -> list[tuple[str, str]]:
        """The bar as (text, Rich style) parts."""
        raise NotImplementedError

    def update_view(self) -> None:
        """Repaint when the parts changed."""
        parts = tuple(self.parts())
        if parts == self._shown:
            return
        self._shown = parts
        text = Text(no_wrap=True, overflow="ellipsis")
        for chunk, style in parts:
            text.append(chunk, style)
        self.update(text, layout=False)  # one line as wide as the screen: no screen layout
