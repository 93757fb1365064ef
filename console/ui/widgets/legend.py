"""The symbol legend: one line under the heartbeats table (`console.ui.legend`)."""

from __future__ import annotations

from textual.widgets import Static

from console.ui.legend import legend_line


class SymbolLegend(Static):
    """The panes' symbols and their meanings on one line, as many as the width holds."""

    DEFAULT_CSS = """
    SymbolLegend { height: 1; color: $text-muted; }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__("", markup=False, **kwargs)
        self._line: str | None = None  # the line shown

    def on_resize(self) -> None:
        """The line for the new width, repainted without a layout: the legend is one row high
        and as wide as its pane whatever it says (a layout here laid the whole screen out and
        drew it again once more before the main screen's first frame)."""
        local = self.app.engine.cluster.local_node() is not None  # type: ignore[attr-defined]
        line = legend_line(self.content_size.width, local)
        if line != self._line:
            self._line = line
            self.update(line, layout=False)
