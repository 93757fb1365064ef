"""The event log of a headless run as `simulate` prints it: JSON lines or text, then a summary
of the final state. `simulate`, headless drills and headless replays all print through here, so
for the same inputs they print the same log byte for byte."""

from __future__ import annotations

import json

from console.model.engine import Engine
from console.model.summary import summary


def render_json(engine: Engine) -> str:
    """One JSON object per event (`{"t", "kind", "subject", "severity", "message"}`, t in
    simulated seconds), then the summary object (`"kind": "summary"`); newline-terminated."""
    lines = [json.dumps(event.as_dict()) for event in engine.log.events]
    lines.append(json.dumps(summary(engine)))
    return "\n".join(lines) + "\n"


def render_text(engine: Engine) -> str:
    """One line per event, a blank line, then the final state: every node, every service, and
    the VMs that are not running or had downtime (seconds); newline-terminated."""
    lines = [event.as_text() for event in engine.log.events]
    state = summary(engine)
    lines.append("")
    lines.append(f"at {engine.now:g} s:")
    for name, node in state["nodes"].items():  # type: ignore[union-attr]
        lines.append(f"  node {name:<12} {node['state']:<22} {node['vms']} VMs")
    for name, svc in state["services"].items():  # type: ignore[union-attr]
        lines.append(f"  service {name:<9} {svc['state']:<22} active: {svc['active'] or '-'}")
    down = {name: vm for name, vm in state["vms"].items()  # type: ignore[union-attr]
            if vm["state"] != "running" or vm["downtime_s"]}
    for name, vm in down.items():
        lines.append(f"  vm {name:<14} {vm['state']:<22} on {vm['host'] or '-':<8} "
                     f"down {vm['downtime_s']:g} s")
    return "\n".join(lines) + "\n"
