"""Cold moves: `relocate` (stop, move, start) and `cold-migrate` (move a stopped VM).

Proxmox VE's `ha-manager relocate` ("High Availability", Proxmox VE Administration Guide) stops
a service, moves it to another node and starts it there; a stopped service is only moved.
vSphere's cold migration ("Cold Migration", vCenter Server and Host Management) moves a
powered-off VM's registration to another host. Neither copies memory: a relocated VM is down
for its boot (and any image streaming), which counts as downtime. The start goes through HA
(`kernel.Recovery.boot`), so a failed one is retried like any other.
"""

from __future__ import annotations

from console.model import placement
from console.model.commands import ColdMigrate, Command, Relocate
from console.model.entities import Node, Vm, VmState
from console.model.kernel import Context, Handler, Outcome


class Relocation:
    """The cold moves' commands; a component with nothing to reconcile."""

    def __init__(self, context: Context) -> None:
        self.context = context
        self.cluster = context.cluster

    def handlers(self) -> dict[type[Command], Handler]:
        """`relocate VM [NODE]`, `cold-migrate VM [NODE]`."""
        return {Relocate: self._relocate, ColdMigrate: self._cold_migrate}

    def reconcile(self) -> None:
        """Cold moves act on commands only."""

    # -- the commands --------------------------------------------------------------------------

    def _relocate(self, command: Command) -> Outcome:
        assert isinstance(command, Relocate)
        vm = self.cluster.vms.get(command.vm)
        if vm is None:
            return Outcome.refuse(f"no VM named {command.vm}")
        if vm.state is VmState.STOPPED:
            return self._move(vm, command.target)
        if vm.state is not VmState.RUNNING:
            return Outcome.refuse(f"{vm.name} is {vm.state.value}; relocate moves a running or "
                                  "stopped VM")
        if self.context.migrations.is_moving(vm.name):
            return Outcome.refuse(f"{vm.name} has a live migration queued; cancel it first "
                                  f"(cancel-migration {vm.name})")
        stuck = placement.host_unavailable(self.cluster, vm)
        if stuck is not None:
            return Outcome.refuse(stuck)
        source = self.cluster.nodes[vm.host]  # type: ignore[index]
        target = self._running_target(vm, command.target)
        if isinstance(target, str):
            return Outcome.refuse(target)
        self.context.world.stop_vm(vm)
        self.cluster.set_host(vm, target.name)
        vm.down_since = self.context.now
        self.context.ha.boot(vm, target, f"relocating {vm.name} from {source.name} to "
                                         f"{target.name}: stopped, moved, starting")
        return Outcome.ok(f"to {target.name}")

    def _cold_migrate(self, command: Command) -> Outcome:
        assert isinstance(command, ColdMigrate)
        vm = self.cluster.vms.get(command.vm)
        if vm is None:
            return Outcome.refuse(f"no VM named {command.vm}")
        if vm.state is not VmState.STOPPED:
            return Outcome.refuse(f"{vm.name} is {vm.state.value}; cold migration moves a "
                                  "stopped VM (use migrate or relocate for a running one)")
        return self._move(vm, command.target)

    # -- moving --------------------------------------------------------------------------------

    def _move(self, vm: Vm, wanted: str | None) -> Outcome:
        """Move a stopped VM's registration to `wanted` (or the best host for it); it stays
        off."""
        source = vm.host
        if wanted is None:
            target = placement.registration_host(self.cluster, vm, exclude=(source or "",))
            if target is None:
                return Outcome.refuse(f"no other live host can hold {vm.name}: "
                                      f"{placement.why_not(self.cluster, vm, (source or '',))}")
        else:
            found = self._stopped_target(vm, wanted)
            if isinstance(found, str):
                return Outcome.refuse(found)
            target = found
        self.cluster.set_host(vm, target.name)
        self.context.emit("vm_moved", vm.name,
                          f"{vm.name} (stopped) moved from {source} to {target.name}")
        return Outcome.ok(f"to {target.name}")

    def _stopped_target(self, vm: Vm, wanted: str) -> Node | str:
        """The node named `wanted` if a stopped `vm` may be registered there, else why not."""
        target = self.cluster.nodes.get(wanted)
        if target is None:
            return f"no node named {wanted}"
        if target.name == vm.host:
            return f"{vm.name} is already on {target.name}"
        if not placement.usable(target):
            return f"{target.name} is {placement.condition(target)}"
        return (placement.incompatibility(self.cluster, vm, target)
                or placement.rule_refusal(self.cluster, vm, target) or target)

    def _running_target(self, vm: Vm, wanted: str | None) -> Node | str:
        """Where a running `vm` is relocated: `wanted` if it may start there, else why not;
        without `wanted`, the allowed host with the most room."""
        source = vm.host or ""
        if wanted is None:
            best = placement.best_host(self.cluster, vm, exclude=(source,))
            if best is None:
                return (f"no other host can take {vm.name}: "
                        f"{placement.why_not(self.cluster, vm, (source,))}")
            return best
        target = self._stopped_target(vm, wanted)
        if isinstance(target, str):
            return target
        if placement.allowed(self.cluster, vm, target):
            return target
        others = tuple(n for n in self.cluster.nodes if n != target.name)
        why = placement.why_not(self.cluster, vm, others)
        return f"{target.name} cannot start {vm.name}: {why}"
