"""Shared pieces of the panes: the bordered pane container and formatting helpers."""

from __future__ import annotations

from collections.abc import Hashable
from typing import TYPE_CHECKING

from textual.containers import Vertical
from textual.geometry import Region

from console.model import views
from console.ui.widgets.keyed_table import KeyedTable

if TYPE_CHECKING:
    from console.model.engine import Engine


class Pane(Vertical):
    """A bordered, titled box around one table (and perhaps a line under it); `z` maximizes it."""

    ALLOW_MAXIMIZE = True

    DEFAULT_CSS = """
    Pane {
        border: round $foreground 30%;
        border-title-color: $text-muted;
        border-subtitle-color: $text-muted;
        height: 1fr;
        padding: 0 0;
    }
    Pane:focus-within {
        border: round $accent;
        border-title-color: $text-accent;
        border-title-style: bold;
    }
    """

    _border_line: int | None = None  # while a border text is set: the one line to repaint

    def set_border_text(self, *, title: str | None = None, subtitle: str | None = None) -> None:
        """Put `title` in the top border line and `subtitle` in the bottom one (None: leave it),
        repainting only those lines. Textual's setters repaint the whole pane, so a key that
        moves a cursor and with it a position in a subtitle (`3/648`) repainted every line of
        the pane, and every widget of the frame's box around them."""
        for text, line, attribute in ((title, 0, "border_title"),
                                      (subtitle, self.outer_size.height - 1, "border_subtitle")):
            if text is None:
                continue
            self._border_line = max(0, line)
            try:
                setattr(self, attribute, text)
            finally:
                self._border_line = None

    def refresh(self, *regions: Region, repaint: bool = True, layout: bool = False,
                recompose: bool = False) -> Pane:
        """Textual's; the border line alone while `set_border_text` sets its text."""
        if self._border_line is not None and not regions and not layout and not recompose:
            inside = self.content_offset  # Textual's regions are the content's: the border is out
            regions = (Region(-inside.x, self._border_line - inside.y, self.outer_size.width, 1),)
        return super().refresh(*regions, repaint=repaint, layout=layout, recompose=recompose)


class ModelTable(KeyedTable):
    """A KeyedTable reading the app's engine."""

    _viewed: Hashable = None  # (engine, view_marker) when the rows were last compared
    #: Whether the live columns show utilisation figures taken at views.sampled_at.
    sampled_figures = False

    @property
    def engine(self) -> Engine:
        """The app's engine, for `console.model.views` to read."""
        return self.app.engine  # type: ignore[attr-defined]

    def update_view(self) -> None:
        """Called on every tick while the pane is on screen: the rows on show are compared with
        the model (`refresh_rows`) only when `view_marker` moved since the last tick, or when
        the table has something of its own to show (drawn afresh, an order for changed values
        not shown yet). A tick that changes nothing the table shows computes no row."""
        marker = self.view_marker()
        if marker is not None:
            marker = (self.engine, marker)
            if marker == self._viewed and not self._stale and not self._order_outstanding():
                return
        self._viewed = marker
        self.refresh_rows()

    def view_marker(self) -> Hashable:
        """A value that changes whenever a row on show may have changed (cheap to ask every
        tick); None, as here, when any tick may change one (every row is then compared)."""
        return None

    def _order_outstanding(self) -> bool:
        """A sorted or filtered order was worked out for values that have changed since (it
        waits for its turn: `KeyedTable._current_order`)."""
        return self._order is not None and self._order_values != self.values_marker()

    def values_marker(self) -> Hashable:
        """The log's length (every change of state leaves an event), and `clock_marker` while
        sorted by a column that moves with the clock (CPU)."""
        return (len(self.engine.log), self.clock_marker() if self.sorting_live() else None)

    def clock_marker(self) -> Hashable:
        """What moves the live columns' values as the clock goes: `views.sampled` where they
        show sampled figures (`sampled_figures`: CPU, disk, uptime), else the clock itself."""
        return views.sampled(self.engine) if self.sampled_figures else self.engine.now

    def fit_names(self, column: int, names, low: int, high: int) -> None:
        """Size a name column to the longest name (within low..high)."""
        longest = max((len(n) for n in names), default=low)
        self.set_width(column, max(low, min(high, longest)))


class NodeRowsTable(ModelTable):
    """A table with one row per node, in cluster order (the nodes and heartbeats panes)."""

    empty_text = "no nodes"

    def on_mount(self) -> None:
        self.fit_names(0, views.nodes(self.engine), 4, 12)

    def row_count(self) -> int:
        """The number of nodes."""
        return len(views.nodes(self.engine))

    def row_key(self, index: int) -> Hashable:
        """The name of node `index` in cluster order."""
        return views.node_order(self.engine)[0][index]

    def index_of(self, key: Hashable) -> int | None:
        """The row of node `key`, or None."""
        return views.node_order(self.engine)[1].get(key)  # type: ignore[arg-type]


def age(seconds: float | None) -> str:
    """A short age in its largest unit, at most four cells: `<1s`, `45s`, `2m`, `1h`, `3d`; `-`
    for none."""
    if seconds is None:
        return "-"
    if seconds < 1:
        return "<1s"
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{int(seconds // size)}{unit}"
    return f"{int(seconds)}s"


def duration(seconds: float | None) -> str:
    """A compact duration that changes at most once a minute past the first minute."""
    if seconds is None:
        return "-"
    s = int(seconds)
    if s < 60:
        return "<1m"
    m, _ = divmod(s, 60)
    h, m = divmod(m, 60)
    d, h = divmod(h, 24)
    if d:
        return f"{d}d{h:02d}h"
    if h:
        return f"{h}h{m:02d}m"
    return f"{m}m"


def clock(seconds: float) -> str:
    """Simulated seconds as `HH:MM:SS` (whole seconds; hours go past 24)."""
    s = int(seconds)
    h, rem = divmod(s, 3600)
    m, s = divmod(rem, 60)
    return f"{h:02d}:{m:02d}:{s:02d}"


def lag(seconds: float) -> str:
    """A delay in its two largest units: `42s`, `12m05s`, `4h55m` (six cells up to 99 hours)."""
    s = round(seconds)
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m{s % 60:02d}s"
    return f"{s // 3600}h{s % 3600 // 60:02d}m"


#: Node state badges when the column is narrow.
SHORT_NODE_STATES = {"entering_maintenance": "evacuating", "maintenance": "maint"}
TINY_NODE_STATES = {"entering_maintenance": "evac", "maintenance": "maint",
                    "isolated": "isolatd"}

NODE_STATE_STYLE = {
    "online": "ok", "entering_maintenance": "accent", "maintenance": "accent",
    "suspect": "warn", "failed": "error", "isolated": "error", "offline": "muted",
    "booting": "warn",
}
VM_STATE_STYLE = {
    "running": "ok", "deploying": "accent", "migrating": "accent", "restarting": "warn",
    "pending_restart": "error", "stopped": "muted", "failed": "error", "paused": "warn",
}
