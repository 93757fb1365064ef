"""What the operator has selected on the main screen (the focused pane and the row under its
cursor), read from the screen and put back on one: a recording keeps it (`select` lines, so
that a replay and `replay --svg` show what the presenter had selected), and a replay that
rebuilt its screen restores it.

A selection is written `PANE ROW`: the pane's name (`nodes`, `vms`, ... `drill`) and the row's
key as text (`sql01`; a balancer move `web01/C`; an event its number in the log), or `PANE`
alone for a pane with no row.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import TYPE_CHECKING

from console.ui.widgets.keyed_table import KeyedTable

if TYPE_CHECKING:
    from textual.screen import Screen

#: The main screen's tables by pane name (the drill panel's too, when there is one).
PANE_TABLES = {"nodes": "nodes-table", "vms": "vms-table", "heartbeats": "heartbeats-table",
               "services": "services-table", "migrations": "migrations-table",
               "events": "events-table", "balancer": "balancer-table",
               "images": "images-table", "drill": "drill-table"}
#: The longest row key a selection keeps, in characters (a mark's label is longer).
MAX_ROW = 120


def key_text(key: Hashable) -> str:
    """A row key as a selection writes it: a tuple's parts joined by `/`."""
    if isinstance(key, tuple):
        return "/".join(str(part) for part in key)
    return str(key)


def read(screen: Screen) -> str | None:
    """The selection on `screen`: `PANE ROW` (or `PANE`, for an empty table) for the table the
    operator is on (the focused one; while a bar is open, the one it returns to:
    `operator_focus`), None when no pane's table has it or its cursor is not placed yet."""
    focus = getattr(screen, "operator_focus", None)
    focused = focus() if focus is not None else screen.focused
    if not isinstance(focused, KeyedTable):
        return None
    pane = next((name for name, table_id in PANE_TABLES.items() if focused.id == table_id),
                None)
    if pane is None:
        return None
    key = focused.cursor_key
    if key is None:
        return None if focused.row_count() else pane
    row = key_text(key)
    if len(row) > MAX_ROW or not row.isprintable() or " " in row:
        return pane
    return f"{pane} {row}"


def apply(screen: Screen, selection: str, focus: object) -> bool:
    """Put `selection` (as `read` writes it) on `screen`: `focus(pane)` focuses the pane (the
    screen's own way: the lower panes switch), then the cursor goes to the row and the screen
    hears of it at once (a node's row scopes the VMs pane). False when the screen has no such
    pane or row (nothing, or only the focus, changed)."""
    pane, _, row = selection.partition(" ")
    table_id = PANE_TABLES.get(pane)
    if table_id is None:
        return False
    tables = screen.query(f"#{table_id}")
    if not tables:
        return False
    focus(pane)  # type: ignore[operator]
    table = tables.first(KeyedTable)
    if not row:
        return True
    found = table.index_of(row)
    if found is None:
        found = next((i for i in range(table.row_count())
                      if key_text(table.row_key(i)) == row), None)
    if found is None:
        return False
    key = table.row_key(found)
    table.move_cursor_to_key(key)
    heard = getattr(screen, "on_keyed_table_highlighted", None)
    if heard is not None:  # at once, not when the message arrives: a selection played right
        heard(KeyedTable.Highlighted(table, key))  # after this one (a VM of this node) needs it
    return True
