"""The console's symbols and what each means, in one place: the line under the heartbeats pane
(`legend_line`) and the help screen (`legend_rows`) both read `SYMBOLS`. The marks are drawn
from the glyph table (console.ui.glyphs) when asked, so the Linux console's stand-ins are the
ones explained there."""

from __future__ import annotations

from dataclasses import dataclass

from console.ui.glyphs import GLYPHS, glyph


@dataclass(frozen=True, slots=True)
class Symbol:
    """One symbol of the panes: its marks (glyph names of console.ui.glyphs, or literal text),
    joined by `joiner`; a word for the legend line ("": only the help screen lists it); what
    it means (where it appears); and whether only a console with a `--local` node draws it."""

    marks: tuple[str, ...]
    word: str
    meaning: str
    joiner: str = " "
    local_only: bool = False

    @property
    def mark(self) -> str:
        """The marks as the terminal draws them now."""
        return self.joiner.join(glyph(m) if m in GLYPHS else m for m in self.marks)


#: Every symbol the panes draw: the most common (●) first, then the least obvious (a narrow
#: legend line keeps the first).
SYMBOLS: tuple[Symbol, ...] = (
    Symbol(("beating",), "up", "node beating (Nodes HB); service member active (Services)"),
    Symbol(("silent",), "silent", "node powered but not heard, or suspect (Nodes HB)"),
    Symbol(("powered-off",), "off",
           "node powered off (Nodes HB); service member passive (Services)"),
    Symbol(("!",), "no quorum", "after a state: the node is on a side without quorum; where "
                                "hosts do not vote, cut off from the cluster's side"),
    Symbol(("starting",), "start", "service member starting (Services)"),
    Symbol(("down",), "down", "service member offline (Services)"),
    Symbol(("*",), "this host", "after a node's name: the machine the console runs on, --local",
           local_only=True),
    Symbol(("beat",), "beat", "heartbeat received (Heartbeats strip)"),
    Symbol(("missed-beat",), "missed", "heartbeat missed (Heartbeats strip)"),
    Symbol(("bar", "bar-empty"), "", "meter: used, free"),
    Symbol(("spark",), "", "sparkline: recorded CPU over time, lowest block 0 %"),
    Symbol(("ascending", "descending"), "", "a column's title: the list is sorted by it"),
    Symbol(("A", "arrow", "B"), "", "moving from A to B", joiner=""),
    Symbol(("more",), "", "cut to fit the column"),
    Symbol(("paused",), "", "a VM suspended in memory (VMs: state paused)"),
)


def legend_rows() -> list[tuple[str, str]]:
    """(marks, meaning) of every symbol, for the help screen."""
    return [(s.mark, s.meaning) for s in SYMBOLS]


def legend_line(width: int, local: bool = False) -> str:
    """The symbols that have a word as one line of at most `width` cells (`● up  ◌
    silent ...`): as many as fit, in `SYMBOLS`' order, closer together when narrow (empty when
    none fits); the `--local` mark only when `local` (the cluster has a local node)."""
    named = [s for s in SYMBOLS if s.word and (local or not s.local_only)]
    for gap, joiner in (("  ", " "), (" ", "")):
        parts = [f"{s.mark}{joiner}{s.word}" for s in named]
        while parts and len(gap.join(parts)) > width:
            parts.pop()
        if len(parts) == len(named) or gap == " ":
            return gap.join(parts)
    return ""
