"""The Balancer pane: the balancer's recommendations with their reason and projected imbalance;
enter applies the selected one (`b` applies them all)."""

from __future__ import annotations

from collections.abc import Hashable

from console.model import views
from console.ui.widgets.base import ModelTable
from console.ui.widgets.keyed_table import Cells, Column


class BalancerTable(ModelTable):
    """The balancer pane's table: one row per recommendation (VM, source→target, projected imbalance
    after it, reason), keyed by (VM, target)."""

    columns = (
        Column("VM", 10),
        Column("Move", 9),
        Column("After", 6, "right"),
        Column("Reason", 20, flex=True),
    )

    @property
    def empty_text(self) -> str:  # type: ignore[override]
        """What the pane says without recommendations: when the balancer last ran, and that b runs
        it."""
        last_run = views.balancer_last_run(self.engine)
        when = "never run" if last_run is None else f"last pass at {last_run:.0f} s"
        return f"no recommendations ({when}); b runs the balancer now"

    def row_count(self) -> int:
        """The number of recommendations now."""
        return len(views.recommendations(self.engine))

    def row_key(self, index: int) -> Hashable:
        """(VM, target) of recommendation `index`."""
        r = views.recommendations(self.engine)[index]
        return (r.vm, r.target)

    def index_of(self, key: Hashable) -> int | None:
        """The row of recommendation (VM, target), or None when it is gone."""
        for i, r in enumerate(views.recommendations(self.engine)):
            if (r.vm, r.target) == key:
                return i
        return None

    def recommendation(self, key: Hashable):
        """The recommendation keyed (VM, target), or None when it is gone."""
        for r in views.recommendations(self.engine):
            if (r.vm, r.target) == key:
                return r
        return None

    def row_cells(self, key: Hashable) -> Cells:
        """VM, `SOURCE→TARGET`, projected imbalance (3 decimals) and reason; the key alone when the
        recommendation is gone."""
        r = self.recommendation(key)
        if r is None:
            return (str(key),)
        return (r.vm, f"{r.source}→{r.target}", f"{r.projected_imbalance:.3f}", r.reason)
