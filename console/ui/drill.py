"""Interactive drills in the console: `cluster-console drill FILE --interactive`.

The drill itself (steps on schedule through the session's door, the operator's commands scored,
the report written at the end) is console.drills.live.LiveDrill, the session's driver; this is
its presentation: the DRILL tag, the drill panel, and at the end a toast and the report screen.
Once the drill is over the mutating keys are greyed and q quits.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from console.drills.live import LiveDrill
from console.drills.report import Report
from console.ui.mode import Mode

if TYPE_CHECKING:
    from textual.widget import Widget


class DrillMode(Mode):
    """Presents `live` (a LiveDrill driving the console's session)."""

    tag = "DRILL"

    def __init__(self, live: LiveDrill) -> None:
        super().__init__()
        self.live = live
        live.on_finish = self._finished

    def started(self) -> None:
        """Start the drill: steps at 0 s run as the console opens."""
        self.live.start()  # steps at 0 s happen as the console opens

    @property
    def locked(self) -> bool:
        """Mutating keys are disabled once the drill is over."""
        return self.live.over

    @property
    def holds_clock(self) -> bool:
        """The drill file's `hold_clock` (default true; false for a timed drill)."""
        return self.live.drill.hold_clock

    def widgets(self) -> list[Widget]:
        """The drill panel."""
        from console.ui.widgets.drill import DrillPane

        return [DrillPane(self.live)]

    def _finished(self, report: Report) -> None:
        """Say how it went and where the report is, then show it."""
        app = self.console
        live = self.live
        verdict = "PASSED" if report.passed else f"FAILED ({report.failures} failed)"
        if live.saved is not None:
            app.notify(f"drill {report.drill} {verdict}; report saved to {live.saved}",
                       title="Drill over", severity="information" if report.passed
                       else "warning", timeout=10, markup=False)
        else:
            app.notify(f"drill {report.drill} {verdict}; the report could not be saved: "
                       f"{live.save_error}", title="Drill over", severity="error", timeout=10,
                       markup=False)
        from console.ui.screens.report import ReportScreen

        app.refresh_view()
        app.push_screen(ReportScreen(report, live.text or "", live.saved, live.save_error))
