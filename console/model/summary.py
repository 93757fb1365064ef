"""The final-state summary of a run, machine-readable: the last line of `simulate --json`."""

from __future__ import annotations

from console.model.engine import Engine


def summary(engine: Engine) -> dict[str, object]:
    """The state at the end of a run as a JSON-ready dict: `kind` ("summary"), `t` (simulated
    seconds), `nodes` (name -> state, VM count), `vms` (name -> state, host, downtime in seconds so
    far, current outage included, rounded to ms), `services` (name -> state, active member,
    members), then the keys each component adds (`Engine.summaries`)."""
    cluster = engine.cluster
    now = engine.now
    nodes = {
        name: {"state": node.state.value, "vms": len(node.vms)}
        for name, node in cluster.nodes.items()
    }
    vms = {
        name: {
            "state": vm.state.value,
            "host": vm.host,
            "downtime_s": round(vm.downtime_until(now), 3),
        }
        for name, vm in cluster.vms.items()
    }
    services = {
        name: {"state": svc.state.value, "active": svc.active, "members": list(svc.members)}
        for name, svc in cluster.services.items()
    }
    result: dict[str, object] = {"kind": "summary", "t": round(now, 3), "nodes": nodes,
                                 "vms": vms, "services": services}
    for component_summary in engine.summaries():
        result.update(component_summary)
    return result
