"""The Migrations pane: running live migrations with progress, round, memory left and ETA, then
the queued ones."""

from __future__ import annotations

from collections.abc import Hashable

from console.model import views
from console.ui.widgets.base import ModelTable
from console.ui.widgets.keyed_table import Cells, Column

QUEUED = "queued: host limit"


def progress_bar(fraction: float, width: int) -> tuple[tuple[str, str], ...]:
    """A bar `width` cells wide as spans: filled and empty cells for `fraction` (0-1), then the
    percentage in 5 cells."""
    width = max(1, width - 5)
    filled = min(width, int(fraction * width))
    return (("█" * filled, "bar"), ("░" * (width - filled), "dim-bar"),
            (f"{fraction:5.0%}", ""))


def _view(table: MigrationsTable, key: Hashable, field: str) -> object:
    table._rows()
    found = table._views.get(key)  # type: ignore[arg-type]
    return None if found is None else getattr(found, field)


class MigrationsTable(ModelTable):
    """The migrations pane's table: running migrations then queued ones (`views.migrations`), keyed
    by VM, read again when the clock moved or the log grew."""

    columns = (
        Column("VM", 10, sort=lambda t, k: k, alias="name"),
        Column("Move", 9, priority=1),
        Column("Progress", 12, flex=True, fit=False, sort=lambda t, k: _view(t, k, "progress"),
               biggest_first=True, live=True),
        Column("Rnd", 3, "right", priority=2, sort=lambda t, k: _view(t, k, "round"),
               live=True),
        Column("Left", 7, "right", priority=3, sort=lambda t, k: _view(t, k, "remaining_mb"),
               biggest_first=True, live=True),
        Column("ETA", 5, "right", sort=lambda t, k: _view(t, k, "eta_s"), live=True),
    )
    empty_text = "no migrations"

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._views: dict[str, views.MigrationView] = {}
        self._vm_order: list[str] = []
        self._at: tuple[float, int] | None = None  # (simulated time, log length) shown

    def _rows(self) -> list[str]:
        engine = self.engine
        marker = (engine.now, len(engine.log))
        if marker != self._at:
            self._at = marker
            found = views.migrations(engine)
            self._views = {m.vm: m for m in found}
            self._vm_order = [m.vm for m in found]
        return self._vm_order

    def values_marker(self) -> Hashable:
        """The clock and the log: progress moves with the clock."""
        return (self.engine.now, len(self.engine.log))

    def view_marker(self) -> Hashable:
        """The log's length with no migration running or queued (one starts with an event);
        with some, the clock too (progress moves with it)."""
        engine = self.engine
        if views.migration_counts(engine) == (0, 0):
            return len(engine.log)
        return (len(engine.log), engine.now)

    def row_count(self) -> int:
        """The number of running and queued migrations."""
        return len(self._rows())

    def row_key(self, index: int) -> Hashable:
        """The VM of migration `index`."""
        return self._rows()[index]

    def row_cells(self, key: Hashable) -> Cells:
        """VM, `SOURCE→TARGET`, progress bar (or switchover, or queued), pre-copy round, MB left in
        the round and ETA in seconds."""
        self._rows()
        m = self._views.get(key)  # type: ignore[arg-type]
        if m is None:
            return (str(key),)
        move = f"{m.source}→{m.target}"
        if m.queued:
            queued = QUEUED if len(QUEUED) <= self.width_of(2) else "queued"
            return (m.vm, move, (queued, "muted"), "", f"{m.remaining_mb:.0f}M", "")
        eta = "-" if m.eta_s is None else f"{m.eta_s:.0f}s"
        bar = progress_bar(m.progress, self.width_of(2))
        if m.switchover:
            bar = (("switchover (stop-and-copy)", "accent"),)
        return (m.vm, move, bar, str(m.round), f"{m.remaining_mb:.0f}M", eta)
