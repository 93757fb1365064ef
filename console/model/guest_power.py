"""A VM's guest power: `vm-suspend`, `vm-resume` and `vm-shutdown` (a graceful shutdown).

Paused is libvirt's suspended domain (`virDomainSuspend`, "paused" with reason "user"): the
guest stays in its host's memory, holds its place there (its vCPUs and memory, as
`entities.CONSUMING_STATES` counts them) and uses no CPU. What follows from that, and the
documents it follows:

* HA does not restart a paused VM lost with its host: its memory went with the host and it was
  not running; vSphere HA restarts only the VMs that were powered on ("How vSphere HA Works",
  vSphere Availability: it protects powered-on VMs; a suspended one is not). It is left
  stopped on that host (`HighAvailability.vm_down`).
* It serves nothing (a clustered service fails over from it), loads no CPU in the views and
  the balancer, and the balancer never moves it (only running VMs are its candidates).
* Live migration and a maintenance evacuation take only running VMs: a host entering
  maintenance waits for a paused VM to be resumed (it is then migrated) or shut down, and says
  so (`evacuation_blocked`), as vSphere's maintenance mode moves only powered-on VMs by
  vMotion ("Place an ESXi Host in Maintenance Mode", vSphere Resource Management; a suspended
  VM there is on disk and stays registered, ours is in memory and must not be lost).

The deciding here reaches the VM only through `kernel.Actuator` (`suspend_vm`, `resume_vm`,
`shutdown_vm`), so on an observed cluster the request goes to the real host and the state
changes when it is observed.
"""

from __future__ import annotations

from console.model import placement
from console.model.commands import Command, VmResume, VmShutdown, VmSuspend
from console.model.entities import HaState, Vm, VmState
from console.model.kernel import Context, Handler, Outcome


class GuestPower:
    """The operator's suspend, resume and graceful shutdown of a VM: a component."""

    def __init__(self, context: Context) -> None:
        self.context = context
        self.cluster = context.cluster
        self._shutting_down: dict[str, int] = {}  # VM -> its epoch when the shutdown began

    def handlers(self) -> dict[type[Command], Handler]:
        """`vm-suspend VM`, `vm-resume VM`, `vm-shutdown VM`."""
        return {VmSuspend: self._suspend, VmResume: self._resume, VmShutdown: self._shutdown}

    def reconcile(self) -> None:
        """Forget shutdowns of VMs that changed state meanwhile (powered off, host lost)."""
        for name, epoch in list(self._shutting_down.items()):
            vm = self.cluster.vms.get(name)
            if vm is None or vm.epoch != epoch:
                del self._shutting_down[name]

    def shutting_down(self, vm: Vm) -> bool:
        """Is `vm`'s guest shutting down (a `vm-shutdown` under way)?"""
        return self._shutting_down.get(vm.name) == vm.epoch

    def _acted_on(self, name: str, wanted: VmState, verb: str) -> Vm | Outcome:
        """The VM called `name` that `verb` acts on, or the refusal: no such VM, not in the
        `wanted` state, its host unreachable, its guest shutting down."""
        vm = self.cluster.vms.get(name)
        if vm is None:
            return Outcome.refuse(f"no VM named {name}")
        if vm.state is not wanted:
            hint = ""
            if vm.state is VmState.MIGRATING:
                hint = f"; wait for its migration or cancel it (cancel-migration {vm.name})"
            elif vm.state is VmState.PAUSED:
                hint = f"; vm-resume {vm.name} continues it"
            return Outcome.refuse(f"{vm.name} is {vm.state.value}, not {wanted.value}: "
                                  f"cannot {verb} it{hint}")
        stuck = placement.host_unavailable(self.cluster, vm)
        if stuck is not None:
            return Outcome.refuse(stuck)
        if self.shutting_down(vm):
            return Outcome.refuse(f"{vm.name} is shutting down")
        return vm

    def _suspend(self, command: Command) -> Outcome:
        assert isinstance(command, VmSuspend)
        vm = self._acted_on(command.vm, VmState.RUNNING, "suspend")
        if isinstance(vm, Outcome):
            return vm
        self.context.world.suspend_vm(vm)
        if vm.state is VmState.PAUSED:
            self.context.emit("vm_paused", vm.name, f"{vm.name} is paused on {vm.host}")
        return Outcome.ok()

    def _resume(self, command: Command) -> Outcome:
        assert isinstance(command, VmResume)
        vm = self._acted_on(command.vm, VmState.PAUSED, "resume")
        if isinstance(vm, Outcome):
            return vm
        self.context.world.resume_vm(vm)
        if vm.state is VmState.RUNNING:
            self.context.emit("vm_resumed", vm.name, f"{vm.name} is running again on {vm.host}")
        return Outcome.ok()

    def _shutdown(self, command: Command) -> Outcome:
        """The guest shuts down; once off, like `vm-power off`, the VM's HA request state is
        `stopped` (an `ignored` VM stays ignored), so HA does not start it again."""
        assert isinstance(command, VmShutdown)
        vm = self._acted_on(command.vm, VmState.RUNNING, "shut down")
        if isinstance(vm, Outcome):
            return vm
        self._shutting_down[vm.name] = vm.epoch
        host = vm.host
        self.context.world.shutdown_vm(vm, lambda: self._stopped(vm, host),
                                       lambda _why: self._shutting_down.pop(vm.name, None))
        return Outcome.ok()

    def _stopped(self, vm: Vm, host: str | None) -> None:
        self._shutting_down.pop(vm.name, None)
        if vm.ha_state is not HaState.IGNORED:
            vm.ha_state = HaState.STOPPED
        self.context.emit("vm_stopped", vm.name,
                          f"{vm.name} shut down on {host} (HA state {vm.ha_state.value})")
