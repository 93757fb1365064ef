"""A recorded interactive drill, replayed with its drill panel: the drill's expectations scored
again as the recording plays, as they were met.

A drill's recording embeds the drill (`drill_file`, a self-contained copy: console.formats
.recording). `DrillReplay` is the replay player's pacer (console.replay.Pacer): a
`DrillSession` over the replayed model moves its time, running the drill's steps at their times
through the session's door (they were recorded like keys; the player passes over their
recorded lines) and scoring every expectation on the way; the operator's recorded commands
are played by the player. The verdicts and the values observed are the live drill's; only an
`always` check counts fewer checks (an operator's command was a moment to look at live, not
here). The drill panel reads it as it reads a live drill (`results`,
`next_step`, `report`).
"""

from __future__ import annotations

from console.drills.plan import Drill, parse_drill
from console.drills.progress import DrillProgress
from console.drills.report import Report
from console.drills.runner import DrillSession
from console.formats.recording import Entry
from console.model.commands import Command
from console.model.kernel import Outcome
from console.replay import ReplayPlayer


def recorded_drill(player: ReplayPlayer) -> DrillReplay | None:
    """Pace `player` with the drill its recording embeds, if any (set as its pacer); None for
    a recording without a drill. Raises `ConfigError` (an `InputError`) for a bad embedded
    drill."""
    text = player.recording.drill_file
    if text is None:
        return None
    replay = DrillReplay(parse_drill(text, f"{player.recording.path} (drill_file)"), player)
    player.pacer = replay
    return replay


class DrillReplay(DrillProgress):
    """Scores `drill` over `player`'s model as the recording plays (see the module docstring)."""

    def __init__(self, drill: Drill, player: ReplayPlayer) -> None:
        self.drill = drill
        self.player = player
        self.report: Report | None = None
        self._played = 0  # drill steps whose recorded lines the player passed over
        self.scoring = DrillSession(drill, player.session.engine,
                                    on_clock=lambda _t, _command: None,  # recorded clock lines
                                    submit_step=self._step)

    def _step(self, command: Command) -> Outcome:
        return self.player.session.submit(command, source=self.player.source)

    # -- the player's pacer ---------------------------------------------------------------------

    def run_before(self, t: float) -> None:
        """The drill to `t` (its steps due by then, its looks), then the model's timers before
        `t` (after the drill's end too). At the drill's duration it is scored, as the live
        drill is the moment its time gets there (console.drills.live): a journal being
        followed has no end line until the leader quits its report (console.follow)."""
        if self.report is None:
            self.scoring.advance_to(t)
            if t >= self.drill.duration:
                self.report = self.scoring.finish()
        engine = self.player.session.engine
        if t > engine.now:
            engine.run_before(t)

    def plays(self, entry: Entry) -> bool:
        """Whether `entry` is the recorded line of the next drill step already run."""
        steps = self.drill.steps
        run = len(self.scoring.results)
        while self._played < run and steps[self._played].clock:
            self._played += 1  # recorded as clock lines, not commands
        if self._played >= run:
            return False
        step = steps[self._played]
        if step.at != entry.t or step.command.text() != entry.text:
            return False
        self._played += 1
        return True

    def finish(self) -> None:
        """The recording is over: the drill is scored when the recording reached its end (a
        drill left before its end stays as it was, its expectations pending)."""
        if self.report is None and self.player.session.now >= self.drill.duration:
            self.report = self.scoring.finish()

    def fresh(self, player: ReplayPlayer) -> DrillReplay:
        """The same drill scored afresh over `player` (a player rebuilt from the start)."""
        return DrillReplay(self.drill, player)

    def rebind(self, player: ReplayPlayer) -> None:
        """Go on through `player`'s session (it adopted this replay's model)."""
        self.player = player

