"""The Services pane: each active/passive service, its members, the active one, failovers in the
period and the failback policy."""

from __future__ import annotations

from collections.abc import Hashable

from console.model import views
from console.model.entities import Role
from console.ui.glyphs import glyph
from console.ui.widgets.base import ModelTable
from console.ui.widgets.keyed_table import Cells, Column

STATE_STYLE = {"online": "ok", "failing_over": "warn", "offline": "error", "failed": "error"}
MEMBER_MARK = {Role.ACTIVE: ("beating", "ok"), Role.STARTING: ("starting", "warn"),
               Role.PASSIVE: ("powered-off", "muted"), Role.OFFLINE: ("down", "error")}


class ServicesTable(ModelTable):
    """The services pane's table: per clustered service its state, active member and host, members
    with role marks, failovers in the period (of the most allowed) and failback rule."""

    columns = (
        Column("Service", 8, alias="name"),
        Column("State", 8),
        Column("Active", 10),
        Column("Members", 12, flex=True, priority=1),
        Column("F/O", 3, "right", priority=2, alias="failovers", biggest_first=True,
               sort=lambda t, k: views.service_view(t.engine, views.services(t.engine)[k]
                                                    ).failovers),
        Column("Failback", 10, priority=3),
    )
    empty_text = "no clustered services"

    def row_count(self) -> int:
        """The number of services."""
        return len(views.services(self.engine))

    def row_key(self, index: int) -> Hashable:
        """The name of service `index`, in cluster order."""
        return list(views.services(self.engine))[index]

    def view_marker(self) -> Hashable:
        """The log's length (states, roles and hosts change with an event) and each service's
        on show with its failovers in its period, which time alone lowers."""
        engine = self.engine
        now = engine.now
        services = views.services(engine)
        return (len(engine.log), tuple((key, services[key].failovers_in_period(now))  # type: ignore
                                       for key in self.keys_on_show()))

    def row_cells(self, key: Hashable) -> Cells:
        """Name, state, `MEMBER@HOST` (or `→MEMBER` starting, or none), members with role marks,
        failovers and failback."""
        engine = self.engine
        view = views.service_view(engine, views.services(engine)[key])  # type: ignore[index]
        state = view.state.value
        if view.active:
            active: object = f"{view.active}@{view.active_host}"
        elif view.starting:
            active = (f"→{view.starting}", "warn")
        else:
            active = ("none", "error")
        members: list[tuple[str, str]] = []
        for member, role, _host in view.members:
            if members:
                members.append((" ", ""))
            mark, style = MEMBER_MARK.get(role, ("", ""))
            members.append((glyph(mark) if mark else "?", style))
            members.append((member, ""))
        failovers = f"{view.failovers}/{view.max_failovers}"
        return (
            view.name,
            (state.replace("failing_over", "failover"), STATE_STYLE.get(state, "")),
            active,  # type: ignore[return-value]
            tuple(members),
            (failovers, "warn" if view.failovers else ""),
            view.failback,
        )
