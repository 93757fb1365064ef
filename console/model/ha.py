"""High availability: fencing lost hosts, restarting their VMs, the pending queue, admission
control, and powering VMs on and off.

The rule that keeps the cluster safe: a lost host's VMs are restarted only once they are known to
be off, because the host was fenced (powered off out of band), shut down cleanly, or reported
through its datastore heartbeat that its isolation response powered them off.

HA decides; the hardware acts. It fences hosts, boots VMs and powers them off only through
`kernel.Actuator`, and reads power only through `kernel.Observations`, so a real source can
carry out its decisions. Restart order, admission control and the isolation response follow
vSphere HA ("How vSphere HA Works", vSphere Availability guide).
"""

from __future__ import annotations

from console.model import failover, placement
from console.model.commands import Command, SetHaState, VmPower
from console.model.entities import (
    CLOSED_STATES,
    CONSUMING_STATES,
    KEPT_OFF,
    LOST_STATES,
    HaState,
    Node,
    NodeState,
    Priority,
    Vm,
    VmState,
    ha_managed,
)
from console.model.events import Severity
from console.model.kernel import Context, Handler, Outcome
from console.model.scheduler import Timer
from console.model.settings import HaSettings


class HighAvailability:
    """vSphere HA-like recovery ("How vSphere HA Works": VM restart priority, admission
    control, host isolation response): implements `kernel.Recovery` for its peers. It restarts
    VMs and fences hosts only through `kernel.Actuator`.
    """

    def __init__(self, context: Context) -> None:
        self.context = context
        self.cluster = context.cluster
        self._watch: set[str] = set()  # nodes whose VMs may need HA's attention
        self._fencing: dict[str, Timer] = {}
        self._pending_said: set[str] = set()
        self._failed_starts: dict[str, list[str]] = {}  # VM -> hosts its starts failed on

    def handlers(self) -> dict[type[Command], Handler]:
        """`vm-power VM on|off`, `ha-state VM STATE`."""
        return {VmPower: self._vm_power, SetHaState: self._ha_state}

    @property
    def settings(self) -> HaSettings:
        """The cluster's HA settings (enabled, failures to tolerate, fencing time)."""
        return self.cluster.settings.ha

    # -- called by the world and membership --------------------------------------------------------

    def watch(self, node: Node) -> None:
        """Look at `node`'s VMs at the next reconcile."""
        self._watch.add(node.name)

    def vm_down(self, vm: Vm, why: str) -> None:
        """An unplanned outage of a VM that was running (its host crashed, was fenced, ...)."""
        if vm.state not in CONSUMING_STATES:
            return
        if vm.state is VmState.PAUSED:
            self._paused_lost(vm, why)
            return
        if vm.target is not None:
            self.cluster.set_target(vm, None)
        self.cluster.set_state(vm, VmState.FAILED)
        if vm.down_since is None:
            vm.down_since = self.context.now
        self.context.emit("vm_down", vm.name, f"{vm.name} is down: {why}", Severity.WARNING)
        if vm.host is not None:
            self._watch.add(vm.host)

    def _paused_lost(self, vm: Vm, why: str) -> None:
        """A paused VM's memory went with its host: it is stopped there, and HA does not
        restart it, as vSphere HA restarts only the VMs that were powered on ("How vSphere HA
        Works", vSphere Availability); console.model.guest_power says why."""
        self.cluster.set_state(vm, VmState.STOPPED)
        self.context.emit("vm_stopped", vm.name,
                          f"{vm.name} was paused and is now off: {why}; HA restarts only "
                          "running VMs", Severity.WARNING)

    def host_back(self, node: Node) -> None:
        """The quorum side hears `node` again (it rejoined): a fence under way is moot, since
        what the host runs is known again."""
        timer = self._fencing.pop(node.name, None)
        if timer is not None:
            timer.cancel()

    def isolation_power_off(self, node: Node, vms: list[Vm]) -> None:
        """`node`'s isolation response powered `vms` off and the cluster learnt it (through the
        host's datastore heartbeat, or from the host once heard again): HA may restart them."""
        for vm in vms:
            self.vm_down(vm, f"powered off by {node.name}'s isolation response")
        self._watch.add(node.name)

    # -- reconcile -----------------------------------------------------------------------------

    def reconcile(self) -> None:
        """With quorum: fence lost hosts, restart their VMs, place pending ones."""
        if not self.settings.enabled or not self.context.membership.has_quorum():
            return
        for name in sorted(self._watch):
            node = self.cluster.nodes[name]
            if self._attend(node):
                self._watch.discard(name)
        if self.cluster.pending:
            self._place_pending()

    def _attend(self, node: Node) -> bool:
        """Do what `node`'s VMs need; True when nothing is left to wait for.

        HA decides only from what its side observes. A host known alive through its datastore
        heartbeats (isolated) is never fenced: the VMs its isolation response powers off are
        reported and restarted, those it leaves on stay where they run ("vSphere
        Availability": host isolation response, datastore heartbeating). A host the cluster
        cannot tell from a dead one (failed) is fenced before any of its VMs restarts, if it
        holds any VM in HA's hands (`entities.ha_managed`): Proxmox VE fences only a node that
        runs HA resources ("High Availability": Fencing)."""
        vms = self.cluster.vms_on(node)
        if (node.state is NodeState.ISOLATED
                and not self.context.world.writes_datastore_heartbeats(node)):
            return False  # its datastore heartbeat stopped: wait until it is declared failed
        if node.state in LOST_STATES and node.state is not NodeState.ISOLATED:
            if not any(ha_managed(vm) for vm in vms):
                return True  # nothing of HA's there: no fence, nothing to restart
            still_on = [vm for vm in vms if vm.state in CONSUMING_STATES]
            if still_on or not node.fenced:  # not known off: what it runs is unknown
                self._fence(node)
                return False
        elif not (node.state in LOST_STATES or placement.usable(node)
                  or node.state in CLOSED_STATES):
            return node.state is not NodeState.SUSPECT and not any(
                vm.state is VmState.FAILED for vm in vms)
        if (self.settings.recover_stopped and node.state in LOST_STATES and node.fenced
                and not self._recover_stopped(node, vms)):
            return False
        failed = [vm for vm in vms if vm.state is VmState.FAILED]
        restart = [vm for vm in failed if _held_back(vm) is None]
        for vm in failed:
            held_back = _held_back(vm)
            if held_back is not None and node.state not in LOST_STATES:
                self.cluster.set_state(vm, VmState.STOPPED)
                self.context.emit("vm_stopped", vm.name,
                                  f"{vm.name} stays off on {node.name}: {held_back}")
            elif held_back is not None and vm.name not in self._pending_said:
                self._pending_said.add(vm.name)
                self.context.emit("vm_not_restarted", vm.name,
                                  f"{vm.name} is not restarted: {held_back}",
                                  Severity.WARNING)
        if restart:
            self._restart(sorted(restart, key=lambda vm: (vm.priority.rank, vm.name)), node)
        return True

    def _recover_stopped(self, node: Node, vms: list[Vm]) -> bool:
        """Move the stopped HA VMs of fenced `node` to a live host, where they can be started
        (Proxmox VE, "High Availability": Recover Fenced Services; `recover_stopped`); they stay
        off. False while one has no host to go to."""
        placed = True
        for vm in vms:
            if vm.state is not VmState.STOPPED or not ha_managed(vm):
                continue
            home = placement.registration_host(self.cluster, vm)
            if home is None:
                placed = False
                continue
            self.cluster.set_host(vm, home.name)
            self.context.emit("vm_moved", vm.name,
                              f"{vm.name} is moved to {home.name} and stays stopped: its host "
                              f"{node.name} was fenced")
        return placed

    def _fence(self, node: Node) -> None:
        """Make sure `node` is off before its VMs restart: power it off out of band (`fence_s`),
        or, where hosts reset themselves on losing quorum (`quorum.watchdog_s`), wait `fence_s`
        for its HA lock to expire (Proxmox VE, "High Availability": Fencing)."""
        if node.name in self._fencing:
            return
        fence_s = self.settings.fence_s
        wait_s = fence_s
        watchdog_s = self.cluster.settings.quorum.watchdog_s
        if watchdog_s:
            # the lock expires fence_s after the host's last renewal (its last heartbeat heard),
            # and never before its watchdog, armed when it lost quorum, has surely reset it
            renewed = node.silent_since if node.silent_since is not None else self.context.now
            reset_by = renewed + self.context.membership.detection_s(node) + watchdog_s
            wait_s = max(0.0, renewed + fence_s - self.context.now,
                         reset_by - self.context.now)
            how = (f"waiting {wait_s:g} s for its HA lock to expire ({fence_s:g} s after its "
                   f"last renewal at {renewed:g} s); its watchdog resets it")
        else:
            how = f"out-of-band power off, {fence_s:g} s"
        self.context.emit("node_fencing", node.name,
                          f"fencing {node.name} ({how}) before restarting its VMs",
                          Severity.WARNING)
        self._fencing[node.name] = self.context.schedule(wait_s, lambda: self._fenced(node))

    def _fenced(self, node: Node) -> None:
        """The fence completes whatever the host did meanwhile (a host powered on during its
        fence is powered off again); only its rejoining the quorum partition (`host_back`)
        makes it moot. A lock that expired powers nothing off: the watchdog has reset the host.
        """
        self._fencing.pop(node.name, None)
        if node.state not in LOST_STATES:
            return
        if not self.cluster.settings.quorum.watchdog_s:
            self.context.world.fence(node)
        self.context.membership.fenced(node)
        how = "its HA lock expired" if self.cluster.settings.quorum.watchdog_s else "powered off"
        self.context.emit("node_fenced", node.name, f"{node.name} is fenced ({how})",
                          Severity.WARNING)
        for vm in self.cluster.vms_on(node):
            self.vm_down(vm, f"{node.name} was fenced")
        self._watch.add(node.name)

    # -- restarting ----------------------------------------------------------------------------

    def _restart(self, vms: list[Vm], source: Node) -> None:
        """Place in priority order (highest to lowest), each on the allowed host that breaks the
        fewest `should` rules, then has the most room (`placement.best_host`)."""
        for vm in vms:
            target = placement.best_host(self.cluster, vm, restart=True)
            if target is None:
                self._to_pending(vm, *placement.unplaceable(self.cluster, vm, restart=True))
                continue
            self.boot(vm, target, f"restarting {vm.name} ({vm.priority.value} priority) on "
                                   f"{target.name} (was on {source.name})"
                                   f"{self._breaks(vm, target)}", restart=True)

    def _breaks(self, vm: Vm, target: Node) -> str:
        """`; breaks should rule web-together (no host with room keeps it)`, or nothing."""
        broken = placement.should_breaches(self.cluster, vm, target)
        if not broken:
            return ""
        return (f"; breaks should rule{'s' if len(broken) > 1 else ''} {', '.join(broken)} "
                "(no host with room keeps it)")

    def _to_pending(self, vm: Vm, reason: str, for_room: bool = True) -> None:
        """`vm` waits for a host: for capacity, or (`for_room` False) for a host its rules allow."""
        self.cluster.set_host(vm, None)
        self.cluster.set_state(vm, VmState.PENDING_RESTART)
        waits = "waits for capacity" if for_room else "waits for a host its rules allow"
        self.context.emit("vm_pending", vm.name, f"{vm.name} {waits}: {reason}",
                          Severity.WARNING)

    def _place_pending(self) -> None:
        queued = sorted((self.cluster.vms[n] for n in self.cluster.pending),
                        key=lambda vm: (vm.priority.rank, vm.name))
        no_room: set[tuple[object, ...]] = set()  # shapes no host could take in this pass
        for vm in queued:
            if vm.state is not VmState.PENDING_RESTART:
                continue
            shape = placement.shape(self.cluster, vm)
            if shape in no_room:
                continue
            target = placement.best_host(self.cluster, vm, restart=True)
            if target is not None:
                self.boot(vm, target, f"capacity returned: restarting {vm.name} on "
                                       f"{target.name}{self._breaks(vm, target)}", restart=True)
            elif shape is not None:
                no_room.add(shape)

    def boot(self, vm: Vm, target: Node, message: str, restart: bool = False) -> None:
        """Start `vm` (off, not pending) on `target`, which `placement.allowed` accepted; a failed
        start is retried (`_start_failed`) by the same placement rules as the start (`restart`:
        HA's own, which may use dedicated failover hosts)."""
        self.cluster.set_host(vm, target.name)
        self.cluster.set_state(vm, VmState.RESTARTING)
        stream_s = self.context.images.prepare_restart(vm, target)
        self.context.emit("vm_restarting", vm.name, message)
        epoch = vm.epoch
        self.context.world.start_vm(vm, stream_s, lambda: self._booted(vm, epoch),
                                    lambda why: self._start_failed(vm, epoch, why, restart))

    def _start_failed(self, vm: Vm, epoch: int, why: str, restart: bool) -> None:
        """A start HA asked for failed: retry on another host (one the VM has not failed on in
        this run of attempts, else any), at most `restart_retries` times, then give up and leave
        the VM off, as vSphere HA does (das.maxvmrestartcount, 5 by default: "vSphere HA
        Advanced Options", vSphere Availability) and Proxmox VE (`max_relocate`: "High
        Availability", Proxmox VE Administration Guide)."""
        if vm.epoch != epoch or vm.state is not VmState.RESTARTING or vm.host is None:
            return
        failed_on = vm.host
        tried = self._failed_starts.setdefault(vm.name, [])
        tried.append(failed_on)
        self.cluster.set_state(vm, VmState.FAILED)
        retries = self.settings.restart_retries
        if len(tried) > retries:
            del self._failed_starts[vm.name]
            self.cluster.set_state(vm, VmState.STOPPED)
            self.context.emit("vm_not_restarted", vm.name,
                              f"{vm.name} is not restarted: {len(tried)} starts failed, the last "
                              f"on {failed_on}: {why}; HA gives up after "
                              f"{retries} {'retry' if retries == 1 else 'retries'}",
                              Severity.ERROR)
            return
        self.context.emit("vm_start_failed", vm.name,
                          f"{vm.name} did not start on {failed_on}: {why} (attempt {len(tried)} "
                          f"of {retries + 1})", Severity.WARNING)
        target = (placement.best_host(self.cluster, vm, exclude=tuple(tried), restart=restart)
                  or placement.best_host(self.cluster, vm, restart=restart))
        if target is None:
            self._to_pending(vm, *placement.unplaceable(self.cluster, vm, restart=restart))
            return
        self.boot(vm, target, f"retrying {vm.name} on {target.name} (its start failed on "
                               f"{failed_on})", restart=restart)

    def _booted(self, vm: Vm, epoch: int) -> None:
        if vm.epoch != epoch or vm.state is not VmState.RESTARTING:
            return
        self._failed_starts.pop(vm.name, None)
        self.cluster.set_state(vm, VmState.RUNNING)
        vm.started_at = self.context.now
        note = ""
        if vm.down_since is not None:
            outage = self.context.now - vm.down_since
            vm.downtime_s += outage
            vm.down_since = None
            note = f" after {round(outage, 1):g} s down"
        self.context.emit("vm_running", vm.name, f"{vm.name} is running on {vm.host}{note}")

    # -- admission control and power -----------------------------------------------------------

    def admission_refusal(self, vm: Vm) -> str | None:
        """Why powering `vm` on would break the failover level (`console.model.failover`: vSphere
        "Admission Control Policies"), or None."""
        hosts = [n for n in self.cluster.nodes.values() if placement.usable(n)]
        short = failover.shortfall(self.cluster, hosts, vm.vcpus, vm.memory_gb)
        if short is None:
            return None
        return f"admission control: starting {vm.name} {short.text()}"

    def _vm_power(self, command: Command) -> Outcome:
        """`vm-power VM on|off`: the operator's power request is also the VM's HA request state
        (started / stopped), as Proxmox VE's `qm start` / `qm stop` set it for an HA resource
        and as vSphere HA restarts no VM a user powered off; an `ignored` VM stays ignored."""
        assert isinstance(command, VmPower)
        vm = self.cluster.vms.get(command.vm)
        if vm is None:
            return Outcome.refuse(f"no VM named {command.vm}")
        if command.on:
            return self._power_on(vm)
        if vm.state is VmState.STOPPED:
            return Outcome.refuse(f"{vm.name} is already off (stopped)")
        request = HaState.IGNORED if vm.ha_state is HaState.IGNORED else HaState.STOPPED
        return self._power_off(vm, request)

    def _ha_state(self, command: Command) -> Outcome:
        """`ha-state VM STATE`: set the state HA keeps the VM in (Proxmox VE's HA request
        state, "High Availability", Proxmox VE Administration Guide): `started` powers a
        stopped VM on (admission control applies) and lets HA restart it after failures;
        `stopped` and `disabled` power it off or withdraw a restart HA holds (pending, failed);
        `ignored` takes it out of HA's hands as it is (a pending one stays off)."""
        assert isinstance(command, SetHaState)
        vm = self.cluster.vms.get(command.vm)
        if vm is None:
            return Outcome.refuse(f"no VM named {command.vm}")
        state = HaState(command.state)
        if state is vm.ha_state:
            return Outcome.refuse(f"{vm.name}'s HA state is already {state.value}")
        if state is HaState.STARTED and vm.state is VmState.STOPPED:
            return self._power_on(vm)
        if (state in KEPT_OFF and vm.state is not VmState.STOPPED) or (
                state is HaState.IGNORED and vm.state is VmState.PENDING_RESTART):
            return self._power_off(vm, state)
        vm.ha_state = state
        if vm.host is not None:
            self._watch.add(vm.host)  # a failed VM may now be restarted, or left alone
        return Outcome.ok()

    def _power_off(self, vm: Vm, request: HaState) -> Outcome:
        """Stop `vm`, or withdraw the restart HA holds for it (pending, failed), and leave its
        HA request state `request`. Every VM state HA owns can be withdrawn; only a live
        migration must end first. A crashed VM of real hosts is not a restart to withdraw:
        its domain is still there (libvirt's crashed state), so its host is asked to stop it."""
        if vm.state is VmState.MIGRATING:
            return Outcome.refuse(f"{vm.name} is migrating; wait for it to finish or "
                                  f"cancel it (cancel-migration {vm.name})")
        crashed_real = vm.state is VmState.FAILED and self.cluster.observed
        if vm.state in (VmState.PENDING_RESTART, VmState.FAILED) and not crashed_real:
            return self._withdraw(vm, request)  # a real crashed domain is still there: stop it
        stuck = placement.host_unavailable(self.cluster, vm)
        if stuck is not None:
            return Outcome.refuse(stuck)
        restarting = vm.state is VmState.RESTARTING
        self.context.world.stop_vm(vm)
        if vm.state is not VmState.STOPPED:  # real hosts were asked: it stops when observed
            return Outcome.ok()
        self._end_outage(vm)
        vm.ha_state = request
        self._failed_starts.pop(vm.name, None)
        what = (f"stays off on {vm.host}: its restart is withdrawn" if restarting
                else f"is powered off on {vm.host}")
        self.context.emit("vm_stopped", vm.name, f"{vm.name} {what} (HA state {request.value})")
        return Outcome.ok()

    def _end_outage(self, vm: Vm) -> None:
        """The operator turned `vm` off: an outage it was in ends now and counts in its
        downtime (what was already lost is never erased)."""
        if vm.down_since is not None:
            vm.downtime_s += self.context.now - vm.down_since
            vm.down_since = None

    def _withdraw(self, vm: Vm, request: HaState) -> Outcome:
        """Take a VM HA means to restart out of its hands: it stays off. A pending VM, which has
        no host, is registered on the live compatible host with the most room (Proxmox VE moves
        a stopped service off a lost node to a live one)."""
        note = ""
        if vm.state is VmState.PENDING_RESTART:
            home = placement.registration_host(self.cluster, vm, live_only=False)
            if home is None:
                return Outcome.refuse(f"no host can hold {vm.name}'s registration: "
                                      f"{placement.why_not(self.cluster, vm)}")
            self.cluster.set_host(vm, home.name)
            note = f"; registered on {home.name}"
        self.cluster.set_state(vm, VmState.STOPPED)
        self._end_outage(vm)
        vm.ha_state = request
        self._failed_starts.pop(vm.name, None)
        self.context.emit("vm_stopped", vm.name,
                          f"{vm.name} stays off: its restart is withdrawn (HA state "
                          f"{request.value}){note}")
        return Outcome.ok()

    def _power_on(self, vm: Vm) -> Outcome:
        if vm.state is VmState.PAUSED:
            return Outcome.refuse(f"{vm.name} is paused; vm-resume {vm.name} continues it")
        if vm.state in CONSUMING_STATES or vm.state is VmState.PENDING_RESTART:
            return Outcome.refuse(f"{vm.name} is already {vm.state.value}")
        refusal = self.admission_refusal(vm)
        if refusal:
            return Outcome.refuse(refusal)
        host = self.cluster.nodes.get(vm.host or "")
        if self.cluster.observed:  # a real VM starts where it is defined
            if host is None:
                return Outcome.refuse(f"cannot start {vm.name}: it has no host")
            if not placement.usable(host):
                return Outcome.refuse(f"cannot start {vm.name}: its host {host.name} is "
                                      f"{placement.condition(host)}")
        elif host is None or not placement.allowed(self.cluster, vm, host):
            host = placement.best_host(self.cluster, vm)
        elif placement.group_rank(self.cluster, vm, host):  # a better node of its HA group?
            host = placement.best_host(self.cluster, vm) or host
        if host is None:
            return Outcome.refuse(f"cannot start {vm.name}: "
                                  f"{placement.why_not(self.cluster, vm)}")
        if vm.ha_state is not HaState.IGNORED:
            vm.ha_state = HaState.STARTED
        self.boot(vm, host, f"starting {vm.name} on {host.name}")
        return Outcome.ok(f"on {host.name}")


def _held_back(vm: Vm) -> str | None:
    """Why HA does not restart `vm` after a failure (its restart priority, its HA request
    state), or None when it does."""
    if vm.priority is Priority.DISABLED:
        return "HA restart is disabled"
    if vm.ha_state is not HaState.STARTED:
        return f"its HA state is {vm.ha_state.value}"
    return None

