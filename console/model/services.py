"""Active/passive clustered services (SQL, Exchange, IIS): failover, forced failover, failback.

A service fails over only once the loss of its active member is *known*: at once when the member's
VM stops on a healthy host, but only after heartbeat detection when its host goes silent. A member
that finds itself without quorum stands down before the other side can promote anyone, which is
what keeps two members from ever being active together.

Failback is a consequence of a move the cluster made, never a standing rule: a failover caused
by a failure, or a maintenance drain, arms it (`Service.failback_armed`), and the service goes
back to its most preferred owner when that owner can take it again and the policy allows
(immediately, within the window of hours, or after the delay). An operator's `failover` disarms
it and resets the failover count, so the operator's choice sticks (Microsoft Learn, "Failover
Clustering": failback settings; a group moved by hand stays where it was moved).
"""

from __future__ import annotations

from console.model import placement
from console.model.commands import Command, Failover
from console.model.entities import LOST_STATES, Node, Role, Service, ServiceState, Vm, VmState
from console.model.events import Severity
from console.model.kernel import Context, Handler, Outcome
from console.model.scheduler import Timer

SERVING_VM_STATES = frozenset({VmState.RUNNING, VmState.MIGRATING})


class ServiceManager:
    """Active/passive clustered services after Windows Server failover clustering (preferred
    owners, failback policy, failover threshold in a period; Microsoft Learn, "Failover
    Clustering": failover and failback settings): implements `kernel.ServiceRoles`.
    """

    def __init__(self, context: Context) -> None:
        self.context = context
        self.cluster = context.cluster
        self._failback: dict[str, Timer] = {}
        # What `reconcile` reads, so that it reconciles only the services an event touched
        # (`_due_services`): each service's place in cluster order; the services due; how far
        # `Cluster.change_log` was read (a bump count); the hosts each service's members were
        # on when last reconciled, and the reverse; what the hosts' conditions were.
        self._order: dict[str, int] = {}
        self._due: set[str] = set()
        self._read = -1
        self._seen_on: dict[str, tuple[str, ...]] = {}  # service -> hosts of its members
        self._seen_here: dict[str, set[str]] = {}  # host -> services seen with a member there
        self._whole: tuple[object, ...] | None = None  # quorum held, services: all due if moved
        self._conditions: tuple[object, ...] | None = None  # when `_hosts` was read
        self._hosts: dict[str, tuple[object, ...]] = {}  # `_host_conditions` then

    def handlers(self) -> dict[type[Command], Handler]:
        """`failover SERVICE [MEMBER|NODE]`."""
        return {Failover: self._failover}

    # -- views ---------------------------------------------------------------------------------

    def can_serve(self, member: str) -> bool:
        """The member's VM runs on a host that is up and holds quorum."""
        vm = self.cluster.vms.get(member)
        if vm is None or vm.state not in SERVING_VM_STATES or vm.host is None:
            return False
        node = self.cluster.nodes[vm.host]
        return self.context.world.powered(node) and not node.quorum_lost

    def can_take_over(self, member: str) -> bool:
        """A member good to become active: serving, on a host taking work."""
        if not self.can_serve(member):
            return False
        vm = self.cluster.vms[member]
        return placement.usable(self.cluster.nodes[vm.host])  # type: ignore[index]

    def _loss_known(self, service: Service) -> bool:
        """Does the cluster know the last active member is gone (not merely silent)?"""
        vm = self.cluster.vms.get(service.last_lost or "")
        if vm is None or vm.host is None:
            return True
        node = self.cluster.nodes[vm.host]
        if node.state in LOST_STATES:
            return True
        return node.heard and not node.quorum_lost  # the VM failed on a host we can hear

    def on_host(self, node: Node) -> list[Service]:
        """The services with a member VM on `node`, in cluster order."""
        member_of, services = self.cluster.member_of, self.cluster.services
        names = {member_of[vm] for vm in node.vms if vm in member_of}
        return [services[name] for name in sorted(names, key=self._position)]

    def _position(self, service: str) -> int:
        if len(self._order) != len(self.cluster.services):
            self._order = {name: i for i, name in enumerate(self.cluster.services)}
        return self._order[service]

    def _ranked_candidates(self, service: Service, exclude: str | None = None) -> list[str]:
        preferred = list(service.preferred_owners)

        def rank(member: str) -> tuple[int, int]:
            order = preferred.index(member) if member in preferred else len(preferred)
            return order, service.members.index(member)

        return sorted((m for m in service.members
                       if m != exclude and self.can_take_over(m)), key=rank)

    # -- called by membership ------------------------------------------------------------------

    def stand_down(self, node: Node) -> None:
        """Members on a node that lost quorum stop serving at once."""
        for service in self.on_host(node):
            for member, role in service.roles.items():
                vm = self.cluster.vms[member]
                if vm.host == node.name and role in (Role.ACTIVE, Role.STARTING):
                    self._due.add(service.name)
                    service.roles[member] = Role.PASSIVE
                    self._went_down(service, member, f"{member} on {node.name} stood down: "
                                                     "lost quorum")

    # -- reconcile -----------------------------------------------------------------------------

    def reconcile(self) -> None:
        """Mark members that stopped serving, fail over services left without an active member,
        and fail back where the policy says so: of the services an event touched
        (`_due_services`); the others' reconcile would change nothing.
        """
        for service in self._due_services():
            self._reconcile(service)
            self._note_hosts(service)

    def recheck(self) -> None:
        """Reconcile every service at the next pass: something they may all read changed
        outside what `_due_services` watches (a host left maintenance: failback no longer
        waits for it)."""
        self._due.update(self.cluster.services)

    def _due_services(self) -> list[Service]:
        """The services to reconcile now, in cluster order, and none due after: those with a
        member on a host charged since the last pass (a member changed state, host or target:
        `Cluster.change_log` names the hosts) or on a host whose state, hearing, quorum or power
        changed (`_host_conditions`, read again when `Cluster.conditions` or
        `Environment.version` moved); a member is found on the host it is on or was on when
        last reconciled. Also those the manager itself changed since (`_due`); and all of them
        when the cluster log was cut past what was read, the cluster's quorum changed, or the
        services did."""
        cluster, due = self.cluster, self._due
        whole = (self.context.membership.has_quorum(), len(cluster.services))
        conditions = (cluster.conditions, self.context.world.version)
        log, base = cluster.change_log, cluster.change_base
        if whole != self._whole or self._read < base:
            self._whole, self._conditions = whole, conditions
            self._hosts = self._host_conditions()
            due.update(cluster.services)
        elif len(due) < len(cluster.services):
            touched = set(log[self._read - base:])
            if conditions != self._conditions:
                self._conditions, hosts = conditions, self._host_conditions()
                touched.update(name for name, now in hosts.items()
                               if self._hosts.get(name) != now)
                self._hosts = hosts
            member_of, nodes = cluster.member_of, cluster.nodes
            for host in touched:
                due.update(self._seen_here.get(host, ()))
                node = nodes.get(host)
                if node is not None:
                    due.update(member_of[vm] for vm in node.vms if vm in member_of)
        self._read = base + len(log)
        if not due:
            return []
        services = cluster.services
        ordered = [services[name] for name in sorted(due, key=self._position)]
        due.clear()
        return ordered

    def _host_conditions(self) -> dict[str, tuple[object, ...]]:
        """Per host what its members' service reads of it: state, hearing, quorum, power."""
        powered = self.context.world.powered
        return {node.name: (node.state, node.heard, node.quorum_lost, powered(node))
                for node in self.cluster.nodes.values()}

    def _note_hosts(self, service: Service) -> None:
        """Note the hosts `service`'s members are on now, so a later charge of one of them
        finds it even once the member has left (`_due_services`)."""
        vms = self.cluster.vms
        hosts = tuple(sorted({host for m in service.members
                              if (host := vms[m].host) is not None}))
        seen = self._seen_on.get(service.name, ())
        if hosts == seen:
            return
        for host in seen:
            self._seen_here[host].discard(service.name)
        for host in hosts:
            self._seen_here.setdefault(host, set()).add(service.name)
        self._seen_on[service.name] = hosts

    def _reconcile(self, service: Service) -> None:
        for member, role in list(service.roles.items()):
            serving = self.can_serve(member)
            if role in (Role.ACTIVE, Role.STARTING) and not serving:
                service.roles[member] = Role.OFFLINE
                self._went_down(service, member, f"{member} is down")
            elif role is Role.OFFLINE and serving:
                service.roles[member] = Role.PASSIVE
        if service.state is ServiceState.FAILED:
            return
        if service.active is None and service.starting is None:
            self._recover(service)
        elif service.state is ServiceState.ONLINE:
            self._consider_failback(service)

    def _went_down(self, service: Service, member: str, why: str) -> None:
        was_active = service.state is ServiceState.ONLINE
        service.last_lost = member
        if service.state is not ServiceState.FAILED:
            service.state = ServiceState.OFFLINE
        if service.down_since is None:
            service.down_since = self.context.now
        if was_active:
            self.context.emit("service_offline", service.name, f"{service.name} is offline: {why}",
                              Severity.ERROR)

    def _recover(self, service: Service) -> None:
        if not self.context.membership.has_quorum() or not self._loss_known(service):
            return
        candidates = self._ranked_candidates(service)
        if not candidates:
            if not service.stalled:
                service.stalled = True
                self.context.emit("service_stalled", service.name,
                                  f"{service.name}: no member can take over; waiting",
                                  Severity.ERROR)
            return
        now = self.context.now
        service.failover_times.append(now)
        threshold = service.failover_threshold(len(self.cluster.nodes))
        if service.failovers_in_period(now) > threshold:
            service.state = ServiceState.FAILED
            hours = service.failover_period_s / 3600
            self.context.emit("service_failed", service.name,
                              f"{service.name} failed: more than {threshold} failovers "
                              f"in {hours:g} h; an operator must fail it over by hand",
                              Severity.ERROR)
            return
        service.failback_armed = True
        service.drained_from = None  # a failure, not the drain, moved it last
        lost, member = service.last_lost, candidates[0]
        if lost == member:  # its own member can serve again (its host back, or quorum)
            self._start(service, member, "bringing it back online", to="with")
        else:
            self._start(service, member, f"failing over from {lost}" if lost else "failing over")

    def _start(self, service: Service, member: str, why: str, to: str = "to") -> None:
        service.stalled = False
        service.roles[member] = Role.STARTING
        service.state = ServiceState.FAILING_OVER
        if service.down_since is None:
            service.down_since = self.context.now
        service.epoch += 1
        epoch = service.epoch
        self.context.emit("service_failover", service.name,
                          f"{service.name}: {why} {to} {member}{self._on_host(member)} "
                          f"({service.failover_s:.10g} s)", Severity.WARNING)
        self.context.schedule(service.failover_s, lambda: self._online(service, member, epoch))

    def _online(self, service: Service, member: str, epoch: int) -> None:
        self._due.add(service.name)  # reconciled after its timer, as after any other change
        if service.epoch != epoch or service.roles.get(member) is not Role.STARTING:
            return
        if not self.can_serve(member):
            service.roles[member] = Role.OFFLINE
            self._went_down(service, member, f"{member} is down")
            return
        service.roles[member] = Role.ACTIVE
        service.state = ServiceState.ONLINE
        if service.down_since is not None:
            service.downtime_s += self.context.now - service.down_since
            service.down_since = None
        if service.preferred_owners and member == service.preferred_owners[0]:
            service.failback_armed = False  # home: nothing left to fail back
            service.drained_from = None
        host = self.cluster.vms[member].host
        self.context.emit("service_online", service.name,
                          f"{service.name} is online on {member}"
                          + (f" ({host})" if host else ""))

    def _failback_target(self, service: Service) -> str | None:
        """The most preferred owner that can take the service now, if it ranks above the active
        member and a move the cluster made (not an operator) took the service away."""
        if service.failback == "never" or not service.failback_armed:
            return None
        drained = self.cluster.nodes.get(service.drained_from or "")
        if drained is not None and drained.maintenance:
            return None  # back only once the operator ends the maintenance
        ready = [m for m in service.preferred_owners if self.can_take_over(m)]
        if not ready or ready[0] == service.active:
            return None
        active = service.active
        if active in service.preferred_owners and (service.preferred_owners.index(active)
                                                    < service.preferred_owners.index(ready[0])):
            return None
        return ready[0]

    def _consider_failback(self, service: Service) -> None:
        owner = self._failback_target(service)
        if owner is None:
            self._cancel_failback(service)
            return
        if service.failback == "immediate":
            self._planned_move(service, owner, "failing back")
        elif service.name in self._failback:
            return
        elif service.failback == "window":
            wait = service.seconds_to_failback_window(self.context.now)
            if wait == 0:
                start, end = service.failback_window  # type: ignore[misc]
                self._planned_move(service, owner,
                                   f"failing back (window {start:02d}:00-{end:02d}:00)")
            else:
                self._failback[service.name] = self.context.schedule(
                    wait, lambda: self._failback_due(service))
        else:
            self._failback[service.name] = self.context.schedule(
                service.failback_delay_s, lambda: self._failback_due(service, delayed=True))

    def _failback_due(self, service: Service, delayed: bool = False) -> None:
        self._failback.pop(service.name, None)
        self._due.add(service.name)
        if service.state is not ServiceState.ONLINE:
            return
        owner = self._failback_target(service)
        if owner is None:
            return
        if delayed:
            self._planned_move(service, owner,
                               f"failing back after {service.failback_delay_s:.10g} s")
        else:
            self._consider_failback(service)

    def _cancel_failback(self, service: Service) -> None:
        timer = self._failback.pop(service.name, None)
        if timer is not None:
            timer.cancel()

    def move(self, service: Service, member: str, why: str) -> None:
        """A move the cluster makes on the operator's behalf (draining a host that enters
        maintenance): the active member stops, then `member` starts. Like a failover after a
        failure, it arms failback, but failback waits until the drained host leaves
        maintenance, then goes home by the service's failback policy (WSFC: resuming a drained
        node and failing its roles back by policy, Microsoft Learn "Failover Clustering":
        pause and drain, resume)."""
        old = service.active
        self._planned_move(service, member, why)
        service.failback_armed = True
        service.drained_from = self.cluster.vms[old].host if old else None

    def _planned_move(self, service: Service, member: str, why: str) -> None:
        """The active member (if any) stops, then `member` starts; `why` names the cause."""
        self._due.add(service.name)
        self._cancel_failback(service)
        old = service.active
        if old is not None:
            service.roles[old] = Role.PASSIVE
        service.last_lost = old
        self._start(service, member, f"{why} from {old}" if old else why)

    def _on_host(self, member: str) -> str:
        host = self.cluster.vms[member].host
        return f" on {host}" if host else ""

    # -- the command ---------------------------------------------------------------------------

    def _failover(self, command: Command) -> Outcome:
        assert isinstance(command, Failover)
        service = self.cluster.services.get(command.service)
        if service is None:
            return Outcome.refuse(f"no service named {command.service}")
        if service.state is ServiceState.FAILING_OVER and service.starting is not None:
            return Outcome.refuse(f"{service.name} is already failing over to {service.starting}")
        target = self._resolve_target(service, command.target)
        if isinstance(target, Outcome):
            return target
        service.failover_times.clear()  # the operator takes responsibility: the count restarts
        service.failback_armed = False  # and the move sticks: failback never undoes it
        service.drained_from = None
        self._planned_move(service, target, "forced failover")
        return Outcome.ok(f"to {target}")

    def _resolve_target(self, service: Service, wanted: str | None) -> str | Outcome:
        active = service.active
        if wanted is None:
            candidates = self._ranked_candidates(service, exclude=active)
            if not candidates:
                return Outcome.refuse(f"{service.name} has no passive member ready to take over")
            return candidates[0]
        if wanted in service.members:
            member = wanted
        else:
            on_node = [m for m in service.members if self._host_of(m) == wanted]
            if wanted not in self.cluster.nodes:
                return Outcome.refuse(f"{wanted} is neither a member of {service.name} nor a node")
            if not on_node:
                return Outcome.refuse(f"no member of {service.name} runs on {wanted}")
            member = on_node[0]
        if member == active:
            # WSFC: moving a group to the node that owns it leaves it there, without error
            return Outcome.ok(f"{member} is already the active member; nothing to move")
        if not self.can_take_over(member):
            vm: Vm = self.cluster.vms[member]
            where = f" on {vm.host}" if vm.host else ""
            return Outcome.refuse(f"{member}{where} cannot take over: VM {vm.state.value}"
                                  + self._host_note(vm))
        return member

    def _host_of(self, member: str) -> str | None:
        return self.cluster.vms[member].host

    def _host_note(self, vm: Vm) -> str:
        if vm.host is None:
            return ""
        node = self.cluster.nodes[vm.host]
        return "" if placement.usable(node) else f", host {placement.condition(node)}"
