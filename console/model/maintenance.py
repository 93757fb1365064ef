"""Maintenance mode: evacuate a host by live migration, hold it empty, give it back.

Entering: no new placements land on the host, and migrations on their way to it are abandoned
(the VM stays on its source); a service whose active member runs there first
fails over in a planned way; every running VM then leaves by live migration to a target the
balancer picks. When the rest of the cluster cannot take a VM (capacity, rules), the host stays
`entering_maintenance` and says, per VM, why. So does a host whose evacuation would break HA's
failover level (`console.model.failover`): DRS does not evacuate it ("DRS Does Not Evacuate a
Host Requested to Enter Maintenance", vSphere Resource Management) until room returns, or the
operator forces it (`maintenance NODE on --force`, which says what the cluster can no longer
tolerate). The intent survives a power cycle of the host.
Leaving: the host takes VMs again and the balancer runs at once to spread the load back, or,
with `[ha] maintenance_return` (Proxmox VE's node maintenance), the VMs its evacuation moved away
migrate back to it.
"""

from __future__ import annotations

import copy

from console.model import failover, placement
from console.model.commands import Command, Maintenance
from console.model.entities import (
    CLOSED_STATES,
    CONSUMING_STATES,
    LOST_STATES,
    Node,
    NodeState,
    Role,
    Vm,
    VmState,
)
from console.model.events import Severity
from console.model.kernel import Context, Handler, Outcome

#: vSphere's reason for a host that waits in entering maintenance because HA needs its room.
INSUFFICIENT = "insufficient resources to satisfy the HA failover level"


