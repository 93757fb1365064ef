"""What a drill panel reads of a drill being scored, live (console.drills.live) or again in a
replay (console.drills.replayed): one base for both."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from console.drills.report import ExpectationResult, Report
    from console.drills.runner import DrillSession
    from console.formats.drill import Step


class DrillProgress:
    """A drill's progress for its panel: `scoring` scores it as time passes, `report` is set
    once it is scored (a subclass sets both)."""

    scoring: DrillSession
    report: Report | None

    @property
    def over(self) -> bool:
        """The drill has been scored."""
        return self.report is not None

    def results(self) -> list[ExpectationResult]:
        """Every expectation with its verdict so far (final once the drill is scored)."""
        if self.report is not None:
            return self.report.expectations
        return self.scoring.live()

    def next_step(self) -> Step | None:
        """The next step to fall due, or None."""
        return self.scoring.next_step()
