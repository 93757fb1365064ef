"""The Heartbeats pane: the last beats of every node as a strip, time since the last beat,
detection state, and the quorum in the title."""

from __future__ import annotations

from collections.abc import Hashable

from console.model import views
from console.ui.glyphs import glyph
from console.ui.widgets.base import (
    NODE_STATE_STYLE,
    SHORT_NODE_STATES,
    TINY_NODE_STATES,
    NodeRowsTable,
    age,
)
from console.ui.widgets.keyed_table import Cells, Column


class HeartbeatsTable(NodeRowsTable):
    """The heartbeats pane's table: per node the strip of recent beat slots (as wide as the column),
    seconds since the last beat, and the state (`!` when its side lost quorum)."""

    columns = (
        Column("Node", 8, alias="name"),
        Column("Beats", 10, flex=True, fit=False),
        Column("Last", 4, "right", live=True, biggest_first=True,
               sort=lambda t, k: views.heartbeat(t.engine, views.nodes(t.engine)[k],
                                                 1).since_last),
        Column("State", 7, flex=True),
    )
    def view_marker(self) -> Hashable:
        """The log's length, the beat strip's width and each node's on show with its
        `views.heartbeat_mark`: a second in which every node on show beat as before computes no
        row (and asks nothing of the nodes off screen: 2,000 marks took 1.6 ms a tick)."""
        engine = self.engine
        slots = max(1, self.width_of(1))
        nodes = views.nodes(engine)
        return (len(engine.log), slots, tuple(
            (key, views.heartbeat_mark(engine, nodes[key], slots))  # type: ignore[index]
            for key in self.keys_on_show()))

    def row_cells(self, key: Hashable) -> Cells:
        """Node, beat strip, time since the last beat (`<1s`, `45s`, `2m`, `-` before any) and
        state."""
        engine = self.engine
        node = views.nodes(engine)[key]  # type: ignore[index]
        slots = max(1, self.width_of(1))
        beat = views.heartbeat(engine, node, slots)
        spans = _strip(beat.strip)
        since = age(beat.since_last)
        state = node.state.value
        mark = "!" if node.quorum_lost else ""
        label = SHORT_NODE_STATES.get(state, state) + mark
        if len(label) > self.width_of(3):  # the tiny name only when the short one is cut
            label = TINY_NODE_STATES.get(state, state) + mark
        return (node.name, spans, (since, "" if beat.heard else "error"),
                (label, NODE_STATE_STYLE.get(state, "")))


def _strip(strip: tuple[bool | None, ...]) -> tuple[tuple[str, str], ...]:
    """Runs of received (▮) and missed (·) beats as styled spans; slots before time 0 blank
    (nothing was seen then)."""
    spans: list[tuple[str, str]] = []
    for received in strip:
        char, style = ((" ", "") if received is None else (glyph("beat"), "ok") if received
                       else (glyph("missed-beat"), "error"))
        if spans and spans[-1][1] == style:
            spans[-1] = (spans[-1][0] + char, style)
        else:
            spans.append((char, style))
    return tuple(spans)
