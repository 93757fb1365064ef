"""The follower's bar: it follows a session, which journal, the leader's committed time, how it
stands (live, catching up, the leader's end, a leader that stopped without one, a divergence),
the leader's commands played so far and the last of them."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from console.ui.widgets.base import clock
from console.ui.widgets.status_bar import Part, StatusBar

if TYPE_CHECKING:
    from console.follow import Follower


def follow_state(follower: Follower) -> str:
    """How the follower stands, in one line: `the session ended at T`, `the leader stopped (no
    end line): the journal holds up to T`, the divergence, `catching up N%`, or `live`."""
    if follower.diverged is not None:
        return follower.diverged
    if follower.player.ended:
        return f"the session ended at {clock(follower.session.now)}"
    if follower.behind:
        return f"catching up {follower.progress:.0%}"
    if follower.stopped:
        return (f"the leader stopped (no end line): the journal holds up to "
                f"{clock(follower.target)}")
    return "live"


class FollowBar(StatusBar):
    """The follower's one-line bar (see the module docstring)."""

    DEFAULT_CSS = """
    FollowBar { height: 1; background: $panel; padding: 0 1; }
    """

    def __init__(self, follower: Follower) -> None:
        super().__init__("follow-bar")
        self.follower = follower

    def parts(self) -> list[Part]:
        """The bar as parts; the last (and next) command shortened first to fit."""
        follower = self.follower
        player = follower.player
        trouble = follower.diverged is not None or follower.stopped
        found = [Part(" FOLLOWING ", "bold reverse"),
                 Part(f" {Path(follower.path).name} ", "bold", elastic=True),
                 Part(f"leader at {clock(follower.target)} · "),
                 Part(follow_state(follower), "bold red" if trouble else "bold"),
                 Part(f" · {player.applied} command{'' if player.applied == 1 else 's'}")]
        if player.last is not None:
            entry, outcome = player.last
            note = " (refused)" if outcome.startswith("refused") else ""
            found.append(Part(f" · last {clock(entry.t)} {entry.text}{note}", elastic=True))
        found.append(Part("  (read-only: the leader acts; q quits)", "dim", optional=True))
        return found
