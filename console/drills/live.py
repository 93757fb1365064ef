"""An interactive drill: a drill run in a Session that an operator answers as it goes.

As the session's time passes a step's time, the step is submitted through `Session.submit`
(source DRILL), the door every key uses, so a recording holds it like a key and replays it
identically; the operator's commands are scored as they come (`DrillSession.submit`). At the
drill's duration the drill is scored, the report written (by default next to the drill file:
`NAME.report.txt` beside `NAME.toml`), and the clock paused; the drill is then over and the
operator's commands are refused with the report's whereabouts.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from console.drills.plan import Drill
from console.drills.progress import DrillProgress
from console.drills.report import Report, render_text
from console.drills.runner import DrillSession
from console.formats.output import write_atomic
from console.model.commands import Command
from console.model.engine import Engine
from console.model.kernel import Outcome
from console.session import DRILL, Session


def default_report_path(drill: Drill) -> Path:
    """Next to the drill file: `node-crash.toml` -> `node-crash.report.txt`."""
    path = Path(drill.path)
    return path.with_name(f"{path.stem}.report.txt")


def drill_session(drill: Drill, *, speed: float = 1.0, paused: bool = False) -> Session:
    """A fresh Session on the drill's cluster and seed."""
    return Session(Engine(drill.build_cluster(), drill.seed), speed=speed, paused=paused)


class LiveDrill(DrillProgress):
    """Drives `session` (a fresh one: see `drill_session`) through `drill`; the session's Driver.

    `report_path`: where the report is written (default `default_report_path`). `on_finish` is
    told once, when the drill is over, after the report was written (or could not be)."""

    def __init__(self, session: Session, drill: Drill, report_path: str | Path | None = None,
                 *, on_finish: Callable[[Report], None] | None = None) -> None:
        self.session = session
        self.drill = drill
        self.report_path = Path(report_path) if report_path is not None \
            else default_report_path(drill)
        self.on_finish = on_finish
        self.report: Report | None = None
        self.text: str | None = None
        self.saved: str | None = None
        self.save_error: str | None = None
        self.scoring = DrillSession(drill, session.engine, on_clock=self._clock_step,
                                    submit_step=self._step)
        session.drive(self)

    # -- steps come through the session's one door -----------------------------------------------

    def _step(self, command: Command) -> Outcome:
        return self.session.submit(command, source=DRILL)

    def _clock_step(self, t: float, command: Command) -> None:
        self.session.submit(command, source=DRILL)

    # -- the session's Driver -------------------------------------------------------------------

    def start(self) -> None:
        """Run the steps due at the session's current time (0 s)."""
        self.advance_to(self.session.now)

    def advance_to(self, t: float) -> None:
        """Bring the drill to `t` (simulated seconds): due steps, the model's timers, and the
        end once `t` reaches the drill's duration. Time stands still once the drill is over."""
        if self.report is not None:
            return
        self.scoring.advance_to(t)
        if self.session.now >= self.drill.duration:
            self.finish()

    def operator_command(self, command: Command) -> Outcome:
        """An operator's model command, scored by the drill."""
        return self.scoring.submit(command)

    def refusal(self, command: Command) -> str | None:
        """Nothing is refused until the drill is over; then everything, saying where the
        report is."""
        if self.report is None:
            return None
        where = self.saved if self.saved is not None else "not saved"
        return f"the drill is over (report: {where}); q quits"

    # -- the end --------------------------------------------------------------------------------

    def finish(self) -> Report:
        """Score the drill, write the report atomically (`console.formats.output`; an OSError is
        kept in `save_error`, not raised),
        pause the clock and tell `on_finish`. Idempotent."""
        if self.report is not None:
            return self.report
        report = self.report = self.scoring.finish()
        self.text = render_text(report)
        try:
            write_atomic(self.report_path, self.text)
            self.saved = str(self.report_path)
        except OSError as error:
            self.save_error = f"{self.report_path}: {error.strerror or error}"
        self.session.clock.paused = True
        if self.on_finish is not None:
            self.on_finish(report)
        return report
