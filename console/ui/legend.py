"""The console's symbols and what each means, in one place: the line under the heartbeats pane
and the help screen both read `SYMBOLS`."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Symbol:
    """One symbol of the panes: the mark, a word for a narrow legend line, and what it means
    (where it appears)."""

    mark: str
    word: str
    meaning: str


#: Every symbol the panes draw, the least obvious first (a narrow legend line keeps the first).
SYMBOLS: tuple[Symbol, ...] = (
    Symbol("◌", "silent", "node silent or suspect: no heartbeat heard (Nodes HB)"),
    Symbol("○", "off/passive", "node powered off (Nodes HB); service member passive (Services)"),
    Symbol("!", "no quorum", "the node is on a side without quorum; where hosts do not vote, "
                             "cut off from the cluster's side (State)"),
    Symbol("◐", "start", "service member starting (Services)"),
    Symbol("✕", "down", "service member offline (Services)"),
    Symbol("●", "up/active", "node beating (Nodes HB); service member active (Services)"),
    Symbol("*", "this host", "the machine the console runs on, --local (Nodes)"),
    Symbol("▮", "beat", "heartbeat received (Heartbeats strip)"),
    Symbol("·", "missed", "heartbeat missed (Heartbeats strip)"),
)


def legend_line(width: int) -> str:
    """The symbols as one line of at most `width` cells (`◌ silent  ○ off/passive ...`): as many
    as fit, the least obvious first, closer together when narrow (empty when none fits)."""
    for gap, joiner in (("  ", " "), (" ", "")):
        parts = [f"{s.mark}{joiner}{s.word}" for s in SYMBOLS]
        while parts and len(gap.join(parts)) > width:
            parts.pop()
        if len(parts) == len(SYMBOLS) or gap == " ":
            return gap.join(parts)
    return ""
