"""The VMs pane: the selected node's VMs, or all of them; sortable and filterable with `/`.

Rows come from a cached list of names, rebuilt only when the event log grew (every placement
change leaves an event) or the followed node changed; cells are computed only for the rows on
screen, so a 20,000-VM cluster costs what the visible forty rows cost. Sorting reads the model
directly, every VM in one pass (the columns' `sort_all`: `views.vm_cpu_all` for the CPU), not
the cells.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable

from console.model import views
from console.model.entities import Role, Vm
from console.ui import vm_values
from console.ui.actions import PAUSED
from console.ui.glyphs import glyph
from console.ui.widgets.base import VM_STATE_STYLE, ModelTable, Pane, duration
from console.ui.widgets.keyed_table import Cells, Column, meter, percent

ROLE_STYLE = {Role.ACTIVE: "ok", Role.STARTING: "warn", Role.PASSIVE: "muted",
              Role.OFFLINE: "error"}


def _vm(table: VmsTable, key: Hashable):
    return views.vms(table.engine)[key]  # type: ignore[index]


def _every(table: VmsTable, value: Callable[[Vm], object]) -> dict[str, object]:
    """`value(vm)` of every VM by name, in one pass (a column's `sort_all`)."""
    return {name: value(vm) for name, vm in views.vms(table.engine).items()}


def _state_label(vm) -> str:
    state = vm.state.value
    if state == PAUSED:  # suspended in memory: a mark of its own beside its colour
        return f"{glyph('paused')} {state}"
    return "pending" if state == "pending_restart" else state


def _cpu_percents(table: VmsTable) -> dict[str, int | None]:
    """Every VM's CPU as the whole percent its meter shows, in one pass (the CPU column's
    `sort_all`: rows showing the same figure keep the list's own order)."""
    return {name: percent(cpu) for name, cpu in views.vm_cpu_all(table.engine).items()}


#: Cells `quick_text` writes without `row_cells` (by column index; the HA column's needs the
#: engine: `quick_text` writes it).
QUICK_TEXT = {
    0: lambda vm: vm.name,
    1: _state_label,
    2: views.vm_where,
    3: lambda vm: str(vm.vcpus),
    4: lambda vm: f"{vm.memory_gb:g}G",
    9: lambda vm: "stale" if vm.stale_image else "",
}
#: The HA column's index.
HA_COLUMN = 7


class VmsTable(ModelTable):
    """The VMs pane's table: the selected node's VMs (arriving ones included) while `follow`, else
    all, by name (or a sort column) and keyed by it; `/` filters its columns."""

    sampled_figures = True  # CPU and uptime

    columns = (
        Column("VM", 11, sort=lambda t, k: k, alias="name"),
        Column("State", 10, sort=lambda t, k: _vm(t, k).state.value,
               sort_all=lambda t: _every(t, lambda vm: vm.state.value)),
        Column("Host", 9, sort=lambda t, k: views.vm_where(_vm(t, k)),
               sort_all=lambda t: _every(t, views.vm_where)),
        Column("vCPU", 4, "right", priority=3, sort=lambda t, k: _vm(t, k).vcpus,
               biggest_first=True, sort_all=lambda t: _every(t, lambda vm: vm.vcpus)),
        Column("Mem", 5, "right", priority=3, sort=lambda t, k: _vm(t, k).memory_gb,
               biggest_first=True, sort_all=lambda t: _every(t, lambda vm: vm.memory_gb)),
        Column("CPU", 8, priority=1, fit=False,
               sort=lambda t, k: percent(views.vm_cpu(t.engine, _vm(t, k))),
               biggest_first=True, live=True, sort_all=_cpu_percents),
        Column("Uptime", 6, "right", priority=4,
               sort=lambda t, k: vm_values.uptime(t.engine, _vm(t, k)), biggest_first=True,
               live=True, sort_all=lambda t: vm_values.uptime_all(t.engine)),
        Column("HA", 6, priority=5,
               sort=lambda t, k: vm_values.ha_priority(t.engine, _vm(t, k))[0],
               sort_all=lambda t: vm_values.ha_priority_all(t.engine)),
        Column("Role", 10, priority=2, flex=True),
        Column("Img", 5, priority=6),
    )

    def on_mount(self) -> None:
        engine = self.engine
        self.fit_names(0, views.vms(engine), 6, 16)
        longest = max((len(n) for n in views.nodes(engine)), default=1)
        self.set_width(2, max(4, min(16, 2 * longest + 1)))

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.follow = True           # show the selected node's VMs only
        self.node: str | None = None
        self._names: list[str] = []
        self._index: dict[str, int] = {}
        self._key: tuple | None = None

    @property
    def empty_text(self) -> str:  # type: ignore[override]
        """What the pane says with no rows: no match for the filter, none on the node, or no VMs."""
        if self.query.error:
            return self.query.error
        if self.text_filter:
            return f"no VM matches {self.text_filter!r}"
        if self.follow and self.node:
            return f"no VMs on {self.node}"
        return "no VMs"

    def scope(self) -> str:
        """The pane's subtitle: `on NODE` or `all`, then `/FILTER` when one is set."""
        where = f"on {self.node}" if self.follow and self.node else "all"
        return where + (f" /{self.text_filter}" if self.text_filter else "")

    def _rows(self) -> list[str]:
        engine = self.engine
        vms = views.vms(engine)
        key = (len(engine.log), len(vms), self.rows_marker())
        if key != self._key:
            self._key = key
            nodes = views.nodes(engine)
            if self.follow and self.node in nodes:
                node = nodes[self.node]  # type: ignore[index]
                names = sorted(node.vms | views.arriving(engine, node.name))
            else:
                names = sorted(vms)
            self._names = names
            self._index = {n: i for i, n in enumerate(names)}
        return self._names

    def rows_marker(self) -> Hashable:
        """The node followed (or all): another one changes the rows at once. Showing all, the
        node selected does not matter (moving over the nodes keeps a 40,000-VM order)."""
        return (True, self.node) if self.follow else (False, None)

    def values_marker(self) -> Hashable:
        """The model's marker and the number of VMs."""
        return (super().values_marker(), len(views.vms(self.engine)))

    def view_marker(self) -> Hashable:
        """`views.sampled`: a VM's state, place, size, role and priority change with an event,
        its CPU and uptime with a sample (console.model.views.sampled_at); a second that
        brings neither computes no row."""
        return views.sampled(self.engine)

    def all_keys(self) -> list[Hashable]:
        """The VMs on the node (or all), by name."""
        return list(self._rows())

    def row_count(self) -> int:
        """The number of VMs on the node (or of all VMs), before the filter."""
        return len(self._rows())

    def row_key(self, index: int) -> Hashable:
        """The name of the VM on row `index`."""
        return self._rows()[index]

    def index_of(self, key: Hashable) -> int | None:
        """The row of VM `key` before the filter, or None when it is not on the node."""
        self._rows()
        return self._index.get(key)  # type: ignore[arg-type]

    def quick_text(self, key: Hashable, column: int) -> str | None:
        """The text of the name, state, host, vCPU, memory, HA and image columns straight from
        the VM (as `row_cells` writes them); None for the others."""
        if column == HA_COLUMN:
            return vm_values.ha_priority(self.engine, views.vms(self.engine)[key])[0]  # type: ignore[index]
        text = QUICK_TEXT.get(column)
        return None if text is None else text(views.vms(self.engine)[key])  # type: ignore[index]

    def row_cells(self, key: Hashable) -> Cells:
        """Name, state (with `?`, muted, where it is as last seen: its real host does not
        answer, views.vm_last_seen), where (`A→B` while migrating), vCPUs, memory in GB, CPU
        meter, uptime (`-` where its start was not seen: console.ui.vm_values), HA priority
        (`off` while the cluster's HA is), service role and `stale` for a VM on an old base
        image."""
        engine = self.engine
        vm = views.vms(engine)[key]  # type: ignore[index]
        role = views.vm_role(engine, vm)
        role_cell: object = ""
        if role is not None:
            service, member_role = role
            role_cell = (f"{service}:{member_role.value}", ROLE_STYLE.get(member_role, ""))
        state = vm.state.value
        return (
            vm.name,
            (f"{_state_label(vm)}?", "muted") if views.vm_last_seen(engine, vm) is not None
            else (_state_label(vm), VM_STATE_STYLE.get(state, "")),
            views.vm_where(vm),
            str(vm.vcpus),
            f"{vm.memory_gb:g}G",
            meter(views.vm_cpu(engine, vm), self.width_of(5)),
            duration(vm_values.uptime(engine, vm)),
            vm_values.ha_priority(engine, vm),
            role_cell,  # type: ignore[return-value]
            ("stale", "warn") if vm.stale_image else "",
        )


class VmsPane(Pane):
    """The VMs pane: the VMs table in a bordered box."""

    def compose(self):
        yield VmsTable(id="vms-table")
