"""The Nodes pane: one row per host with its state badge, meters, VM count and heartbeat."""

from __future__ import annotations

from collections.abc import Hashable

from textual import events
from textual.app import ComposeResult
from textual.widgets import Static

from console.model import views
from console.ui.glyphs import glyph
from console.ui.widgets.base import (
    NODE_STATE_STYLE,
    SHORT_NODE_STATES,
    NodeRowsTable,
    Pane,
)
from console.ui.widgets.keyed_table import Cells, Column, meter, percent, sparkline

HISTORY_POINTS = 60


def _usage(table: NodesTable, key: Hashable) -> views.Usage:
    return views.node_usage(table.engine, views.nodes(table.engine)[key])  # type: ignore[index]


class NodesTable(NodeRowsTable):
    """The nodes pane's table: per node its state, hypervisor, CPU, memory and disk utilisation
    meters, the VMs holding resources there (of all registered on it) and a heartbeat mark; `*`
    marks the local machine, `!` a side that lost quorum."""

    sampled_figures = True  # CPU, memory and disk

    columns = (
        Column("Node", 8, alias="name"),
        Column("State", 10),
        Column("Hyp", 5, priority=3, alias="hypervisor"),
        Column("CPU", 8, priority=1, flex=True, live=True, biggest_first=True, fit=False,
               sort=lambda t, k: percent(_usage(t, k).cpu)),
        Column("Mem", 8, priority=1, flex=True, live=True, biggest_first=True, fit=False,
               sort=lambda t, k: percent(_usage(t, k).memory)),
        Column("Disk", 8, priority=2, flex=True, live=True, biggest_first=True, fit=False,
               sort=lambda t, k: percent(_usage(t, k).disk)),
        Column("VMs", 3, "right", biggest_first=True,
               sort=lambda t, k: views.vm_count(t.engine, views.nodes(t.engine)[k])),
        Column("HB", 2, priority=4),
    )
    def view_marker(self) -> Hashable:
        """`views.sampled` (the figures are a sample's: console.model.views.sampled_at), the
        cluster's conditions counter (a node's state, heard, quorum) and whether each node on
        show is powered: a second that brings no sample and no event computes no row."""
        engine = self.engine
        nodes = views.nodes(engine)
        return (views.sampled(engine), engine.cluster.conditions,
                tuple(nodes[key].powered for key in self.keys_on_show()))  # type: ignore[index]

    def row_cells(self, key: Hashable) -> Cells:
        """Name, state, hypervisor, CPU / memory / disk meters, VM count and heartbeat mark (●
        beating, ◌ silent or suspect, ○ powered off)."""
        engine = self.engine
        node = views.nodes(engine)[key]  # type: ignore[index]
        usage = views.node_usage(engine, node)
        running, total = views.vm_count(engine, node)
        state = node.state.value
        wide = self.width_of(1) >= 14
        label = SHORT_NODE_STATES.get(state, state) if not wide else state.replace("_", " ")
        if wide and state == "entering_maintenance":
            label = "entering maint"
        if node.quorum_lost:
            label += "!"
        name = (f"{node.name}*", "bold") if node.local else node.name
        if not node.powered:
            beat = (glyph("powered-off"), "error")
        elif not node.heard:
            beat = (glyph("silent"), "error")
        elif node.state.value == "suspect":
            beat = (glyph("silent"), "warn")
        else:
            beat = (glyph("beating"), "ok")
        return (
            name,
            (label, NODE_STATE_STYLE.get(state, "")),
            node.hypervisor,
            meter(usage.cpu, self.width_of(3)),
            meter(usage.memory, self.width_of(4)),
            meter(usage.disk, self.width_of(5)),
            f"{running}" if running == total else f"{running}/{total}",
            beat,
        )


def steps_label(step_s: float) -> str:
    """A history level's step for a label: `10s steps`, `1m steps`, `10m steps`."""
    return f"{step_s:g}s steps" if step_s < 60 else f"{step_s / 60:g}m steps"


class NodeSpark(Static):
    """The recorded CPU history of the selected node, on one line under the table."""

    DEFAULT_CSS = """
    NodeSpark { height: 1; color: $text-muted; padding: 0 1; }
    """

    def show(self, engine, node_name: str | None, speed: float = 1.0) -> None:
        """Show the recorded CPU history of `node_name` (console.model.history) as a sparkline,
        at the level whose points land at most once a real second at clock `speed`, then the
        node's CPU as its meter in the pane shows it (views.node_usage: a coarser level's newest
        point is a mean, and a VM moved since the last sample counts at once); blank with no
        node. Repaints only when a point lands there, the figure, the node, the width or the
        level changes."""
        self._shown = (engine, node_name, speed)
        node = views.nodes(engine).get(node_name) if node_name else None
        if node is None:
            self._key = None
            text = ""
        else:
            step = views.history_step(speed)
            what = steps_label(step) + (", measured" if node.local else "")
            label = len(f"CPU {node.name}  100% ({what})")
            width = max(8, min(HISTORY_POINTS, self.size.width - 2 - label))
            cpu = views.node_usage(engine, node).cpu
            key = (node.name, step, width, views.history_mark(engine, step), cpu)
            if key == getattr(self, "_key", None):
                return
            self._key = key
            history = views.node_cpu_history(engine, node, width, step)
            last = "   -" if cpu is None else f"{cpu:4.0%}"
            text = f"CPU {node.name} {sparkline(history)} {last} ({what})"
        if text != getattr(self, "_text", None):
            self._text = text
            self.update(text, layout=False)  # one line as wide as the pane: no screen layout

    def on_resize(self, _event: events.Resize) -> None:
        """Shown again for the new width: the first `show` comes before the layout (no width
        yet: the shortest sparkline), and the label moved at the next key."""
        if (shown := getattr(self, "_shown", None)) is not None:
            self.show(*shown)


class NodesPane(Pane):
    """The nodes pane: the nodes table and the CPU sparkline of the selected node."""

    def compose(self) -> ComposeResult:
        yield NodesTable(id="nodes-table")
        yield NodeSpark(id="node-spark")
