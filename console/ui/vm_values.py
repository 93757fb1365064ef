"""A VM's values as the screens show them, where the model's own figure would claim what nobody
knows or nothing does: the HA priority of a cluster whose HA is off (real hosts: plain libvirt
has no HA manager; any cluster file with `[ha] enabled = false`) shows as `off`, and the uptime
of a VM of real hosts that was running before the console saw it start shows as unknown (None,
`-` on screen), not as the time since the console started.

    ha_priority(engine, vm)   # ("medium", "") with HA on; ("off", "muted") with HA off
    uptime(engine, vm)        # seconds, or None: not running, or its start not seen
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from console.model import views

if TYPE_CHECKING:
    from console.model.engine import Engine
    from console.model.entities import Vm

#: What the HA column says for every VM while the cluster's HA is off.
HA_OFF = "off"


def ha_priority(engine: Engine, vm: Vm) -> tuple[str, str]:
    """The VM's HA restart priority and its style: `HA_OFF`, muted, while the cluster's HA is
    off (nothing restarts it); a priority of `disabled` is muted too."""
    if not engine.cluster.settings.ha.enabled:
        return HA_OFF, "muted"
    value = vm.priority.value
    return value, "muted" if value == "disabled" else ""


def ha_priority_all(engine: Engine) -> dict[str, str]:
    """`ha_priority`'s text of every VM by name, in one pass (the HA column's sort)."""
    if not engine.cluster.settings.ha.enabled:
        return dict.fromkeys(views.vms(engine), HA_OFF)
    return {name: vm.priority.value for name, vm in views.vms(engine).items()}


def start_unseen(engine: Engine, vm: Vm) -> bool:
    """Whether VM `vm` of real hosts (an observed cluster) has run since before the session
    began: its start was never observed, so its `started_at` is the session's start (0)."""
    return engine.cluster.observed and vm.started_at == 0.0


def uptime(engine: Engine, vm: Vm) -> float | None:
    """Seconds since the VM last started (console.model.views.vm_uptime); None when it is not
    running or when its start was not seen (`start_unseen`)."""
    if start_unseen(engine, vm):
        return None
    return views.vm_uptime(engine, vm)


def uptime_all(engine: Engine) -> dict[str, float | None]:
    """`uptime` of every VM by name (the Uptime column's sort)."""
    found = views.vm_uptime_all(engine)
    if not engine.cluster.observed:
        return found
    vms = views.vms(engine)
    return {name: None if start_unseen(engine, vms[name]) else value
            for name, value in found.items()}
