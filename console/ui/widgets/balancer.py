"""The Balancer pane: what the balancer's last pass did and proposes. Its recommendations that
can still be applied (enter applies the selected one, `b` runs a pass and applies it), then the
moves the last pass applied (moving, done), each with its reason and projected imbalance. An
applied or impossible recommendation is not offered; enter on a row gone stale since says why
and shows the pane afresh."""

from __future__ import annotations

from collections.abc import Hashable

from console.model import views
from console.model.balancer import Recommendation
from console.ui.widgets.base import ModelTable
from console.ui.widgets.keyed_table import Cells, Column

#: Row kinds (the third part of a row's key).
RECOMMENDED, APPLIED = "recommended", "applied"


class BalancerTable(ModelTable):
    """The balancer pane's table: one row per live recommendation, then one per move the last
    pass applied (VM, source→target, projected imbalance after it, status, reason), keyed by
    (VM, target, kind)."""

    columns = (
        Column("VM", 10),
        Column("Move", 9),
        Column("After", 6, "right"),
        Column("Status", 11),
        Column("Reason", 20, flex=True),
    )

    @property
    def empty_text(self) -> str:  # type: ignore[override]
        """What the pane says with nothing to list: the last pass (when, why) and that b runs
        one."""
        last = views.balancer_last_pass(self.engine)
        when = "never run" if last is None else f"last pass {last.when()}, {last.why}"
        return f"no moves to make ({when}); b runs the balancer now"

    def summary(self) -> str:
        """The last pass in words: `pass at 900 s (operator's rebalance): 2 applied, 0 more
        recommended` (`pass over 880-900 s` when its loads were summed ahead, as a periodic
        pass's are), or `no pass yet`."""
        last = views.balancer_last_pass(self.engine)
        if last is None:
            return "no pass yet"
        live = len(views.live_recommendations(self.engine))
        return (f"pass {last.when()} ({last.why}): {len(last.applied)} applied, "
                f"{live} recommended")

    def view_marker(self) -> Hashable:
        """The log's length (a move's status changes with an event) and the last pass (its
        recommendations and moves)."""
        return (len(self.engine.log), views.balancer_last_pass(self.engine))

    def _rows(self) -> list[tuple[Recommendation, str]]:
        live = [(r, RECOMMENDED) for r in views.live_recommendations(self.engine)]
        last = views.balancer_last_pass(self.engine)
        applied = [(r, APPLIED) for r in last.applied] if last is not None else []
        return live + applied

    def row_count(self) -> int:
        """The number of rows now."""
        return len(self._rows())

    def row_key(self, index: int) -> Hashable:
        """(VM, target, kind) of row `index`."""
        r, kind = self._rows()[index]
        return (r.vm, r.target, kind)

    def index_of(self, key: Hashable) -> int | None:
        """The row keyed (VM, target, kind), or None when it is gone."""
        for i, (r, kind) in enumerate(self._rows()):
            if (r.vm, r.target, kind) == key:
                return i
        return None

    def recommendation(self, key: Hashable) -> Recommendation | None:
        """The live recommendation keyed (VM, target, recommended), or None when it is not one
        (an applied move) or is gone."""
        for r, kind in self._rows():
            if kind == RECOMMENDED and (r.vm, r.target, kind) == key:
                return r
        return None

    def stale(self, key: Hashable) -> str:
        """Why the row keyed `key` cannot be applied: an applied move, or a recommendation the
        model would refuse now (its reason)."""
        vm, target, kind = key  # type: ignore[misc]
        if kind == APPLIED:
            return f"{vm} → {target} was applied by the balancer's last pass"
        machine = views.vms(self.engine).get(vm)
        node = views.nodes(self.engine).get(target)
        if machine is None or node is None:
            return f"{vm} → {target} no longer exists"
        reason = self.engine.migrations.refusal(machine, node)
        return f"{vm} → {target} is no longer possible: {reason or 'already moved'}"

    def row_cells(self, key: Hashable) -> Cells:
        """VM, `SOURCE→TARGET`, projected imbalance (3 decimals), status and reason; the key
        alone when the row is gone."""
        vm, target, kind = key  # type: ignore[misc]
        found = next((r for r, k in self._rows() if (r.vm, r.target, k) == key), None)
        if found is None:
            return (str(vm),)
        status = ("recommended", "ok")
        if kind == APPLIED:
            machine = views.vms(self.engine).get(vm)
            moving = views.is_moving(self.engine, vm)
            done = machine is not None and machine.host == target and not moving
            status = ("moving", "warn") if moving else ("done", "muted") if done else (
                "applied", "muted")
        return (found.vm, f"{found.source}→{found.target}",
                f"{found.projected_imbalance:.3f}", status, found.reason)
