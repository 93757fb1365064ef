"""Text of the details view for a node, a VM or a service (plain lines, built from the views)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from console.model import views
from console.model.hypervisors import GUEST_OSES, HYPERVISORS
from console.ui import vm_values
from console.ui.widgets.base import clock, duration
from console.ui.widgets.events import SEVERITY_LABEL
from console.ui.widgets.keyed_table import sparkline
from console.ui.widgets.nodes import steps_label

if TYPE_CHECKING:
    from console.model.engine import Engine
    from console.model.entities import Node, Vm


def _disks(sizes: tuple[float, ...] | list[float]) -> str:
    """`5 x 300 GB` when the disks are alike, else each size: `300, 300, 500 GB`."""
    if sizes and len(set(sizes)) == 1:
        return f"{len(sizes)} x {sizes[0]:g} GB"
    return f"{', '.join(f'{d:g}' for d in sizes)} GB"


#: What a real host's details say of hardware its connection does not report.
NOT_REPORTED = "not known (its connection does not report them)"

#: Points of the CPU history lines (they fit an 80-column details view unwrapped).
HISTORY_POINTS = 40


def cpu_history_line(values: list[float | None], step_s: float) -> str:
    """The details line of a recorded CPU history (oldest left; a space where nothing was
    recorded) with its level's step."""
    return f"CPU history    {sparkline(values)}  ({steps_label(step_s)})"


def node_details(engine: Engine, name: str, processes: list[tuple[str, float, float]] | None
                 = None, speed: float = 1.0, connection: str | None = None, *,
                 readings: str | None = None) -> list[str]:
    """The details view of node `name`, one string a line: state, the physical truth (power,
    heartbeat network, fencing, vote), the real host's `connection` (its URI, secrets already
    redacted) and how its figures are read (`readings`; each line only when given), hardware,
    utilisation, the last 30 heartbeat slots, services active there, images held, evacuation
    blockers and its VMs (the first 200), plus the busiest local processes `(name, CPU %,
    memory %)` when given; one line if the node no longer exists. The CPU history is at the
    level for clock `speed` (views.history_step)."""
    node = views.nodes(engine).get(name)
    if node is None:
        return [f"node {name} no longer exists"]
    usage = views.node_usage(engine, node)
    step = views.history_step(speed)
    beat = views.heartbeat(engine, node, 30)
    hyper = HYPERVISORS.get(node.hypervisor)
    lines = [
        f"Node {node.name}{'  (this machine, --local)' if node.local else ''}",
        "",
        f"state          {views.node_state_label(node, views.settings(engine).quorum.voting)}"
        f"{'  (maintenance intended)' if node.maintenance else ''}",
        f"truth          {_truth(engine, node)}",
        *([f"connection     {connection}"] if connection is not None else []),
        *([f"readings       {readings}"] if readings is not None else []),
        f"hypervisor     {hyper.label if hyper else node.hypervisor}",
        f"CPU            {node.cpus} x {node.cores_per_cpu} cores @ {node.mhz} MHz = "
        f"{node.cores} cores; {_vcpus_allocated(engine, node)}",
        f"memory         {node.memory_gb:g} GB; {node.used_memory_gb:g} GB allocated",
        f"disks          {_disks_line(engine, node)}",
        f"NICs           {_nics_line(node)}",
        f"utilisation    {_usage_text(usage)}"
        f"{_sample_note(engine) if usage.cpu is not None and not usage.measured else ''}",
        cpu_history_line(views.node_cpu_history(engine, node, HISTORY_POINTS, step), step),
        "heartbeats     " + "".join(" " if b is None else "▮" if b else "·" for b in beat.strip)
        + (f"  last {beat.since_last:.0f} s ago" if beat.since_last is not None else ""),
        f"services here  {', '.join(views.services_active_on(engine, node.name)) or '-'}",
        f"images held    {', '.join(sorted(node.images)) or '-'}",
    ]
    blocked = views.evacuation_blockers(engine, node.name)
    if blocked:
        lines.append("evacuation     blocked:")
        lines += [f"  {vm}: {why}" for vm, why in sorted(blocked.items())]
    lines += ["", f"VMs ({len(node.vms)})"]
    for vm in views.vms_on(engine, node)[:200]:
        lines.append(f"  {vm.name:<14} {vm.state.value:<16} {vm.vcpus} vCPU {vm.memory_gb:g} GB"
                     f"  CPU {_percent(views.vm_cpu(engine, vm))}")
    if len(node.vms) > 200:
        lines.append(f"  ... and {len(node.vms) - 200} more")
    if processes:
        lines += ["", "Busiest processes (live, not part of the model)"]
        for proc, cpu, mem in processes:
            lines.append(f"  {proc:<24} CPU {cpu:5.1f}%  memory {mem:5.1f}%")
    return lines


