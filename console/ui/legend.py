"""What the symbols on the panes mean, written once: the help screen lists it, and a pane may
show it beside the heartbeats. Each entry is (symbols, meaning); the symbols are those the
widgets draw (console/ui/widgets)."""

from __future__ import annotations

#: (symbols, meaning), in the order the help screen lists them.
LEGEND: tuple[tuple[str, str], ...] = (
    ("●", "node: heartbeating · service member: active"),
    ("◌", "node: powered but not heard, or suspect"),
    ("○", "node: powered off · service member: passive"),
    ("◐", "service member: starting"),
    ("✕", "service member: offline"),
    ("!", "after a state: that side of the cluster has no quorum"),
    ("*", "after a node's name: this machine (--local)"),
    ("▮ ·", "heartbeat strip: a beat heard, a beat missed"),
    ("█ ░", "meter: used, free"),
    ("▁▂▃▄▅▆▇█", "sparkline: CPU over time"),
    ("A→B", "moving from A to B"),
    ("…", "cut to fit the column"),
)


def legend_lines() -> list[str]:
    """The legend as plain lines, `SYMBOLS  meaning`, the symbols padded to one width."""
    width = max(len(symbols) for symbols, _ in LEGEND)
    return [f"{symbols:<{width}}  {meaning}" for symbols, meaning in LEGEND]
