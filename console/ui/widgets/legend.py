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

    def on_resize(self) -> None:
        local = self.app.engine.cluster.local_node() is not None  # type: ignore[attr-defined]
        self.update(legend_line(self.content_size.width, local))