def _vcpus_allocated(engine: Engine, node: Node) -> str:
    """`20 vCPUs allocated of 64 (16 cores x 4 overcommit)`: the capacity in whole vCPUs (a VM
    fits while the allocated ones stay within cores x ratio) and where it comes from."""
    capacity = views.vcpu_capacity(engine, node)
    ratio = views.settings(engine).ha.cpu_overcommit
    return (f"{node.used_vcpus} vCPUs allocated of {capacity} "
            f"({node.cores} cores x {ratio:g} overcommit)")


def _disks_line(engine: Engine, node: Node) -> str:
    """`5 x 300 GB = 1500 GB, 400 MB/s` (a real host's without the throughput, which no
    connection reports), or that the host's connection reports none."""
    if not node.disks_gb:
        return NOT_REPORTED
    sizes = f"{_disks(node.disks_gb)} = {node.disk_total_gb:g} GB"
    return sizes if engine.cluster.observed else f"{sizes}, {node.disk_mbps:g} MB/s"


def _nics_line(node: Node) -> str:
    """`1 Gb, 1 Gb, 10 Gb`, or that the host's connection reports none."""
    return ", ".join(f"{n:g} Gb" for n in node.nics_gbps) or NOT_REPORTED


def _truth(engine: Engine, node: Node) -> str:
    """What is true of `node`: for a simulated host its power, heartbeat network, fencing and
    vote; for a real one only what its connection tells (the rest is not known)."""
    if engine.cluster.observed:
        return ("its connection answers" if views.host_answers(engine, node)
                else "its connection does not answer (power and network not known)")
    return (f"powered {'on' if node.powered else 'off'}, heartbeat network "
            f"{'connected' if node.connected else 'cut'}, fenced {'yes' if node.fenced else 'no'}, "
            f"vote {'yes' if node.has_vote else 'no'}")


def _percent(fraction: float | None) -> str:
    """`52%`, or `-` where no current figure is known."""
    return "-" if fraction is None else f"{fraction:.0%}"


def _usage_text(usage: views.Usage) -> str:
    """`CPU 52%  memory 40%  disk 3%  (measured)`, or what is known of a host that does not
    answer."""
    if usage.cpu is None:
        return "not known now (the host does not answer)"
    return (f"CPU {_percent(usage.cpu)}  memory {_percent(usage.memory)}  "
            f"disk {_percent(usage.disk)}{'  (measured)' if usage.measured else ''}")


def _sample_note(engine: Engine) -> str:
    """`  (sample of 00:01:20)`: when the figures shown were taken (views.sampled_at, every 10
    simulated seconds); nothing for real hosts, whose figures are their latest readings."""
    return "" if engine.cluster.observed else f"  (sample of {clock(views.sampled_at(engine))})"


def _last_seen(when: float | None) -> str:
    """`  (as last seen at 00:01:05: its host does not answer)`, or nothing for a current
    state."""
    return "" if when is None else f"  (as last seen at {clock(when)}: its host does not answer)"


def _ha_priority(engine: Engine, vm: Vm) -> str:
    """The VM's HA restart priority, or `off` while the cluster's HA is (the priority it has
    then, which nothing acts on, in brackets)."""
    if engine.cluster.settings.ha.enabled:
        return vm.priority.value
    return (f"{vm_values.HA_OFF} (HA is off in this cluster; its priority when on: "
            f"{vm.priority.value})")


def _uptime(engine: Engine, vm: Vm) -> str:
    """How long the VM has run; for a VM of real hosts running before the console saw it
    start, that it is not known."""
    if vm_values.start_unseen(engine, vm) and views.vm_uptime(engine, vm) is not None:
        return "- (running since before the console started: its start was not seen)"
    return duration(vm_values.uptime(engine, vm))


