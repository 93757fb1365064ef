"""KeyedTable: a live table that renders its own lines and repaints only the cells that changed.

Why not DataTable: in textual 8.2 `DataTable.update_cell` repaints the whole table, and 20,000 rows
cost seconds to add. This widget holds no rows at all. A subclass
answers three questions - how many rows, the key of row i, the cells of a key - and the table asks
them only for the rows on screen. Each `refresh_rows()` compares what each visible line shows with
what it showed before and refreshes only the regions of the cells that changed (a whole line when
another row moved into it), so a tick where nothing visible changed writes nothing at all.

The cursor follows its row's key when rows move (a VM that changes host keeps the selection).

Any table sorts by a column (`sort_by`; a column's `sort` gives the value, else its text in natural
order; ties keep the subclass's order) and filters with a `/` query (`set_filter`, see
`table_query`). Both work on an order of keys computed again when the sort, the filter,
the width or `rows_marker()` changed, and when `values_marker()` changed (the values moved: once
per model step at most) no sooner than ORDER_COST_FACTOR times its last cost later; never per row
drawn. A table of `order_slice_rows` rows or more works out an order for changed values, a new
filter or a new sort a slice at a time between other events (`sliced_order`, ORDER_SLICE_S of
work per turn of the event loop), showing the rows it had until the new order is complete: a key
(one typed into the `/` filter, say) is never queued behind a whole 40,000-row re-sort or filter.
Without either, rows come straight from the subclass at no cost. A column is as wide as its
longest value seen on screen where the width allows (`_ensure_layout`), so values are not cut
when there is room.

A drawn line is kept (`STRIP_CACHE_LINES` per table) under its cells, style, width and column
layout, so a repaint redraws only the lines whose content changed: a key that moves the cursor, or
a new layout of the screen, draws the other lines from the cache (at 40,000 VMs a whole-screen
repaint after a command took 40-60 ms of CPU, half of it drawing lines that had not changed).

A cell is plain text, `(text, style)` or a tuple of such spans; styles are names (`ok`, `warn`,
`error`, `muted`, `accent`, `bold`, `bar`, `dim-bar`) mapped to component classes, so every theme
colours them.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable, Generator, Hashable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, ClassVar, Union

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual.binding import Binding, BindingType
from textual.cache import LRUCache
from textual.geometry import Region
from textual.message import Message
from textual.strip import Strip
from textual.widget import Widget

from console.ui.glyphs import glyph
from console.ui.widgets.sliced_order import sliced_order
from console.ui.widgets.table_query import Query, parse_query

Span = tuple[str, str]
Cell = Union[str, Span, tuple[Span, ...]]  # noqa: UP007 - a runtime alias on Python 3.10
Cells = tuple[Cell, ...]

#: Drawn lines kept per table (a few screenfuls: the rows on show, with and without the cursor).
STRIP_CACHE_LINES = 256

STYLE_NAMES = ("ok", "warn", "error", "muted", "accent", "bold", "bar", "dim-bar")
SORT_MARK = {False: "▲", True: "▼"}  # ascending, descending
#: A big table's order is computed again for changed values at most every this many times what
#: computing it cost (40,000 VMs by CPU: at most a fifth of a core).
ORDER_COST_FACTOR = 4
#: Real seconds of work on a sliced order (`KeyedTable.order_slice_rows`) per event-loop turn.
ORDER_SLICE_S = 0.008


@dataclass(frozen=True, slots=True)
class Column:
    """One column: header label, least width in cells, alignment, drop priority (the highest dropped
    first when narrow), whether it takes the spare width; its sort value `sort(table, key)` (None:
    the cell's text in natural order), whether its sort starts with the biggest (CPU: the busiest
    first), another name for `/FIELD:value` besides the label in lower case, whether its values
    change with the clock alone (`live`), whether it grows to its values (`fit`; not a meter
    drawn to the column's width, nor a message that may be long), and every row's sort value at
    once (`sort_all`, where cheaper than `sort` row by row)."""

    label: str
    width: int
    align: str = "left"   # left | right
    priority: int = 0     # columns with the highest priority are dropped first when narrow
    flex: bool = False    # takes the spare width
    sort: Callable[[Any, Hashable], Any] | None = None
    biggest_first: bool = False
    alias: str = ""
    live: bool = False    # its values change with the clock alone (a sort by it follows the clock)
    fit: bool = True      # as wide as its values where the width allows (False: a meter, a message)
    #: Every row's sort value at once, `sort_all(table)[key]`, when that is cheaper than `sort`
    #: row by row (40,000 VMs by CPU); the same values as `sort`.
    sort_all: Callable[[Any], Mapping[Hashable, Any]] | None = None


class KeyedTable(Widget, can_focus=True):
    """A table over rows produced lazily by the subclass; see the module docstring."""

    DEFAULT_CSS = """
    KeyedTable {
        height: 1fr;
        width: 1fr;
    }
    KeyedTable > .keyed-table--header { color: $text-muted; text-style: bold; }
    KeyedTable > .keyed-table--cursor {
        background: $block-cursor-blurred-background;
    }
    KeyedTable:focus > .keyed-table--cursor {
        background: $block-cursor-background;
        color: $block-cursor-foreground;
        text-style: $block-cursor-text-style;
    }
    KeyedTable > .keyed-table--ok { color: $text-success; }
    KeyedTable > .keyed-table--warn { color: $text-warning; }
    KeyedTable > .keyed-table--error { color: $text-error; text-style: bold; }
    KeyedTable > .keyed-table--muted { color: $text-muted; }
    KeyedTable > .keyed-table--accent { color: $text-accent; }
    KeyedTable > .keyed-table--bold { text-style: bold; }
    KeyedTable > .keyed-table--bar { color: $primary; }
    KeyedTable > .keyed-table--dim-bar { color: $foreground 25%; }
    KeyedTable > .keyed-table--empty { color: $text-muted; text-style: italic; }
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "keyed-table--header", "keyed-table--cursor", "keyed-table--empty",
        *(f"keyed-table--{name}" for name in STYLE_NAMES),
    }

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up,k", "cursor(-1)", "Up", show=False, id="cursor-up"),
        Binding("down,j", "cursor(1)", "Down", show=False, id="cursor-down"),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("home,g", "first", "First row", show=False),
        Binding("end,G", "last", "Last row", show=False),
        Binding("enter", "select", "Details", show=False, id="details"),
    ]

    columns: ClassVar[tuple[Column, ...]] = ()
    empty_text: ClassVar[str] = "nothing to show"
    #: A cursor on the first row stays there as rows arrive above it (newest-first logs).
    stick_to_top: ClassVar[bool] = False
    #: From this many rows, an order for changed values, a new filter or a new sort is worked out
    #: in slices (see the module docstring); a new set of rows (another node) is ordered at once.
    order_slice_rows: ClassVar[int] = 5000

    class _RowMessage(Message):
        """A message about one row of the table; `control` lets handlers use `@on(..., "#id")`."""

        def __init__(self, table: KeyedTable, key: Hashable | None) -> None:
            super().__init__()
            self.table = table
            self.key = key

        @property
        def control(self) -> KeyedTable:
            return self.table

    class Highlighted(_RowMessage):
        """The cursor moved to another row (or its row's key changed). `followed`: the table's
        `follower` was told at once (the message still bubbles, for other listeners)."""

        followed = False

    class Selected(_RowMessage):
        """Enter on a row."""

    def __init__(self, *, name: str | None = None, id: str | None = None,
                 classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.cursor = 0
        self.cursor_key: Hashable | None = None
        self.top = 0
        self._count = 0
        self._shown: list[tuple[Hashable, Cells] | None] = []
        self._layout: tuple[tuple[int, int, int], ...] = ()  # (column index, x, width)
        self._strips: LRUCache[tuple, Strip] = LRUCache(STRIP_CACHE_LINES)  # see the module
        self._layout_width = -1
        self._styles: dict[str, Style] = {}
        self._stale = True  # rows were not compared since the last time the table was hidden
        self._announced: Hashable | None = object()
        self.sort_column: int | None = None
        self.sort_reverse = False
        self.query = Query("")  # the filter's
        self.search = Query("")  # what n / N look for: the filter's, kept when it is cleared
        self._order: list[Hashable] | None = None  # keys shown, when sorted or filtered
        self._order_index: dict[Hashable, int] = {}
        self._order_marker: object = object()
        self._order_values: object = object()
        self._order_due = 0.0  # time.monotonic() before which changed values keep the order
        self._order_job: Generator[None, None, list[Hashable]] | None = None  # a sliced order
        self._order_job_values: object = None  # the values marker it started at
        self._order_job_cost = 0.0  # real seconds spent on it so far
        self._order_job_marker: object = None  # the sort and filter it works out
        self._plain_rows_shown = True  # the subclass's rows are on show (no order yet)
        self._order_work_queued = False  # a turn of `_work_on_order` is waiting
        self._wants: dict[int, int] = {}  # column -> width its values asked for
        self._base_style: Style | None = None  # `rich_style`, kept until the styles change
        #: Told of every cursor move at once, in the handler that moved it, before the message
        #: is posted: a pane that follows this one repaints in the same frame, not one later.
        self.follower: Callable[[KeyedTable.Highlighted], None] | None = None

    # -- what a subclass provides ---------------------------------------------------------------

    def row_count(self) -> int:
        """The number of rows; a subclass answers (0 here)."""
        return 0

    def row_key(self, index: int) -> Hashable:
        """The key of row `index`; a subclass answers. Raises IndexError here."""
        raise IndexError(index)

    def row_cells(self, key: Hashable) -> Cells:
        """The cells of the row keyed `key`, one per column; a subclass answers (none here)."""
        return ()

    def index_of(self, key: Hashable) -> int | None:
        """Where `key` is now; override with a dictionary look-up for big tables."""
        for i in range(self.row_count()):
            if self.row_key(i) == key:
                return i
        return None

    def rows_marker(self) -> Hashable:
        """A value that changes when the rows shown must change at once (another node followed):
        the sorted or filtered order is then computed again. Here nothing."""
        return None

    def values_marker(self) -> Hashable:
        """A value that changes whenever rows or their values may have changed: the sorted or
        filtered order is then computed again (see the module docstring). Here the row count."""
        return self.row_count()

    def quick_text(self, key: Hashable, column: int) -> str | None:
        """The plain text of one cell when it is cheaper than `row_cells` (a filter over 40,000
        VMs reads only the columns it needs); None: from `row_cells`. Here always None."""
        return None

    def all_keys(self) -> list[Hashable]:
        """Every key in the subclass's order; override with a cheaper one for big tables."""
        return [self.row_key(i) for i in range(self.row_count())]

    # -- the rows shown: the subclass's, or sorted and filtered ----------------------------------

    @property
    def text_filter(self) -> str:
        """The `/` filter's text ("" for none)."""
        return self.query.text

    @text_filter.setter
    def text_filter(self, text: str) -> None:
        self.set_filter(text)

    def filter_fields(self) -> dict[str, int]:
        """The names `/FIELD:value` knows: each column's label in lower case and its alias."""
        fields = {}
        for i, column in enumerate(self.columns):
            fields[column.label.lower()] = i
            if column.alias:
                fields[column.alias] = i
        return fields

    def set_filter(self, text: str) -> None:
        """Show only the rows matching the query `text` (see `table_query`); "" shows all."""
        text = text.strip()
        if text != self.query.text:
            self.query = parse_query(text, self.filter_fields())
            if text:
                self.search = self.query

    def sort_by(self, column: int | None, reverse: bool | None = None) -> None:
        """Sort by `column` (None: the subclass's own order); `reverse` None starts the column
        with its `biggest_first` direction."""
        if column is not None:
            column = max(0, min(column, len(self.columns) - 1))
        if reverse is None:
            reverse = column is not None and self.columns[column].biggest_first
        if (column, reverse) != (self.sort_column, self.sort_reverse):
            self.sort_column, self.sort_reverse = column, reverse

    def sort_label(self) -> str:
        """`sorted by CPU ▼` for a pane's title, or "" when unsorted."""
        if self.sort_column is None:
            return ""
        return f"sorted by {self.columns[self.sort_column].label} {SORT_MARK[self.sort_reverse]}"

    def shown_count(self) -> int:
        """The number of rows on show (after the filter)."""
        order = self._current_order()
        return self.row_count() if order is None else len(order)

    def shown_key(self, index: int) -> Hashable:
        """The key of shown row `index`. Raises IndexError past the end."""
        order = self._current_order()
        return self.row_key(index) if order is None else order[index]

    def shown_index(self, key: Hashable) -> int | None:
        """The shown row of `key`, or None when it is not on show."""
        order = self._current_order()
        return self.index_of(key) if order is None else self._order_index.get(key)

    def shown_keys(self) -> list[Hashable]:
        """Every shown key in order (for tests and small tables)."""
        return [self.shown_key(i) for i in range(self.shown_count())]

    def keys_on_show(self) -> list[Hashable]:
        """The keys of the rows on screen now, top to bottom: what a `view_marker` needs to
        watch (a marker over every row costs as many rows as the model has)."""
        return [self.shown_key(index) for index in
                range(self.top, min(self.shown_count(), self.top + self.page_rows))]

    def position(self) -> str:
        """The cursor's place among the shown rows, `123/648` (`0/0` with none)."""
        count = self.shown_count()
        return f"{min(self.cursor, count - 1) + 1}/{count}" if count else "0/0"

    def matching(self, key: Hashable) -> bool:
        """Whether the row `key` matches the search (the last filter; every row without one)."""
        if not self.search.text:
            return True
        self._ensure_layout()
        shown = [i for i, _x, _w in self._layout]
        return self.search.matches(RowTexts(self, key), shown)

    def layout_columns(self) -> list[tuple[int, int, int]]:
        """The columns on screen at this width: (column index, x, width) each."""
        self._ensure_layout()
        return list(self._layout)

    def _current_order(self) -> list[Hashable] | None:
        if self.sort_column is None and not self.query.text:
            self._order = self._order_job = None
            self._plain_rows_shown = True
            return None
        self._ensure_layout()
        marker = (self.rows_marker(), self._layout_width, self.sort_column, self.sort_reverse,
                  self.query)
        values = self.values_marker()
        due = values != self._order_values and time.monotonic() >= self._order_due
        if self._order is None or marker != self._order_marker:
            if self._slices_order() and self._may_keep_showing(marker):
                # a new filter or sort typed on a big table: the rows shown stay until it is ready
                if self._order_job is None or self._order_job_marker != marker:
                    self._start_order_job(values, marker)
                return self._order
            self._order_job = None
        elif not due or self._order_job is not None:
            return self._order
        elif self._slices_order():
            self._start_order_job(values, marker)
            return self._order
        started = time.monotonic()
        self._order_marker, self._order_values = marker, values
        self._plain_rows_shown = False
        self._set_order(self._compute_order(), time.monotonic() - started)
        return self._order

    def _set_order(self, order: list[Hashable], cost: float) -> None:
        """Show `order`, which took `cost` real seconds: the next one for changed values is due
        ORDER_COST_FACTOR times that later."""
        self._order = order
        self._order_index = {key: i for i, key in enumerate(order)}
        self._order_due = time.monotonic() + ORDER_COST_FACTOR * cost

    def _slices_order(self) -> bool:
        """Whether a changed order is worked out in slices: a big table in a running app."""
        return self.is_mounted and self.app.is_running and \
            self.row_count() >= self.order_slice_rows

    def _may_keep_showing(self, marker: tuple) -> bool:
        """Whether the rows on show may stay while the order for `marker` is worked out: they
        are the subclass's own rows, or an order of the same rows at the same width (only the
        filter or the sort changed; another node followed is shown at once)."""
        if self._order is None:
            return self._plain_rows_shown
        shown = self._order_marker
        return isinstance(shown, tuple) and shown[:2] == marker[:2]

    def _start_order_job(self, values: object, marker: tuple) -> None:
        self._order_job = self.order_slices()
        self._order_job_values = values
        self._order_job_marker = marker
        self._order_job_cost = 0.0
        if not self._order_work_queued:  # one turn queued at a time, whichever job it works on
            self._queue_order_work()

    def _queue_order_work(self) -> None:
        """Queue a turn of `_work_on_order` behind whatever the event loop has ready (a key, a
        frame). Not `call_later` straight away: Textual takes a message already in the table's
        queue without letting the loop turn, so posted slices would run back to back and hold
        the whole console until the order is complete."""
        self._order_work_queued = True
        asyncio.get_running_loop().call_soon(self.call_later, self._work_on_order)

    def _work_on_order(self) -> None:
        """ORDER_SLICE_S of work on the sliced order; then the rest at the next turn of the event
        loop, or, once it is complete, the new order shown."""
        self._order_work_queued = False
        job = self._order_job
        if job is None:  # replaced by an order worked out at once
            return
        started = time.monotonic()
        try:
            while True:  # a step at least, then steps while the slice lasts
                next(job)
                if time.monotonic() - started >= ORDER_SLICE_S:
                    break
        except StopIteration as done:
            self._order_job = None
            self._order_values = self._order_job_values
            self._order_marker = self._order_job_marker
            self._plain_rows_shown = False
            self._set_order(done.value, self._order_job_cost + time.monotonic() - started)
            self.refresh_rows()
            return
        self._order_job_cost += time.monotonic() - started
        self._queue_order_work()

    def order_slices(self) -> Generator[None, None, list[Hashable]]:
        """The order `_compute_order` gives, worked out by `sliced_order` (a generator that
        yields between slices of work and returns the order)."""
        keys, keep = self.all_keys(), None
        if type(self).filtered_keys is not KeyedTable.filtered_keys:  # the subclass's own way
            keys = self.filtered_keys()
        elif self.query.text:
            shown = [i for i, _x, _w in self._layout]
            query = self.query

            def keep(key: Hashable) -> bool:
                return query.matches(RowTexts(self, key), shown)

        value = None if self.sort_column is None else self._sort_value(self.sort_column)
        return sliced_order(keys, keep, value, self.sort_reverse)

    def _sort_value(self, index: int) -> Callable[[Hashable], Any]:
        """Row by row, the value `_compute_order` sorts column `index` by."""
        sort = self.columns[index].sort
        if sort is None:
            return lambda key: natural(cell_text(self.row_cells(key)[index]))
        return lambda key: _comparable(sort(self, key))

    def filtered_keys(self) -> list[Hashable]:
        """The keys matching the query, in the subclass's order (all of them without one). A table
        whose rows only ever grow at one end may override this to filter only the new ones."""
        keys = self.all_keys()
        if not self.query.text:
            return keys
        shown = [i for i, _x, _w in self._layout]
        query = self.query
        return [k for k in keys if query.matches(RowTexts(self, k), shown)]

    def sorting_live(self) -> bool:
        """Whether the table is sorted by a column whose values change with the clock alone."""
        return self.sort_column is not None and self.columns[self.sort_column].live

    def _compute_order(self) -> list[Hashable]:
        keys = self.filtered_keys()
        if self.sort_column is not None:
            column = self.columns[self.sort_column]
            sort = column.sort
            if column.sort_all is not None:
                every = column.sort_all(self)
                if None not in every.values():  # plain values: sorted as they are, no wrapping
                    keys.sort(key=every.__getitem__, reverse=self.sort_reverse)
                    return keys
                values = {k: _comparable(every[k]) for k in keys}
            elif sort is None:
                index = self.sort_column
                values = {k: natural(cell_text(self.row_cells(k)[index])) for k in keys}
            else:
                values = {k: _comparable(sort(self, k)) for k in keys}
            # A stable sort: ties keep the subclass's order (by name), in both directions.
            keys.sort(key=values.__getitem__, reverse=self.sort_reverse)
        return keys

    # -- geometry -------------------------------------------------------------------------------

    @property
    def page_rows(self) -> int:
        """Rows that fit on screen under the header line."""
        return max(0, self.size.height - 1)

    def set_width(self, column: int, width: int) -> None:
        """Resize one column for this table (e.g. to the longest name in the cluster)."""
        columns = list(self.columns)
        if columns[column].width != width:
            columns[column] = replace(columns[column], width=width)
            self.columns = tuple(columns)  # type: ignore[misc]
            self._layout_width = -1
            self._stale = True
            self.refresh()

    def width_of(self, column: int) -> int:
        """The width the column has on screen now (0 when hidden at this width)."""
        self._ensure_layout()
        for index, _x, width in self._layout:
            if index == column:
                return width
        return 0

    def _ensure_layout(self) -> None:
        """Which columns show at this width and how wide: each column as wide as the values it
        showed (`_measure`, `Column.fit`) and at least its own width; while that does not fit, the
        column with the highest drop priority goes (values are dropped whole rather than cut; an
        elastic column counts at its own width there); then the elastic columns give up what
        they still lack, the widest first (`_narrow_flex`); the flex columns share what is
        left. Only the priority-0 columns are ever cut, when nothing else can go."""
        if self._layout_width >= 0:  # on_resize and set_width forget it
            return
        width = self.size.width
        self._layout_width = width
        shown = list(range(len(self.columns)))
        wants = {i: max(self.columns[i].width, self._wants.get(i, 0)) for i in shown}

        def needed(cols: list[int]) -> int:
            return sum(wants[i] for i in cols) + max(0, len(cols) - 1)

        def least(cols: list[int]) -> int:  # the elastic columns at their own width
            return needed(cols) - sum(wants[i] - self.columns[i].width for i in cols
                                      if self._elastic(i))

        while len(shown) > 1 and least(shown) > width:
            drop = max(shown, key=lambda i: (self.columns[i].priority, i))
            if self.columns[drop].priority == 0:
                break
            shown.remove(drop)
        self._narrow_flex(shown, wants, needed(shown) - width)
        spare = max(0, width - needed(shown))
        flex = [i for i in shown if self.columns[i].flex]
        share = spare // len(flex) if flex else 0
        layout = []
        x = 0
        for i in shown:
            w = wants[i]
            if i in flex:
                w += share + (spare - share * len(flex) if i == flex[-1] else 0)
            w = max(0, min(w, width - x))
            layout.append((i, x, w))
            x += w + 1
        self._layout = tuple(layout)

    def _elastic(self, column: int) -> bool:
        """Whether `column` gives up width before anything is cut: a flex column that is never
        dropped (priority 0), such as a reason or an expectation."""
        spec = self.columns[column]
        return spec.flex and spec.priority == 0

    def _narrow_flex(self, shown: list[int], wants: dict[int, int], excess: int) -> None:
        """Take `excess` cells from the elastic columns in `shown` (in `wants`, in place), the
        widest first and none below its own width, so that a long message is cut rather than
        the short values beside it (a move, a state)."""
        flex = [i for i in shown if self._elastic(i)]
        while excess > 0 and flex:
            widest = max(flex, key=lambda i: wants[i] - self.columns[i].width)
            room = wants[widest] - self.columns[widest].width
            if room <= 0:
                return
            others = [wants[i] - self.columns[i].width for i in flex if i != widest]
            take = min(excess, room - max([0, *others]) or 1)
            wants[widest] -= take
            excess -= take

    def on_resize(self) -> None:
        """Lay the columns out and draw the rows again for the new size, the cursor kept on
        screen: clamped to the rows on show now (the count of the last drawing may be none
        yet: the table may not have been drawn before its first size comes)."""
        self._layout_width = -1
        self._stale = True
        self._count = self.shown_count()
        self._clamp()
        self.refresh()

    def notify_style_update(self) -> None:
        """Textual's hook on a style change (a theme switch): forget the cached cell styles."""
        super().notify_style_update()
        self._styles.clear()
        self._strips.clear()
        self._base_style = None

    def on_show(self) -> None:
        self._stale = True
        self.refresh()

    # -- updating -------------------------------------------------------------------------------

    def refresh_rows(self, force: bool = False) -> None:
        """Compare the visible lines with what they showed; repaint only what changed."""
        if not self.is_mounted or not self.display or self.size.height == 0:
            self._stale = True
            return
        self._ensure_layout()
        self._count = self.shown_count()
        self._follow_cursor_key()
        previous_top = self.top
        self._clamp()
        rows = self.page_rows
        if force or self._stale or self.top != previous_top or len(self._shown) != rows:
            self._shown = [None] * rows
            self._stale = False
            self._compute_all()
            self.refresh()
            self._announce()
            return
        changed = False
        for line in range(rows):
            index = self.top + line
            new = self._entry(index)
            old = self._shown[line]
            self._shown[line] = new
            if old == new:
                continue
            changed = True
            if old is None or new is None or old[0] != new[0]:
                self.refresh(Region(0, line + 1, self.size.width, 1))
                continue
            old_cells, new_cells = old[1], new[1]
            for column, x, width in self._layout:
                before = old_cells[column] if column < len(old_cells) else ""
                after = new_cells[column] if column < len(new_cells) else ""
                if before != after:
                    self.refresh(Region(x, line + 1, width, 1))
        if changed and self._measure():  # a value grew past its column: lay out, draw all again
            self._compute_all()
            self.refresh()
        self._announce()

    def _entry(self, index: int) -> tuple[Hashable, Cells] | None:
        if index >= self._count:
            return None
        key = self.shown_key(index)
        return key, self.row_cells(key)

    def _compute_all(self) -> None:
        for _attempt in range(3):  # a column that grew to fit its values changes the meters
            for line in range(len(self._shown)):
                self._shown[line] = self._entry(self.top + line)
            if not self._measure():
                return

    def _measure(self) -> bool:
        """Note the width the values on screen ask for in the fixed columns; True when one grew
        (the layout is then recomputed)."""
        grew = False
        for column, spec in enumerate(self.columns):
            if not spec.fit:
                continue
            want = self._wants.get(column, max(spec.width, cell_len(spec.label)))
            for entry in self._shown:
                if entry is not None and column < len(entry[1]):
                    want = max(want, cell_len(cell_text(entry[1][column])))
            if want != self._wants.get(column):
                grew = grew or want > self._wants.get(column, spec.width)
                self._wants[column] = want
        if grew:
            self._layout_width = -1
            self._ensure_layout()
        return grew

    def _follow_cursor_key(self) -> None:
        if self.cursor_key is None or self._count == 0:
            return
        if self.stick_to_top and self.cursor == 0:
            return
        if self.cursor < self._count and self.shown_key(self.cursor) == self.cursor_key:
            return
        found = self.shown_index(self.cursor_key)
        if found is not None:
            self.cursor = found

    def _clamp(self) -> None:
        count = self._count
        self.cursor = max(0, min(self.cursor, count - 1)) if count else 0
        rows = self.page_rows
        if rows <= 0:
            return
        if self.cursor < self.top:
            self.top = self.cursor
        elif self.cursor >= self.top + rows:
            self.top = self.cursor - rows + 1
        self.top = max(0, min(self.top, max(0, count - rows)))

    def _announce(self) -> None:
        key = self.shown_key(self.cursor) if self._count else None
        self.cursor_key = key
        if key != self._announced:
            self._announced = key
            message = self.Highlighted(self, key)
            if self.follower is not None:
                self.follower(message)
                message.followed = True
            self.post_message(message)

    def move_cursor_to_key(self, key: Hashable) -> bool:
        """Put the cursor on the row keyed `key`; False (cursor unmoved) when no row has it."""
        self._count = self.shown_count()
        found = self.shown_index(key)
        if found is None:
            return False
        self._set_cursor(found)
        return True

    def _set_cursor(self, index: int) -> None:
        self._count = self.shown_count()
        old_line = self.cursor - self.top
        self.cursor = index
        self.cursor_key = None
        old_top = self.top
        self._clamp()
        if self._count:
            self.cursor_key = self.shown_key(self.cursor)
        if self.top != old_top or self._stale:
            self._stale = True
            self.refresh_rows()
            return
        for line in {old_line, self.cursor - self.top}:
            self.refresh(Region(0, line + 1, self.size.width, 1))
        self._announce()

    # -- actions --------------------------------------------------------------------------------

    def action_cursor(self, delta: int) -> None:
        self._set_cursor(self.cursor + delta)

    def action_page(self, direction: int) -> None:
        self._set_cursor(self.cursor + direction * max(1, self.page_rows - 1))

    def action_first(self) -> None:
        self._set_cursor(0)

    def action_last(self) -> None:
        self._set_cursor(max(0, self.shown_count() - 1))

    def action_select(self) -> None:
        if self.shown_count():
            self.post_message(self.Selected(self, self.shown_key(self.cursor)))

    def next_match(self, direction: int) -> bool:
        """Move the cursor to the next (1) or previous (-1) row matching the search, wrapping
        round; False (unmoved) when there is no search or no other match."""
        if not self.search.text:
            return False
        count = self.shown_count()
        for step in range(1, count):
            index = (self.cursor + direction * step) % count
            if self.matching(self.shown_key(index)):
                self._set_cursor(index)
                return True
        return False

    def on_focus(self) -> None:
        self.refresh(Region(0, self.cursor - self.top + 1, self.size.width, 1))

    def on_blur(self) -> None:
        self.refresh(Region(0, self.cursor - self.top + 1, self.size.width, 1))

    # -- rendering ------------------------------------------------------------------------------

    def _style(self, name: str) -> Style:
        style = self._styles.get(name)
        if style is None:
            style = foreground_style(self.get_component_rich_style(f"keyed-table--{name}"),
                                     keep_background=name == "cursor")
            self._styles[name] = style
        return style

    def render_line(self, y: int) -> Strip:
        self._ensure_layout()
        if self._stale or len(self._shown) != self.page_rows:  # drawn at a new height first:
            # the rows it shows now, not blanks below the old height until its resize event;
            # before any line, the header too: their values may change the columns' layout
            self._count = self.shown_count()
            self._clamp()
            self._shown = [None] * self.page_rows
            self._stale = False
            self._compute_all()
        width = self.size.width
        base = self._base_style
        if base is None:  # walks every ancestor's styles: once per style change, not per line
            base = self._base_style = self.rich_style
        if y == 0:
            header = self._style("header")
            return self._strip(self._header_cells(), base + header, width)
        line = y - 1
        entry = self._shown[line] if line < len(self._shown) else None
        if entry is None and line < len(self._shown):
            entry = self._shown[line] = self._entry(self.top + line)
        if entry is None:
            if line == 0 and self._count == 0:
                empty = self.empty_text
                if self.query.error:
                    empty = self.query.error
                elif self.query.text and empty == type(self).empty_text:
                    empty = f"nothing matches {self.query.text!r}"
                text = set_cell_size(f" {empty}", width)
                return Strip([Segment(text, base + self._style("empty"))], width)
            return Strip.blank(width, base)
        style = base
        if self.top + line == self.cursor:
            style = base + self._style("cursor")
        return self._strip(entry[1], style, width)

    def _header_cells(self) -> Cells:
        cells: list[Cell] = [c.label for c in self.columns]
        if self.sort_column is not None:
            label = cells[self.sort_column]
            room = self.width_of(self.sort_column)
            mark = SORT_MARK[self.sort_reverse]
            cells[self.sort_column] = set_cell_size(str(label), max(0, room - 1)).rstrip() + mark
        return tuple(cells)

    def _strip(self, cells: Cells, style: Style, width: int) -> Strip:
        """The line drawing `cells` in `style`, `width` cells wide, in the columns' layout: the
        cached one when it was drawn before (see the module)."""
        key = (cells, style, width, self._layout, glyph("more"))
        strip = self._strips.get(key)
        if strip is None:
            strip = self._strips[key] = self._draw(cells, style, width)
        return strip

    def _draw(self, cells: Cells, style: Style, width: int) -> Strip:
        segments: list[Segment] = []
        x = 0
        for column, cx, cw in self._layout:
            if cx > x:
                segments.append(Segment(" " * (cx - x), style))
                x = cx
            if cw <= 0:
                continue
            cell = cells[column] if column < len(cells) else ""
            segments.extend(self._cell(cell, cw, self.columns[column].align, style))
            x += cw
        if x < width:
            segments.append(Segment(" " * (width - x), style))
        # One escape sequence per run of one style: a partial update re-sends a line from the
        # widget's left edge to the changed cell (textual's ChopsUpdate), so fewer is cheaper.
        return Strip(Segment.simplify(segments), width)

    def _cell(self, cell: Cell, width: int, align: str, style: Style) -> list[Segment]:
        if isinstance(cell, str):
            spans: Sequence[Span] = ((cell, ""),)
        elif len(cell) == 2 and isinstance(cell[0], str):
            spans = (cell,)  # type: ignore[assignment]
        else:
            spans = cell  # type: ignore[assignment]
        total = sum(cell_len(text) for text, _ in spans)
        segments: list[Segment] = []
        if total > width:
            # Truncate: keep the spans up to the width, the last character an ellipsis.
            room = width
            for text, name in spans:
                if room <= 0:
                    break
                size = cell_len(text)
                if size > room:
                    text = set_cell_size(text, room - 1) + glyph("more") if room > 1 \
                        else glyph("more")
                    size = room
                segments.append(Segment(text, style + self._style(name) if name else style))
                room -= size
            return segments
        pad = width - total
        if align == "right" and pad:
            segments.append(Segment(" " * pad, style))
        for text, name in spans:
            segments.append(Segment(text, style + self._style(name) if name else style))
        if align != "right" and pad:
            segments.append(Segment(" " * pad, style))
        return segments


def foreground_style(full: Style, keep_background: bool = False) -> Style:
    """A component's style with its colours blended (alpha colours such as $text-muted resolve
    against the background), minus the background unless asked: it overlays a row's style."""
    if keep_background:
        return full
    return Style(color=full.color, bold=full.bold, dim=full.dim, italic=full.italic,
                 underline=full.underline, reverse=full.reverse, strike=full.strike)


def percent(fraction: float | None) -> int | None:
    """A fraction as the whole percent a `meter` shows (None stays None): what a column of
    meters sorts by, so that rows showing the same figure keep the list's own order."""
    return None if fraction is None else max(0, round(fraction * 100))


def meter(fraction: float | None, width: int = 6) -> tuple[Span, ...]:
    """A bar and a percentage, e.g. `███░░░  52%`; its style warns past 80 % and 95 %.
    `width` is the whole cell: the bar takes what the percentage leaves. None (no current
    figure: a real host that does not answer) is an empty bar and `-`."""
    width = max(0, width - 5)
    if fraction is None:
        return ((glyph("bar-empty") * width, "dim-bar"), (f"{'-':>5}", "muted"))
    shown = percent(fraction) or 0  # never None here: `fraction` is a number
    filled = min(width, round(min(fraction, 1.0) * width))
    name = "error" if shown >= 95 else "warn" if shown >= 80 else "bar"
    return ((glyph("bar") * filled, name), (glyph("bar-empty") * (width - filled), "dim-bar"),
            (f"{shown:>4}%", ""))


def sparkline(values: Sequence[float | None]) -> str:
    """Values 0-1 as block characters: 0 (none used) alone as the lowest block, anything above
    it in the seven higher ones (a value past 1 as a full block); None (nothing recorded) as a
    space."""
    spark = glyph("spark")
    return "".join(" " if v is None else spark[0] if v <= 0 else spark[1 + min(6, int(v * 7))]
                   for v in values)


class RowTexts(Sequence[str]):
    """The plain texts of a row's cells, read when asked: `quick_text` where the table has it,
    else all of `row_cells` once."""

    def __init__(self, table: KeyedTable, key: Hashable) -> None:
        self.table = table
        self.key = key
        self._cells: Cells | None = None

    def __len__(self) -> int:
        return len(self.table.columns)

    def __getitem__(self, column):  # type: ignore[override]
        text = self.table.quick_text(self.key, column)
        if text is not None:
            return text
        if self._cells is None:
            self._cells = self.table.row_cells(self.key)
        return cell_text(self._cells[column]) if column < len(self._cells) else ""


def cell_text(cell: Cell) -> str:
    """A cell's plain text (its spans joined)."""
    if isinstance(cell, str):
        return cell
    if len(cell) == 2 and isinstance(cell[0], str):
        return cell[0]  # type: ignore[return-value]
    return "".join(text for text, _ in cell)  # type: ignore[misc]


_DIGITS = re.compile(r"(\d+(?:\.\d+)?)")


def natural(text: str) -> tuple[tuple[int, float, str], ...]:
    """A sort value for text in natural order: `web2` before `web10`, `9%` before `10%`."""
    parts = _DIGITS.split(text.lower())
    return tuple((0, float(part), "") if n % 2 else (1, 0.0, part)
                 for n, part in enumerate(parts) if part)


def _comparable(value: Any) -> tuple[bool, Any]:
    """None sorts after every value (and is never compared with one)."""
    return (value is None, value if value is not None else 0)
