"""The final-state summary of a run, in the machine-readable form of ARCHITECTURE.md."""

from __future__ import annotations

from console.model.engine import Engine


def summary(engine: Engine) -> dict[str, object]:
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
            "downtime_s": round(vm.downtime_s + (now - vm.down_since
                                                 if vm.down_since is not None else 0.0), 3),
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
