"""The replay bar: it is a replay, of what, how far (t / duration and a bar), at what speed (the
session's clock, as the header says it) or how far a seek back has got, the last and next
recorded commands, and the keys that drive it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from console.replay import NOT_APPLIED
from console.ui.widgets.base import clock
from console.ui.widgets.status_bar import Part, StatusBar

if TYPE_CHECKING:
    from console.replay import ReplayPlayer

BAR_CELLS = 10


class ReplayBar(StatusBar):
    """The replay's one-line bar: file, time and length, a progress bar, play state and speed,
    commands applied, the last and the next entry, and its keys."""

    DEFAULT_CSS = """
    ReplayBar { height: 1; background: $panel; padding: 0 1; }
    """

    def __init__(self, player: ReplayPlayer, seeking: Callable[[], float | None] = lambda: None
                 ) -> None:
        super().__init__("replay-bar")
        self.player = player
        self.seeking = seeking

    def parts(self) -> list[Part]:
        """The bar as parts; the last (and next) command shortened first to fit."""
        mode = self.player
        now, duration = mode.session.now, mode.duration
        clk = mode.session.clock
        share = min(1.0, now / duration) if duration > 0 else 1.0
        filled = round(share * BAR_CELLS)
        seeking = self.seeking()
        state = (f"SEEKING BACK {seeking:.0%}" if seeking is not None
                 else "END" if mode.ended else "PAUSED" if clk.paused
                 else f"PLAYING x{clk.speed:g}")
        found = [Part(" REPLAY ", "bold reverse"),
                 Part(f" {Path(mode.recording.path).name} ", "bold", elastic=True),
                 Part(f"{clock(now)} / {clock(duration)} "),
                 Part("█" * filled, "bold"), Part("░" * (BAR_CELLS - filled), "dim"),
                 Part(f" {share:4.0%} "), Part(state, "bold"),
                 Part(f" · {mode.applied}/{mode.commands}")]
        if mode.last is not None:
            entry, outcome = mode.last
            note = (" (refused)" if outcome.startswith("refused")  # why: events pane
                    else " (recorded; not applied)" if outcome == NOT_APPLIED else "")
            found.append(Part(f" · last {clock(entry.t)} {entry.text}{note}", elastic=True))
        following = mode.next_entry()
        if following is not None:
            found.append(Part(f" · next {clock(following.t)} {following.text}", "dim",
                              elastic=True))
        found.append(Part("  (space pause, s step, [ ] seek, +/- speed)", "dim", optional=True))
        return found
