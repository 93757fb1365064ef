"""The drill report screen: shown when an interactive drill reaches its end.

The report is the text `cluster-console drill FILE` prints (console.drills.report.render_text),
and it has been saved already; the title says whether the drill passed and where the report is.
esc goes back to the console (its clock paused at the drill's end, to look around); q quits.
"""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import ScrollableContainer
from textual.screen import Screen
from textual.widgets import Static

from console.drills.report import Report
from console.ui.widgets.footer import ConsoleFooter


class ReportScreen(Screen[None]):
    """A finished drill's report as text (`text`), titled with the verdict and where it was saved
    (`saved`) or why it was not (`error`); escape goes back, q quits."""

    DEFAULT_CSS = """
    ReportScreen { layout: vertical; }
    ReportScreen #report-title { height: auto; padding: 0 1; text-style: bold;
                                 background: $panel; }
    ReportScreen #report-title.-passed { color: $text-success; }
    ReportScreen #report-title.-failed { color: $text-error; }
    ReportScreen #report-scroll { height: 1fr; padding: 0 1; }
    ReportScreen #report-text { width: auto; }  /* long lines scroll, they do not wrap */
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
            yield Static(self.text.rstrip("\n"), id="report-text", markup=False)
        yield ConsoleFooter(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self.query_one("#report-scroll").focus()

    def action_back(self) -> None:
        self.dismiss()