def vm_details(engine: Engine, name: str, speed: float = 1.0) -> list[str]:
    """The details view of VM `name`, one string a line: state, host, size, guest OS, image, HA
    priority, anti-affinity, service role, uptime, downtime, workload demand, its recorded CPU
    history (at the level for clock `speed`, wherever it ran) and any migration; one line if the
    VM no longer exists."""
    vm = views.vms(engine).get(name)
    if vm is None:
        return [f"VM {name} no longer exists"]
    demand = views.vm_demand(engine, vm)
    step = views.history_step(speed)
    role = views.vm_role(engine, vm)
    guest = GUEST_OSES.get(vm.guest_os)
    lines = [
        f"VM {vm.name}",
        "",
        f"state          {vm.state.value}{_last_seen(views.vm_last_seen(engine, vm))}",
        f"host           {views.vm_where(vm)}",
        f"size           {vm.vcpus} vCPU, {vm.memory_gb:g} GB memory, {vm.disk_gb:g} GB disk",
        f"guest OS       {guest.label if guest else vm.guest_os}",
        f"image          {'+'.join(vm.image) or '-'}{'  (stale: new base at next restart)' if vm.stale_image else ''}",  # noqa: E501
        f"HA priority    {_ha_priority(engine, vm)}",
        f"anti-affinity  {', '.join(views.anti_affine(engine, vm)) or '-'}",
        f"service        {f'{role[0]} ({role[1].value})' if role else '-'}",
        f"uptime         {_uptime(engine, vm)}",
        f"downtime       {views.vm_downtime(engine, vm):.1f} s in total"
        + (f", down since {clock(vm.down_since)}" if vm.down_since is not None else ""),
        f"workload       {vm.workload.profile}: " + (
            ("not read yet (its host's VMs are read in turn: host details)"
             if views.vm_unread(engine, vm) else "not known now (its host does not answer)")
            if demand is None else
            f"CPU {demand.cpu:.0%} of {vm.vcpus} vCPU, "
            f"memory {demand.memory:.0%} active, disk {demand.disk_mbps:.0f} MB/s, "
            f"dirtying {demand.dirty_mbps:.0f} MB/s{_sample_note(engine)}"),
        cpu_history_line(views.vm_cpu_history(engine, vm, HISTORY_POINTS, step), step),
    ]
    migration = next((m for m in views.migrations(engine) if m.vm == vm.name), None)
    if migration is not None:
        lines.append(f"migration      {migration.source} → {migration.target} "
                     f"({migration.reason}): "
                     + ("queued" if migration.queued else
                        f"round {migration.round}, {migration.progress:.0%}, "
                        f"{migration.remaining_mb:.0f} MB left in this round"))
    return lines


def service_details(engine: Engine, name: str) -> list[str]:
    """The details view of service `name`, one string a line: state, active member, preferred
    owners, failback, failovers, downtime, members with roles and hosts, and the times of unplanned
    failovers; one line if the service no longer exists."""
    service = views.services(engine).get(name)
    if service is None:
        return [f"service {name} no longer exists"]
    view = views.service_view(engine, service)
    lines = [
        f"Service {service.name} ({service.kind})",
        "",
        f"state          {service.state.value}",
        f"active         {view.active or '-'}{f' on {view.active_host}' if view.active else ''}",
        f"preferred      {', '.join(service.preferred_owners) or '-'}",
        f"failback       {view.failback}",
        f"failovers      {view.failovers} in the last {service.failover_period_s / 3600:g} h "
        f"(at most {view.max_failovers}); takes {service.failover_s:g} s",
        f"downtime       {views.service_downtime(engine, service):.1f} s in total"
        + (f", down since {clock(service.down_since)}" if service.down_since is not None else ""),
        "",
        "members",
    ]
    for member, role, host in view.members:
        lines.append(f"  {member:<14} {role.value:<10} on {host or '-'}")
    if service.failover_times:
        lines += ["", "unplanned failovers at " + ", ".join(clock(t)
                                                            for t in service.failover_times)]
    return lines


#: The most history lines a details view lists (the event log, `L`, has them all).
HISTORY_LINES = 200


def history_lines(engine: Engine, indices: Sequence[int]) -> list[str]:
    """The `History` section of a details view: the events at log `indices` (one object's, oldest
    first; `views.events_about`) newest first, one line each (time, severity, kind, message), at
    most `HISTORY_LINES` of them and then how many older ones the event log holds."""
    log = engine.log.events
    lines = ["", f"History ({len(indices)} event{'' if len(indices) == 1 else 's'}, "
                 "newest first)" if indices else "History (no events yet)"]
    for index in reversed(indices[-HISTORY_LINES:]):
        event = log[index]
        label = SEVERITY_LABEL.get(event.severity.value, event.severity.value)
        lines.append(f"  {clock(event.t)}  {label:<4}  {event.kind:<20} {event.message}")
    if len(indices) > HISTORY_LINES:
        lines.append(f"  ... and {len(indices) - HISTORY_LINES} older (L: the whole event log)")
    return lines
