"""Keys typed ahead of a screen: read before the screen they are for is up, they wait, and are
given to it in the order typed once it is.

A pushed screen (the event log, from `L`) is composed and mounted in turns of its own; a key
read meanwhile went to the screen below (`L/miss` in one burst: the `/` opened the main
screen's filter, `miss` went into it). Keys typed while a big cluster loads (or a follower
catches up) wait the same way for the console, as keys typed ahead do in a shell, rather than
being dropped; only the keys that quit (`q` on the loading screen, ctrl+c, F10) and ctrl+z act
at once. The app holds and gives the keys (ConsoleApp.on_event, ConsoleApp.push_screen).

Keys read behind a key still on its way wait for it too (`InOrder`). Most keys go to the
focused widget through its queue and bubble up through its parents' queues, in turns of their
own; the keys the app acts on as it reads them (a pane's number, `:`, `/`) acted before the
keys typed ahead of them had arrived: `k2x` in one burst focused the VMs pane before `k` moved
the nodes' cursor, and then `k` moved the VMs' cursor, and `x` crashed the host of another VM
than the one on show (found by a tester).
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import Enum

from textual import events

#: Keys that never wait: the app's priority bindings (quit, suspend).
AT_ONCE = frozenset({"ctrl+c", "f10", "ctrl+z"})

#: The key the loading screen acts on itself (it quits), unless it is typed into a bar typed
#: ahead (a `q` in `:vm-power sql01 off` is the command's).
LOADING_KEYS = frozenset({"q"})

#: The keys that open a bar (the command line, the filter) and those that close it.
BAR_OPENING = frozenset({"colon", "slash"})
BAR_CLOSING = frozenset({"enter", "escape"})

#: Real seconds a key waits at most for the keys ahead of it (one whose widget went away on
#: its way never says it passed).
IN_ORDER_WAIT_S = 0.5


class Turn(Enum):
    """What becomes of a key read now: it goes its way, waits, or follows the keys held
    (which are given first: the screen they waited for went away before it was up)."""

    GO = "go"
    HOLD = "hold"
    AFTER_HELD = "after held"


class TypeAhead:
    """The keys held, and the screen they wait for (`waiting_for`), or the console itself
    while its model loads (`loading`)."""

    def __init__(self, *, loading: bool) -> None:
        self.loading = loading
        self.waiting_for: object | None = None
        self.keys: list[events.Key] = []

    def turn(self, key: str, stack: Sequence[object]) -> Turn:
        """What becomes of the key named `key`, the app's screens being `stack` (the top
        last)."""
        if key in AT_ONCE:
            return Turn.GO
        if self.loading:
            return Turn.GO if key in LOADING_KEYS and not self._in_a_bar() else Turn.HOLD
        if self.waiting_for is None:
            return Turn.GO
        if self.waiting_for in stack:
            return Turn.HOLD
        return Turn.AFTER_HELD

    def _in_a_bar(self) -> bool:
        """Whether the keys held leave a bar open (the next key is typed into it)."""
        open_bar = False
        for key in self.keys:
            if key.key in BAR_OPENING and not open_bar:
                open_bar = True
            elif key.key in BAR_CLOSING:
                open_bar = False
        return open_bar

    def wait_for(self, screen: object) -> None:
        """Keys wait for `screen`, pushed now (the console is up, if it was loading)."""
        self.loading = False
        self.waiting_for = screen

    def take(self, screen: object | None = None) -> list[events.Key]:
        """The keys held, to be given now, and none held after: `screen` is up (nothing when
        another screen pushed over it is awaited now), or (None) the awaited one went away."""
        if screen is not None and screen is not self.waiting_for:
            return []
        self.waiting_for = None
        keys, self.keys = self.keys, []
        return keys


class InOrder:
    """The keys on their way through the widgets' queues (`on_their_way`), and the keys read
    behind them, which wait (`behind`) and are given in the order read once those passed."""

    def __init__(self) -> None:
        self.on_their_way = 0
        self.behind: list[events.Key] = []
        self.giving = False  # the keys behind are being given: they go their way

    def holds(self, key: str) -> bool:
        """Whether the key named `key`, read now, waits behind the keys on their way."""
        if self.giving or key in AT_ONCE:
            return False
        return self.on_their_way > 0 or bool(self.behind)
