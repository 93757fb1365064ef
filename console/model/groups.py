"""HA group failback (Proxmox VE, "High Availability", Proxmox VE Administration Guide: Groups).

A VM of an HA group runs on the highest-priority usable node of its group: placement, HA
recovery, power-on and evacuation already pick it (`placement.group_rank`). When a node comes
online (back from a failure, out of maintenance, booted), every VM of a group without
`nofailback` that runs on a lower-priority node than a usable one of its group migrates there,
live, once it runs; a group with `nofailback` leaves its VMs where they are.
"""

from __future__ import annotations

from console.model import placement
from console.model.commands import Command
from console.model.entities import CONSUMING_STATES, Node, Vm, VmState
from console.model.kernel import Context, Handler


class GroupFailback:
    """Migrates HA group VMs back to a higher-priority group node when one comes online."""

    def __init__(self, context: Context) -> None:
        self.context = context
        self.cluster = context.cluster
        self._usable = self._usable_now()
        self._due: set[str] = set()  # VMs to look at once they run

    def handlers(self) -> dict[type[Command], Handler]:
        """No commands: failback follows the nodes."""
        return {}

    def _usable_now(self) -> set[str]:
        if not self.cluster.groups:
            return set()
        return {n.name for n in self.cluster.nodes.values() if placement.usable(n)}

    def reconcile(self) -> None:
        """When a node joined the usable ones, look at every group VM that may fail back; start
        the migrations of those that run on a lower-priority node than a usable one."""
        if not self.cluster.groups or not self.context.membership.has_quorum():
            return
        usable = self._usable_now()
        if usable - self._usable:
            self._due.update(vm.name for vm in self.cluster.vms.values() if self._may_fail_back(vm))
        self._usable = usable
        for name in sorted(self._due):
            vm = self.cluster.vms[name]
            if vm.state is VmState.RUNNING and not self.context.migrations.is_moving(name):
                self._due.discard(name)
                self._fail_back(vm)
            elif vm.state not in CONSUMING_STATES:
                self._due.discard(name)

    def _may_fail_back(self, vm: Vm) -> bool:
        group = self.cluster.groups.get(vm.group)
        return group is not None and not group.nofailback

    def _fail_back(self, vm: Vm) -> None:
        rank = placement.group_rank(self.cluster, vm, self.cluster.nodes[vm.host])  # type: ignore[index]
        refusal = self.context.migrations.refusal
        better = [n for n in self.cluster.nodes.values()
                  if placement.group_rank(self.cluster, vm, n) < rank and refusal(vm, n) is None]
        if not better:
            return
        target = min(better, key=lambda n: self._order(vm, n))
        group = self.cluster.groups[vm.group]
        self.context.migrations.start(
            vm, target, f"failback to {target.name}, priority {group.nodes[target.name]} in "
                        f"group {group.name}")

    def _order(self, vm: Vm, node: Node) -> tuple[int, float, str]:
        """Highest group priority first, then the most free memory, then by name."""
        return (placement.group_rank(self.cluster, vm, node),
                -placement.free_memory(self.cluster, node), node.name)
