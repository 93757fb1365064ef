"""Interactive drills: `cluster-console drill FILE --interactive [--report OUT] [--record REC]`.

The console opens on the drill's cluster and seed. As the simulated clock passes a step's time the
step is submitted through `ConsoleApp.run_command` (source `drill`), the door every key uses, so a
recording holds it like a key and replays it identically; the operator answers with keys, which
the drill scores (`DrillSession.submit`). The drill panel shows every expectation live.

At the drill's duration the clock pauses, the report is written (by default next to the drill
file: `NAME.report.txt` beside `NAME.toml`; else `--report`), and the report screen shows it. The
drill is then over: the operator's commands are refused with the report's whereabouts, and q
quits (ending the recording at the drill's end).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from console.drills.plan import Drill
from console.drills.report import ExpectationResult, Report, render_text
from console.drills.runner import DrillSession
from console.formats.drill import Step
from console.model.commands import Command
from console.model.engine import Engine
from console.model.kernel import Outcome
from console.ui.mode import Mode

if TYPE_CHECKING:
    from textual.widget import Widget


def default_report_path(drill: Drill) -> Path:
    """Next to the drill file: `node-crash.toml` -> `node-crash.report.txt`."""
    path = Path(drill.path)
    return path.with_name(f"{path.stem}.report.txt")


class DrillMode(Mode):
    tag = "DRILL"

    def __init__(self, drill: Drill, report_path: str | Path | None = None) -> None:
        super().__init__()
        self.drill = drill
        self.report_path = Path(report_path) if report_path is not None \
            else default_report_path(drill)
        self.session: DrillSession | None = None
        self.report: Report | None = None
        self.saved: str | None = None
        self.save_error: str | None = None

    def build_engine(self) -> Engine:
        return Engine(self.drill.build_cluster(), self.drill.seed)

    def bind(self, app) -> None:
        super().bind(app)
        self.session = DrillSession(self.drill, app.engine, on_clock=self._clock_step,
                                    submit_step=self._step)

    # -- steps come through the console's one door -------------------------------------------

    def _step(self, command: Command) -> Outcome:
        return self.console.run_command(command, source="drill")

    def _clock_step(self, t: float, command: Command) -> None:
        self.console.run_command(command, source="drill")

    # -- the Mode interface ---------------------------------------------------------------------

    @property
    def drill_session(self) -> DrillSession:
        assert self.session is not None, "the drill is not bound to a console yet"
        return self.session

    def started(self) -> None:
        self.advance(0.0)  # steps at 0 s happen as the console opens

    def advance(self, seconds: float) -> None:
        if self.report is not None:
            return
        session = self.drill_session
        session.advance_to(self.engine.now + seconds)
        if self.engine.now >= self.drill.duration:
            self.finish()

    def submit(self, command: Command) -> Outcome:
        return self.drill_session.submit(command)

    def refusal(self, command: Command) -> str | None:
        if self.report is None:
            return None
        where = self.saved if self.saved is not None else "not saved"
        return f"the drill is over (report: {where}); q quits"

    @property
    def locked(self) -> bool:
        return self.report is not None

    def widgets(self) -> list[Widget]:
        from console.ui.widgets.drill import DrillPane

        return [DrillPane(self)]

    # -- what the panel reads -------------------------------------------------------------------

    def results(self) -> list[ExpectationResult]:
        if self.report is not None:
            return self.report.expectations
        return self.drill_session.live()

    def next_step(self) -> Step | None:
        return self.drill_session.next_step()

    # -- the end --------------------------------------------------------------------------------

    def finish(self) -> Report:
        """Score the drill, save the report, pause the clock and show the report screen."""
        if self.report is not None:
            return self.report
        app = self.console
        report = self.report = self.drill_session.finish()
        text = render_text(report)
        try:
            self.report_path.write_text(text, encoding="utf-8")
            self.saved = str(self.report_path)
        except OSError as error:
            self.save_error = f"{self.report_path}: {error.strerror or error}"
        app.clock.paused = True
        verdict = "PASSED" if report.passed else f"FAILED ({report.failures} failed)"
        if self.saved is not None:
            app.notify(f"drill {report.drill} {verdict}; report saved to {self.saved}",
                       title="Drill over", severity="information" if report.passed
                       else "warning", timeout=10)
        else:
            app.notify(f"drill {report.drill} {verdict}; the report could not be saved: "
                       f"{self.save_error}", title="Drill over", severity="error", timeout=10)
        from console.ui.screens.report import ReportScreen

        app.refresh_view()
        app.push_screen(ReportScreen(report, text, self.saved, self.save_error))
        return report
