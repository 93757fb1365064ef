"""The drill report screen: shown when an interactive drill reaches its end.

The report is the text `cluster-console drill FILE` prints (console.drills.report.render_text),
and it has been saved already; the title says whether the drill passed and where the report is.
A line wider than the screen is broken between words, the rest indented under it, so that a
list of VMs is never cut mid-name (a single word wider than the screen scrolls). esc goes back
to the console (its clock paused at the drill's end, to look around); q quits.
"""

from __future__ import annotations

import re
import textwrap
from typing import ClassVar

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import ScrollableContainer
from textual.screen import Screen
from textual.widgets import Static

from console.drills.report import Report
from console.ui.screens.steady import SteadyScreen
from console.ui.widgets.footer import ConsoleFooter


class ReportScreen(SteadyScreen, Screen[None]):
    """A finished drill's report as text (`text`), titled with the verdict and where it was saved
    (`saved`) or why it was not (`error`); escape goes back, q quits."""

    DEFAULT_CSS = """
    ReportScreen { layout: vertical; }
    ReportScreen #report-title { height: auto; padding: 0 1; text-style: bold;
                                 background: $panel; }
    ReportScreen #report-title.-passed { color: $text-success; }
    ReportScreen #report-title.-failed { color: $text-error; }
    ReportScreen #report-scroll { height: 1fr; padding: 0 1; }
    ReportScreen #report-text { width: auto; }  /* wrapped by `wrap_report`, not by Textual */
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back to the console"),
        Binding("q", "app.quit", "Quit"),
    ]

    def __init__(self, report: Report, text: str, saved: str | None, error: str | None) -> None:
        super().__init__()
        self.report = report
        self.text = text
        self.saved = saved
        self.error = error

    def title_text(self) -> str:
        """`Drill NAME PASSED|FAILED (n of m expectations) · report saved to PATH` (or `NOT saved:
        ERROR`)."""
        report = self.report
        verdict = "PASSED" if report.passed else (
            f"FAILED ({report.failures} of {len(report.expectations)} expectations)")
        where = (f"report saved to {self.saved}" if self.saved is not None
                 else f"report NOT saved: {self.error}")
        return f"Drill {report.drill} {verdict} · {where}"

    def compose(self) -> ComposeResult:
        title = Static(self.title_text(), id="report-title", markup=False)
        title.add_class("-passed" if self.report.passed else "-failed")
        yield title
        with ScrollableContainer(id="report-scroll"):
            yield Static(id="report-text", markup=False)
        yield ConsoleFooter(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self.query_one("#report-scroll").focus()

    def on_resize(self, event: events.Resize) -> None:
        """The report wrapped to the new width: the screen's less the scroll's padding and its
        scrollbar's (room kept for it: a long report has one)."""
        styles = self.query_one("#report-scroll").styles
        width = event.size.width - styles.padding.width - styles.scrollbar_size_vertical
        self.query_one("#report-text", Static).update(wrap_report(self.text, width))

    def action_back(self) -> None:
        self.dismiss()


#: Extra indent of a broken line's rest, under the line's own indent, when the line has no
#: column to hang it under.
HANGING_INDENT = 4

#: The fewest columns a broken line's rest has when it hangs under its line's last column.
MIN_REST = 20

#: Where a column of a report's table starts: after two spaces or more.
COLUMN = re.compile(r" {2,}(?=\S)")


def wrap_report(text: str, width: int) -> str:
    """`text` (lines, `\n`-ended) with each line longer than `width` columns broken between
    words, its rest under its last column (an expectation's observed text) or, without one,
    HANGING_INDENT more than the line; a word is never broken (one wider than `width` stays
    whole, past it)."""
    lines = []
    for line in text.rstrip("\n").split("\n"):
        if len(line) <= width:
            lines.append(line)
            continue
        words = line.lstrip(" ")
        indent = len(line) - len(words)
        columns = [m.end() for m in COLUMN.finditer(line, indent, width)]
        rest = columns[-1] if columns and columns[-1] <= width - MIN_REST else (
            indent + HANGING_INDENT)
        lines.extend(textwrap.wrap(words, max(width, rest + 1), initial_indent=" " * indent,
                                   subsequent_indent=" " * rest,
                                   break_long_words=False, break_on_hyphens=False))
    return "\n".join(lines)
