"""Replay in the console: `cluster-console replay FILE [--speed X] [--paused]`.

The playing itself (recorded entries entering the session's door as they fall due, the
operator's commands refused) is console.replay.ReplayPlayer, the session's driver; this is its
presentation: the REPLAY tag, the replay bar, the `s` key (pause, and play the next recorded
entry), `[` and `]` (seek back and on: `seek`) and toasts for marks and the end. The viewer
drives the replay with the clock keys: space pauses and resumes, + and - change the speed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from console.drills.replayed import DrillReplay, recorded_drill
from console.formats.recording import Entry
from console.replay import ReplayPlayer
from console.ui.mode import Mode
from console.ui.widgets.base import clock

if TYPE_CHECKING:
    from textual.widget import Widget


class ReplayMode(Mode):
    """Presents `player` (a ReplayPlayer driving the console's session)."""

    tag = "REPLAY"

    def __init__(self, player: ReplayPlayer) -> None:
        super().__init__()
        self.player = player
        #: The recorded drill played along (its panel shown), None for a plain recording.
        self.drill = recorded_drill(player)
        #: While a seek back re-simulates: how far it is (0 to 1); None otherwise.
        self.seeking: float | None = None
        player.on_mark = self._mark
        player.on_end = self._end
        player.on_select = self._select

    def started(self) -> None:
        """Start playing: what was recorded at 0 s is submitted as the console opens."""
        self.player.start()  # what was recorded at 0 s

    def step(self) -> Entry | None:
        """`s`: pause, and play the next recorded entry (at the end, say so)."""
        player = self.player
        entry = player.step()
        if entry is None:
            self.console.notify(f"end of the recording ({clock(player.duration)})",
                                title="Replay", timeout=3, markup=False)
            return None
        self.console.refresh_view()
        return entry

    def seek(self, direction: int) -> None:
        """`]` (direction +1): play on to the next recorded command or mark (at most 60 s on).
        `[` (-1): back to the previous one (at most 60 s back): the session is re-simulated
        from the recording's start to that instant in a worker thread, the bar showing the
        progress, and swapped in when done; the clock is paused meanwhile and after."""
        player = self.player
        console = self.console
        if self.seeking is not None:
            console.notify("still seeking back", title="Replay", timeout=2, markup=False)
            return
        target = player.seek_target(direction)
        if target is None:
            where = "start" if direction < 0 else "end"
            console.notify(f"at the {where} of the recording", title="Replay", timeout=2,
                           markup=False)
            return
        if direction > 0:
            player.advance_to(target)
            console.refresh_view()
            return
        player.session.clock.paused = True
        self.seeking = 0.0
        console.refresh_view()
        app = self.app

        def rebuild() -> None:
            def progress(fraction: float) -> None:
                app.call_from_thread(self._seek_progress, fraction)  # type: ignore[attr-defined]

            rebuilt = player.rebuilt(target, progress)
            app.call_from_thread(self._seeked, rebuilt)  # type: ignore[attr-defined]

        app.run_worker(rebuild, thread=True, group="replay-seek",  # type: ignore[attr-defined]
                       name="replay seek", exit_on_error=True)

    def _seek_progress(self, fraction: float) -> None:
        self.seeking = fraction
        self.console.refresh_view()

    def _seeked(self, rebuilt: ReplayPlayer) -> None:
        """Swap the rebuilt model in. The screen is built anew (its tables read the old model
        as they went), with the presenter's selection at that instant."""
        self.player.adopt(rebuilt)
        self.seeking = None
        app = self.console
        screen = app.main_screen()
        if screen is None:
            return
        chosen = self.player.selection_at()

        async def rebuild() -> None:
            await screen.rebuild()
            if chosen is not None:
                self.show_selection(chosen.text)

        app.run_worker(rebuild(), group="replay-seek",  # type: ignore[attr-defined]
                       name="replay screen", exit_on_error=True)

    @property
    def locked(self) -> bool:
        """Always: a replay takes no operator commands."""
        return True

    def widgets(self) -> list[Widget]:
        """The drill panel (a recorded drill's, scored as it replays) and the replay bar."""
        from console.ui.widgets.drill import DrillPane
        from console.ui.widgets.replay import ReplayBar

        bar = ReplayBar(self.player, lambda: self.seeking)
        pacer = self.player.pacer  # after a seek back: the rebuilt replay's drill
        if isinstance(pacer, DrillReplay):
            return [DrillPane(pacer), bar]
        return [bar]

    def _select(self, entry: Entry) -> None:
        """The presenter's selection: the same pane focused, the cursor on the same row."""
        self.show_selection(entry.text)

    def show_selection(self, text: str) -> None:
        """Put the selection `text` (`PANE ROW`) on the main screen, if it is up."""
        from console.ui import selection

        if self.app is None:
            return
        screen = self.app.main_screen()
        if screen is None or not screen.is_mounted:
            return

        def focus(pane: str) -> None:
            if pane == "drill":
                screen.action_focus_drill()
            else:
                screen.action_focus_pane(pane)

        selection.apply(screen, text, focus)

    def _mark(self, entry: Entry) -> None:
        if self.app is not None:
            self.app.notify(entry.text, title="Mark", timeout=3, markup=False)

    def _end(self) -> None:
        if self.app is not None:
            self.app.notify(f"end of the recording ({clock(self.player.duration)}); q quits",
                            title="Replay", timeout=5, markup=False)
