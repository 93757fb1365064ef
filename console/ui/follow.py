"""Following a live session in the console: `cluster-console follow JOURNAL`.

The following itself (the journal polled, the leader's commands played at their times, the
events checked, every operator command refused) is console.follow.Follower, the session's
driver; this is its presentation: the FOLLOWING tag, the follower's bar, the drill panel of a
drill being followed, a poll every `POLL_S` real seconds whose playing is sliced so that keys
and frames keep their turn, and toasts when the leader ends, stops or the replay diverges.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from console.follow import POLL_S, READ_ONLY, Follower
from console.ui.mode import Mode
from console.ui.widgets.follow import follow_state

if TYPE_CHECKING:
    from textual.widget import Widget

#: Real seconds of playing per slice on the UI thread; the rest follows `SLICE_GAP_S` later.
SLICE_S = 0.02
SLICE_GAP_S = 0.01


class FollowMode(Mode):
    """Presents `follower` (a Follower driving the console's session). `poll_s`: real seconds
    between polls (0: none; the caller polls with `update`, as tests do)."""

    tag = "FOLLOWING"
    #: Why the mutating keys are disabled (help says it).
    locked_by = READ_ONLY

    def __init__(self, follower: Follower, *, poll_s: float = POLL_S) -> None:
        super().__init__()
        self.follower = follower
        self.poll_s = poll_s
        self._said = "live"  # the state last told in a toast
        self._shown = ""  # the state last shown
        self._engine = follower.session.engine  # the model the screen was built on
        self._continuing = False
        self._rebuilding = False  # the screen is being built anew (`_rebuild`)

    def started(self) -> None:
        """Play what was polled before the console opened, then poll every `poll_s`."""
        self.update(poll=False)
        if self.poll_s > 0:
            self.console.set_interval(self.poll_s, self.update,  # type: ignore[attr-defined]
                                      name="follow")

    @property
    def locked(self) -> bool:
        """Always: a follower takes no operator commands."""
        return True

    @property
    def holds_clock(self) -> bool:
        """Never: the leader's clock goes on while a dialog or a bar is open here (the header
        says no HELD)."""
        return False

    def update(self, *, poll: bool = True, budget_s: float | None = SLICE_S) -> None:
        """Poll the journal (unless `poll` is False), play what came for `budget_s` real
        seconds (None: all of it; the rest `SLICE_GAP_S` later), repaint, and say in a toast
        when the leader ended or stopped, or the replay diverged. A poll that brought nothing
        repaints nothing (unless the state changed: the leader stopped)."""
        follower = self.follower
        news = follower.poll() if poll else True
        if not news and follow_state(follower) == self._shown:
            return
        if not follower.play(budget_s) and not self._continuing:
            self._continuing = True
            self.console.set_timer(SLICE_GAP_S, self._continue)  # type: ignore[attr-defined]
        if follower.session.engine is not self._engine:  # back to the last state that agreed
            self._engine = follower.session.engine
            self._rebuild()
        if not self._rebuilding:  # the tables read the old model until they are built anew
            self.console.refresh_view()
        self._shown = follow_state(follower)
        self._tell()

    def _rebuild(self) -> None:
        """Build the screen anew on the session's new model (its tables read the old one)."""
        screen = self.console.main_screen()
        if screen is None:
            return
        self._rebuilding = True

        async def rebuild() -> None:
            await screen.rebuild()
            self._rebuilding = False

        self.console.run_worker(rebuild(), group="follow",  # type: ignore[attr-defined]
                                name="follow screen", exit_on_error=True)

    def _continue(self) -> None:
        self._continuing = False
        self.update(poll=False)

    def _tell(self) -> None:
        follower = self.follower
        state = follow_state(follower)
        if follower.behind or state == self._said:
            return
        self._said = state
        if state == "live":
            return
        trouble = follower.diverged is not None or follower.stopped
        self.console.notify(state, title="Following", severity="error" if trouble
                            else "information", timeout=10, markup=False)

    def widgets(self) -> list[Widget]:
        """The drill panel (a followed drill's, scored as it goes) and the follower's bar."""
        from console.ui.widgets.drill import DrillPane
        from console.ui.widgets.follow import FollowBar

        bar = FollowBar(self.follower)
        drill = self.follower.drill
        return [bar] if drill is None else [DrillPane(drill), bar]