class MaintenanceMode:
    """vSphere-like maintenance mode ("Place a Host in Maintenance Mode"): evacuate by live
    migration, hold the host empty, and say per VM what blocks the evacuation (`blockers`).
    """

    def __init__(self, context: Context) -> None:
        self.context = context
        self.cluster = context.cluster
        self.blockers: dict[str, dict[str, str]] = {}  # node -> VM -> why it cannot leave
        # Nodes flagged for maintenance, so reconcile need not scan a 1,000-host cluster.
        self._flagged: list[str] = [n.name for n in self.cluster.nodes.values() if n.maintenance]
        self._forced: set[str] = set()  # flagged with --force: evacuate below the failover level
        # maintenance_return: node -> VMs its evacuation moved away, to bring back when it ends
        self._left: dict[str, list[str]] = {}
        self._returning: list[str] = []  # nodes out of maintenance whose VMs are still to return
        # Per node asked about (several evacuate at once): failover_shortfall's last answer and
        # what it read, and the usable others' room with what it read and a version bumped
        # whenever that room is worked out again (see failover_shortfall). Forgotten when the
        # node leaves maintenance.
        self._shortfalls: dict[str, tuple[tuple[object, ...], failover.Shortfall | None]] = {}
        self._rooms: dict[str, tuple[tuple[object, ...], failover.HostRoom, int]] = {}
        self._room_versions = 0

    def handlers(self) -> dict[type[Command], Handler]:
        """`maintenance NODE on|off`."""
        return {Maintenance: self._maintenance}

    def summary(self) -> dict[str, object]:
        """The run summary's `maintenance` section: per host still blocked, why each VM stays."""
        return {"maintenance": {node: {"state": self.cluster.nodes[node].state.value,
                                       "blocked": dict(blocked)}
                                for node, blocked in self.blockers.items() if blocked}}

    def _maintenance(self, command: Command) -> Outcome:
        assert isinstance(command, Maintenance)
        node = self.cluster.nodes.get(command.node)
        if node is None:
            return Outcome.refuse(f"no node named {command.node}")
        if command.on:
            if node.maintenance:
                return self._maintenance_again(node, command.force)
            if (node.state in (NodeState.SUSPECT, NodeState.ISOLATED) or node.quorum_lost
                    or (node.state is NodeState.ONLINE and not node.heard)):
                return Outcome.refuse(f"{node.name} is {placement.condition(node)}; the cluster "
                                      "cannot drive its evacuation")
            node.maintenance = True
            self._flagged.append(node.name)
            if command.force:
                self._forced.add(node.name)
            if node.state is NodeState.ONLINE:
                self.cluster.set_condition(node, state=NodeState.ENTERING_MAINTENANCE)
                self.context.emit("node_entering_maintenance", node.name,
                                  f"{node.name} is entering maintenance: evacuating "
                                  f"{self._running(node)} VMs")
                return Outcome.ok(self._check_failover_level(node, command.force))
            return Outcome.ok(f"{node.state.value}: it enters maintenance when it comes back")
        if command.force:
            return Outcome.refuse("--force applies only to maintenance on")
        if not node.maintenance:
            return Outcome.refuse(f"{node.name} is not in maintenance")
        node.maintenance = False
        self._flagged.remove(node.name)
        self._forced.discard(node.name)
        self.blockers.pop(node.name, None)
        self._shortfalls.pop(node.name, None)
        self._rooms.pop(node.name, None)
        self.context.services.recheck()  # failback waits for no drained host any longer
        if self._left.get(node.name) and node.name not in self._returning:
            self._returning.append(node.name)
        if node.state in CLOSED_STATES:
            self.cluster.set_condition(node, state=NodeState.ONLINE)
            self.context.emit("node_online", node.name,
                              f"{node.name} left maintenance and takes VMs again")
            if not self.cluster.settings.ha.maintenance_return:
                self.context.balancer.spread(f"{node.name} left maintenance")
        return Outcome.ok()

    def _bring_back(self, node: Node) -> None:
        """`maintenance_return`: migrate back to `node`, now out of maintenance and usable,
        each running VM its evacuation moved away, where the host takes it (Proxmox VE,
        "High Availability": Node Maintenance; a VM moved again by hand since also returns, as
        pve-ha-manager does). Once: a VM that cannot go back stays where it is."""
        migrations = self.context.migrations
        for name in self._left.pop(node.name, []):
            vm = self.cluster.vms[name]
            if vm.state is not VmState.RUNNING or vm.host == node.name \
                    or migrations.is_moving(name) or migrations.refusal(vm, node) is not None:
                continue
            migrations.start(vm, node, f"returning to {node.name} after its maintenance")

    def _maintenance_again(self, node: Node, force: bool) -> Outcome:
        """`maintenance NODE on` for a node already flagged: `--force` on one that waits
        (entering maintenance, or flagged while away) goes ahead as its wait message promised,
        and says what the cluster can no longer tolerate; anything else is refused."""
        if not force or node.name in self._forced or node.state is NodeState.MAINTENANCE:
            forced = " (forced)" if node.name in self._forced else ""
            return Outcome.refuse(f"{node.name} is already {node.state.value}{forced}")
        self._forced.add(node.name)
        if node.state is not NodeState.ENTERING_MAINTENANCE:
            return Outcome.ok(f"{node.state.value}: forced; it evacuates when it comes back")
        return Outcome.ok(self._check_failover_level(node, True)
                          or f"forced: evacuating {node.name}")

    def _running(self, node: Node) -> int:
        return sum(1 for vm in self.cluster.vms_on(node) if vm.state in CONSUMING_STATES)

    def failover_shortfall(self, node: Node) -> failover.Shortfall | None:
        """What evacuating `node` would take from HA's failover level (`console.model.failover`):
        the rest of the usable hosts must absorb its VMs (those not already on their way out)
        and still keep the failover level's room. None when they can.

        An evacuation asks on every reconcile and `failover.shortfall` sums every host, so,
        for each node asked about (several hosts may evacuate at once): the usable hosts and
        their capacities are kept while no host's state, hearing or quorum changes
        (`_usable_others`); the answer is kept while, besides, no host's charges change
        (`Cluster.change_log`'s bump count, which also moves when a VM on `node` changes state
        or target), nor the VMs in flight or HA's settings."""
        cluster = self.cluster
        room = self._usable_others(node)
        key = (cluster.change_base + len(cluster.change_log), frozenset(cluster.in_flight),
               cluster.settings.ha, self._rooms[node.name][2])
        kept = self._shortfalls.get(node.name)
        if kept is not None and kept[0] == key:
            return kept[1]
        leaving = self._leaving(node)
        short = failover.shortfall(cluster, room.hosts, sum(vm.vcpus for vm in leaving),
                                   sum(vm.memory_gb for vm in leaving), room)
        # A copy of the settings: a change made in place must not match the key kept.
        self._shortfalls[node.name] = ((*key[:2], copy.copy(cluster.settings.ha), key[3]), short)
        return short

    def _usable_others(self, node: Node) -> failover.HostRoom:
        """The usable hosts but `node`, in cluster order, with their room (`failover.HostRoom`);
        worked out again only when a host's state, hearing or quorum
        (`Cluster.conditions`), the hosts or the overcommit ratios change (a host's hardware
        does not change while the engine runs)."""
        cluster = self.cluster
        ha = cluster.settings.ha
        key = (ha.cpu_overcommit, ha.memory_overcommit, cluster.conditions, len(cluster.nodes))
        kept = self._rooms.get(node.name)
        if kept is not None and kept[0] == key:
            return kept[1]
        others = [n for n in cluster.nodes.values() if placement.usable(n) and n.name != node.name]
        room = failover.HostRoom(cluster, others)
        self._room_versions += 1
        self._rooms[node.name] = (key, room, self._room_versions)
        return room

    def _leaving(self, node: Node) -> list[Vm]:
        """`node`'s VMs an evacuation has still to move off: holding a place, not in flight."""
        return [vm for vm in self.cluster.vms_on(node)
                if vm.state in CONSUMING_STATES and vm.host == node.name and vm.target is None]

    def plain_failover_shortfall(self, node: Node) -> failover.Shortfall | None:
        """`failover_shortfall` worked out from scratch over every host (what it caches)."""
        others = [n for n in self.cluster.nodes.values()
                  if placement.usable(n) and n.name != node.name]
        leaving = self._leaving(node)
        return failover.shortfall(self.cluster, others, sum(vm.vcpus for vm in leaving),
                                  sum(vm.memory_gb for vm in leaving))

    def _check_failover_level(self, node: Node, force: bool) -> str:
        """Warn (`ha_capacity_reduced`) when taking `node` out breaks the failover level, and
        say whether the evacuation waits or, forced, goes ahead; the outcome's note."""
        short = self.failover_shortfall(node)
        if short is None:
            return ""
        level = failover.level(self.cluster.settings.ha)
        if force:
            note = (f"forced: evacuating {node.name} anyway; the cluster can no longer tolerate "
                    f"{level} ({short.text()})")
        else:
            note = (f"{node.name} waits: {INSUFFICIENT}: evacuating it {short.text()}; "
                    "--force evacuates anyway")
        self.context.emit("ha_capacity_reduced", node.name, note, Severity.WARNING)
        return note

    # -- reconcile: drive evacuations ----------------------------------------------------------

    def reconcile(self) -> None:
        """Drive each evacuation on; forget the blockers of hosts the cluster lost."""
        for name in list(self._returning):
            node = self.cluster.nodes[name]
            if node.maintenance:  # back in maintenance before its VMs returned
                self._returning.remove(name)
            elif placement.usable(node) and self.context.membership.has_quorum():
                self._returning.remove(name)
                self._bring_back(node)
        for name in list(self._flagged):
            node = self.cluster.nodes[name]
            if node.state is NodeState.ENTERING_MAINTENANCE:
                self._evacuate(node)
            elif node.maintenance and node.state in LOST_STATES:
                self.blockers.pop(node.name, None)

    def _evacuate(self, node: Node) -> None:
        if not node.heard or not self.context.membership.has_quorum():
            return
        blocked: dict[str, str] = {}
        if node.name not in self._forced and self._running(node) and (
                short := self.failover_shortfall(node)) is not None:
            why = f"{INSUFFICIENT}: evacuating {node.name} {short.text()}"
            self._report(node, {vm.name: why for vm in self.cluster.vms_on(node)
                                if vm.state in CONSUMING_STATES})
            return
        self._move_services_off(node)
        no_room: dict[tuple[object, ...], str] = {}  # shapes no host could take, and why
        migrations = self.context.migrations
        for vm in self.cluster.vms_on(node):
            if vm.state not in CONSUMING_STATES:
                continue
            if vm.state is VmState.PAUSED:  # in memory here: it moves once running again
                blocked[vm.name] = (f"it is paused; vm-resume {vm.name} (it is then "
                                    f"migrated) or vm-shutdown {vm.name}")
                continue
            if vm.state is not VmState.RUNNING or migrations.is_moving(vm.name):
                continue
            if self._active_member_here(vm.name):
                blocked[vm.name] = "waiting for its service to fail over"
                continue
            shape = placement.shape(self.cluster, vm)
            if shape in no_room:
                blocked[vm.name] = no_room[shape]
                continue
            target = self.context.balancer.choose_target(vm, exclude=(node.name,))
            if target is None:
                blocked[vm.name] = placement.why_not(self.cluster, vm, (node.name,))
                if shape is not None:
                    no_room[shape] = blocked[vm.name]
                continue
            migrations.start(vm, target, f"evacuating {node.name}")
            if self.cluster.settings.ha.maintenance_return:
                left = self._left.setdefault(node.name, [])
                if vm.name not in left:
                    left.append(vm.name)
        self._report(node, blocked)
        incoming = any(m.target == node.name for m in migrations.active.values())
        if self._running(node) == 0 and not incoming:
            self.cluster.set_condition(node, state=NodeState.MAINTENANCE)
            self.blockers.pop(node.name, None)
            self.context.emit("node_maintenance", node.name,
                              f"{node.name} is in maintenance: no VMs left")

    def _move_services_off(self, node: Node) -> None:
        services = self.context.services
        for service in services.on_host(node):
            active = service.active
            if active is None or self.cluster.vms[active].host != node.name:
                continue
            candidates = [m for m in service.members
                          if m != active and services.can_take_over(m)]
            if candidates:
                services.move(service, candidates[0], f"{node.name} entering maintenance")

    def _active_member_here(self, vm_name: str) -> bool:
        service_name = self.cluster.member_of.get(vm_name)
        if service_name is None:
            return False
        role = self.cluster.services[service_name].roles.get(vm_name)
        return role in (Role.ACTIVE, Role.STARTING) and self._has_alternative(service_name,
                                                                               vm_name)

    def _has_alternative(self, service_name: str, member: str) -> bool:
        service = self.cluster.services[service_name]
        return any(m != member and self.context.services.can_take_over(m)
                   for m in service.members)

    def _report(self, node: Node, blocked: dict[str, str]) -> None:
        previous = self.blockers.get(node.name, {})
        self.blockers[node.name] = blocked
        for vm, why in blocked.items():
            if previous.get(vm) != why:
                self.context.emit("evacuation_blocked", vm,
                                  f"{vm} cannot leave {node.name}: {why}", Severity.WARNING)
