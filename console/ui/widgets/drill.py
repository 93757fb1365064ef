"""The drill panel (interactive drills): every expectation scored live, with what was observed.

Each row is one expectation of the drill: pending while undecided, PASS or FAIL once the drill's
live scoring (`LiveDrill.results`) knows, and the value observed (when a `within` check first
held, where an `always` check first broke, the event seen). The title counts them and says what
the drill does next.

The panel takes as many rows as its expectations need, up to what the panes above can spare
(`fit`); when that is fewer than it has, it scrolls: `9` focuses it, and the table's
own keys (up/down, j/k, pgup/pgdn, g/G) move through the expectations. Focused, it grows to at
most half of the screen, so that on a short terminal more than one expectation shows at once;
it gives the rows back when the focus leaves it.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import TYPE_CHECKING

from textual import events
from textual.app import ComposeResult

from console.drills.report import ExpectationResult
from console.ui.widgets.base import Pane, clock
from console.ui.widgets.keyed_table import Cells, Column, KeyedTable

if TYPE_CHECKING:
    from console.drills.live import LiveDrill
    from console.drills.replayed import DrillReplay

#: Rows the panel's frame takes besides its expectations: the table's header and the border.
FRAME_ROWS = 3
RESULT = {True: ("PASS", "ok"), False: ("FAIL", "error"), None: ("pending", "muted")}


class DrillTable(KeyedTable):
    """The drill panel's table: one row per expectation (number, PASS / FAIL / pending, the
    sentence, what was observed), keyed by its number."""

    columns = (
        Column("#", 2, "right"),
        Column("Result", 7),
        Column("Expectation", 30, flex=True),
        Column("Observed", 24, flex=True, priority=1),
    )
    empty_text = "no expectations"

    def __init__(self, live: LiveDrill | DrillReplay, **kwargs) -> None:
        super().__init__(**kwargs)
        self.live = live
        self.results: list[ExpectationResult] = []

    def update_view(self) -> None:
        """Read the live results and repaint what changed."""
        self.results = self.live.results()
        self.refresh_rows()

    def row_count(self) -> int:
        """The number of expectations."""
        return len(self.results)

    def row_key(self, index: int) -> Hashable:
        """The number (from 1) of expectation `index`."""
        return self.results[index].number

    def index_of(self, key: Hashable) -> int | None:
        """The row of expectation number `key`, or None."""
        try:
            index = int(key) - 1  # type: ignore[call-overload]
        except ValueError:  # not a number (a recorded selection is text)
            return None
        return index if 0 <= index < len(self.results) else None

    def row_cells(self, key: Hashable) -> Cells:
        """Number, result, the expectation as written and what was observed."""
        result = self.results[int(key) - 1]  # type: ignore[call-overload]
        return (str(result.number), RESULT[result.passed], result.text,
                (result.observed, "muted" if result.passed is None else ""))


class DrillPane(Pane):
    """The bordered drill panel under the main screen's panes."""

    DEFAULT_CSS = """
    DrillPane { height: auto; }
    """

    def __init__(self, live: LiveDrill | DrillReplay) -> None:
        super().__init__(id="drill-pane")
        self.live = live
        self.count = len(live.drill.expectations)
        self.room = self.count + FRAME_ROWS
        self.rows = self.room
        self._titles: tuple[str, str] | None = None
        self.fit(self.room)

    def fit(self, room: int) -> None:
        """Take the rows every expectation needs, at most `room` (what the panes above can
        spare) but always one expectation's: the table's rows, its header and the border. While
        the panel has the focus it may take up to half of the screen's height."""
        self.room = room
        allowed = room
        if self.is_mounted and self.has_focus_within:
            allowed = max(room, self.screen.size.height // 2)
        self.rows = max(1, min(self.count, allowed - FRAME_ROWS)) + FRAME_ROWS
        self.styles.height = self.rows

    def on_descendant_focus(self) -> None:
        self.fit(self.room)

    def on_descendant_blur(self) -> None:
        self.fit(self.room)

    @property
    def shown(self) -> int:
        """How many expectations fit on screen at once."""
        return self.rows - FRAME_ROWS

    def compose(self) -> ComposeResult:
        yield DrillTable(self.live, id="drill-table")

    def update_view(self) -> None:
        """Repaint the table and the border's titles: the drill's name; counts passed, failed and
        pending; then the verdict, the next step or when the drill ends."""
        table = self.query_one(DrillTable)
        table.update_view()
        self._update_titles(table.results)

    def on_resize(self, _event: events.Resize) -> None:
        """The subtitle fitted to the new width."""
        self._update_titles(self.query_one(DrillTable).results)

    def _update_titles(self, results: list[ExpectationResult]) -> None:
        """The titles for `results`; the next step's command is left out of the subtitle when
        the whole does not fit the border (Textual would cut it mid-word)."""
        passed = sum(1 for r in results if r.passed is True)
        failed = sum(1 for r in results if r.passed is False)
        pending = len(results) - passed - failed
        live = self.live
        drill = live.drill
        title = f"Drill {drill.name}"
        parts = [f"{passed} passed", f"{failed} failed", f"{pending} pending"]
        step = live.next_step()
        if live.report is not None:
            verdict = "PASSED" if live.report.passed else "FAILED"
            parts.append(f"{verdict} at {clock(drill.duration)}")
        elif step is not None:
            parts.append(f"next: step {step.number} at {clock(step.at)}")
        else:
            parts.append(f"ends at {clock(drill.duration)}")
        subtitle = " · ".join(parts)
        room = self.size.width - 4  # the corners and a space each side; < 0 before the layout
        if step is not None and live.report is None:
            whole = f"{subtitle} {step.command.text()}"
            subtitle = whole if room < 0 or len(whole) <= room else subtitle
        titles = (title, subtitle)
        if titles != self._titles:
            self._titles = titles
            self.border_title, self.border_subtitle = titles
