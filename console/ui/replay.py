"""Replay in the console: `cluster-console replay FILE [--speed X] [--paused]`.

The playing itself (recorded entries entering the session's door as they fall due, the
operator's commands refused) is console.replay.ReplayPlayer, the session's driver; this is its
presentation: the REPLAY tag, the replay bar, the `s` key (pause, and play the next recorded
entry) and toasts for marks and the end. The viewer drives the replay with the clock keys: space
pauses and resumes, + and - change the speed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

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
        player.on_mark = self._mark
        player.on_end = self._end

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

    @property
    def locked(self) -> bool:
        """Always: a replay takes no operator commands."""
        return True

    def widgets(self) -> list[Widget]:
        """The replay bar."""
        from console.ui.widgets.replay import ReplayBar

        return [ReplayBar(self.player)]

    def _mark(self, entry: Entry) -> None:
        if self.app is not None:
            self.app.notify(entry.text, title="Mark", timeout=3, markup=False)

    def _end(self) -> None:
        if self.app is not None:
            self.app.notify(f"end of the recording ({clock(self.player.duration)}); q quits",
                            title="Replay", timeout=5, markup=False)
