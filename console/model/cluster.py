"""The cluster: its entities plus the few mutators through which every placement change goes.

CPU and memory in use per host are kept as running totals (a 1,000-host cluster cannot afford to
re-add 20,000 VMs per placement). They stay right because VM state, host and migration target only
change through `set_state`, `set_host` (or `place_new`, a file's first placement) and
`set_target`; the invariant checker recomputes the totals from scratch and fails the tests if
anything bypasses them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from operator import attrgetter

from console.model.entities import (
    CONSUMING_STATES,
    HaGroup,
    Image,
    Node,
    NodeState,
    Rule,
    Service,
    Vm,
    VmState,
)
from console.model.settings import Settings

_NAME = attrgetter("name")
#: Entries `Cluster.change_log` holds at most before it is cut.
CHANGE_LOG_MAX = 4096


@dataclass
class Cluster:
    """Every entity of one cluster by name, its settings, and the registry of where each VM is.

    The registry (hosts' VM sets, the pending queue, per-host vCPU and memory totals) changes only
    through `add_vm`, `set_state`, `set_host` (`place_new`) and `set_target`; a host's state,
    hearing and quorum (what makes it usable) only through `set_condition`.
    """

    name: str
    settings: Settings = field(default_factory=Settings)
    nodes: dict[str, Node] = field(default_factory=dict)
    vms: dict[str, Vm] = field(default_factory=dict)
    services: dict[str, Service] = field(default_factory=dict)
    pending: list[str] = field(default_factory=list)  # VMs waiting for capacity to restart
    vm_hypervisor: dict[str, str] = field(default_factory=dict)  # disk format: fixed at creation
    anti_affine: dict[str, set[str]] = field(default_factory=dict)
    member_of: dict[str, str] = field(default_factory=dict)  # VM -> clustered service
    traces: dict[str, tuple[float, ...]] = field(default_factory=dict)  # CPU traces by name
    rules: list[Rule] = field(default_factory=list)
    images: dict[str, Image] = field(default_factory=dict)
    groups: dict[str, HaGroup] = field(default_factory=dict)  # HA groups by name (`Vm.group`)
    description: str = ""
    #: The cluster's truth is observed (`[cluster] truth = "observed"`): real hosts, whose
    #: state enters as observation commands (console.model.observed), not simulated ones.
    observed: bool = False
    #: VMs removed since the cluster was built (`remove_vm`): a reader that tells new VMs by
    #: their count (console.model.history) looks for them by name once this moves.
    vms_removed: int = 0
    #: Per host: bumped whenever a VM starts or stops holding a place there (state, host or
    #: target change). Lets per-host sums (the balancer's loads) be cached and redone only
    #: for the hosts that changed.
    changes: dict[str, int] = field(default_factory=dict)
    #: The host of each bump of `changes`, in order; entry i is bump number `change_base + i`.
    #: A reader keeps how far it read, so it finds what changed without a scan of every host;
    #: the log is cut at CHANGE_LOG_MAX entries (a reader left behind the cut scans `changes`).
    change_log: list[str] = field(default_factory=list)
    change_base: int = 0
    #: VMs with a migration target (in flight between two hosts), kept by `set_target`.
    in_flight: set[str] = field(default_factory=set)
    #: Node names in cluster order (the order they were added) and each name's position in it,
    #: kept by `add_node`, so a pane finds a row by position or by name without an index of its
    #: own.
    node_order: list[str] = field(init=False, default_factory=list)
    node_positions: dict[str, int] = field(init=False, default_factory=dict)
    #: Hosts whose charge (vCPUs, memory in use) changed or that were added since the
    #: placement index (console.model.host_order) last caught up; it empties the set.
    recharged: set[str] = field(init=False, default_factory=set)
    #: Bumped by `add_node` and `set_condition`, through which every write of a host's `state`,
    #: `heard` or `quorum_lost` (what `placement.usable` reads) goes once the cluster is built:
    #: a cache of the usable hosts keys on it instead of reading every host again.
    conditions: int = field(init=False, default=0, repr=False, compare=False)
    #: The placement index's state (console.model.host_order.HostOrder), made on first use.
    host_order: object = field(init=False, default=None, repr=False, compare=False)
    _rules_by_vm: dict[str, list[Rule]] = field(init=False, default_factory=dict, repr=False,
                                               compare=False)
    _rules_indexed: int = field(init=False, default=0, repr=False, compare=False)

    def __post_init__(self) -> None:
        for name in self.nodes:
            self.node_positions[name] = len(self.node_order)
            self.node_order.append(name)

    # -- registration -------------------------------------------------------------------------

    def add_node(self, node: Node) -> None:
        """Register a host under its name (replacing any of that name, in its place)."""
        if node.name not in self.nodes:
            self.node_positions[node.name] = len(self.node_order)
            self.node_order.append(node.name)
        self.nodes[node.name] = node
        self.recharged.add(node.name)
        self.conditions += 1

    def set_condition(self, node: Node, *, state: NodeState | None = None,
                      heard: bool | None = None, quorum_lost: bool | None = None) -> None:
        """Write what the cluster believes of `node`: those of its state, whether it is heard
        and whether it lost quorum that are given; bump `conditions`."""
        if state is not None:
            node.state = state
        if heard is not None:
            node.heard = heard
        if quorum_lost is not None:
            node.quorum_lost = quorum_lost
        self.conditions += 1

    def local_node(self) -> Node | None:
        """The machine the console runs on (`--local`), if it joined the cluster."""
        return next((node for node in self.nodes.values() if node.local), None)

    def add_vm(self, vm: Vm, hypervisor: str | None) -> None:
        """Register a VM; its host (if any) is charged for it from now on. A VM not placed yet
        has no disk format (`hypervisor` None) until its first host fixes it."""
        self.vms[vm.name] = vm
        if hypervisor is not None:
            self.vm_hypervisor[vm.name] = hypervisor
        self._note_anti_affinity(vm)
        if vm.host is not None:
            self.nodes[vm.host].vms.add(vm.name)
        else:
            self.pending.append(vm.name)
        self._charge(vm, +1)

    def remove_vm(self, vm: Vm) -> str | None:
        """Take `vm` out of the cluster (a real VM undefined on its host): its place, its host's
        charge, its disk format and its anti-affinities go with it. Refused (the reason
        returned, nothing changed) while a clustered service or a rule names it, or while it
        is migrating; None when removed."""
        if vm.name in self.member_of:
            return f"{vm.name} is a member of service {self.member_of[vm.name]}"
        named = self.rules_of(vm.name)
        if named:
            return f"{vm.name} is named by rule {named[0].name}"
        if vm.target is not None:
            return f"{vm.name} is migrating"
        self._charge(vm, -1)
        if vm.host is not None:
            self.nodes[vm.host].vms.discard(vm.name)
        elif vm.name in self.pending:
            self.pending.remove(vm.name)
        del self.vms[vm.name]
        self.vm_hypervisor.pop(vm.name, None)
        for other in self.anti_affine.pop(vm.name, set()):
            peers = self.anti_affine.get(other)
            if peers is not None:
                peers.discard(vm.name)
                if not peers:
                    del self.anti_affine[other]
        self.vms_removed += 1
        return None

    def add_vms(self, vms: list[Vm]) -> None:
        """Register `vms` as `add_vm` would one after the other, each VM with a host on its
        host's hypervisor (its disk format), one without a host queued; the charges and their
        counters (`changes`, `change_log`) come out the same, worked out in one pass (a
        40,000-VM file)."""
        self.vms.update(zip(map(_NAME, vms), vms, strict=True))
        nodes, hypervisors, consuming = self.nodes, self.vm_hypervisor, CONSUMING_STATES
        charged: list[str] = []  # each charge's host, in order
        for vm in vms:
            if vm.anti_affinity:
                self._note_anti_affinity(vm)
            host = vm.host
            if host is None:
                self.pending.append(vm.name)
                continue
            node = nodes[host]
            hypervisors[vm.name] = node.hypervisor
            node.vms.add(vm.name)
            if vm.state in consuming:
                for name in (host, vm.target) if vm.target is not None else (host,):
                    node = nodes[name]
                    node.used_vcpus += vm.vcpus
                    node.used_memory_gb += vm.memory_gb
                    charged.append(name)
        self._log_charges(charged)

    def _note_anti_affinity(self, vm: Vm) -> None:
        """`vm` and each VM it must not share a host with, anti-affine both ways (no entry for a
        VM without: 40,000 empty sets)."""
        for other in vm.anti_affinity:
            self.anti_affine.setdefault(vm.name, set()).add(other)
            self.anti_affine.setdefault(other, set()).add(vm.name)

    def _log_charges(self, charged: list[str]) -> None:
        """Count a charge of each host in `charged` (in order, a host once per charge): its
        `changes`, the `change_log` (cut to its last entries each time it is full) and
        `recharged`."""
        changes, log = self.changes, self.change_log
        for name in charged:  # (one or two names a call, but for `add_vms`)
            changes[name] = changes.get(name, 0) + 1
        if len(log) + len(charged) > CHANGE_LOG_MAX:  # cut at each full log
            total = self.change_base + len(log) + len(charged)
            kept = (total - 1) % CHANGE_LOG_MAX + 1
            log[:] = (log + charged)[-kept:]
            self.change_base = total - kept
        else:
            log += charged
        self.recharged.update(charged)

    def add_service(self, service: Service) -> None:
        """Register a clustered service; its members become anti-affine to each other."""
        self.services[service.name] = service
        for member in service.members:
            self.member_of[member] = service.name
            siblings = set(service.members) - {member}
            self.anti_affine.setdefault(member, set()).update(siblings)

    def add_rule(self, rule: Rule) -> None:
        """Must anti-affinity joins the per-VM sets every placement already checks."""
        self.rules.append(rule)
        if rule.kind == "anti-affinity" and rule.strength == "must":
            for vm in rule.vms:
                self.anti_affine.setdefault(vm, set()).update(set(rule.vms) - {vm})

    def rules_of(self, vm: str) -> list[Rule]:
        """The rules naming VM `vm`, in cluster order (an index of `rules`, caught up when
        rules were appended since it was last read)."""
        if self._rules_indexed != len(self.rules):
            if self._rules_indexed > len(self.rules):
                self._rules_by_vm, self._rules_indexed = {}, 0
            for rule in self.rules[self._rules_indexed:]:
                for name in dict.fromkeys(rule.vms):
                    self._rules_by_vm.setdefault(name, []).append(rule)
            self._rules_indexed = len(self.rules)
        return self._rules_by_vm.get(vm, [])

    # -- the only ways placement changes ------------------------------------------------------

    def set_state(self, vm: Vm, state: VmState) -> None:
        """Change a VM's state, moving its charge on its host(s) with it; bumps `vm.epoch`."""
        if vm.state is state:
            return
        self._charge(vm, -1)
        vm.state = state
        vm.epoch += 1
        self._charge(vm, +1)

    def set_host(self, vm: Vm, host: str | None) -> None:
        """Move a VM's registration; `None` puts it in the pending queue."""
        if vm.host is not None or vm.target is not None:  # else it holds no place to give up
            self._charge(vm, -1)
        if vm.host is not None:
            self.nodes[vm.host].vms.discard(vm.name)
        elif vm.name in self.pending:
            self.pending.remove(vm.name)
        vm.host = host
        if host is not None:
            self.nodes[host].vms.add(vm.name)
        else:
            self.pending.append(vm.name)
        self._charge(vm, +1)

    def place_new(self, vm: Vm, host: str, charges: list[str] | None = None) -> None:
        """Put a VM that holds no place yet (no host or target, not in the pending queue) on
        `host`, its disk format that host's hypervisor: `set_host` for the first placement of
        a cluster file's VMs, with its charge counted as `set_host` counts it; or, given
        `charges`, the host charged appended to it, for `count_charges` to count later (many
        placements in a row, counted at once)."""
        node = self.nodes[host]
        self.vm_hypervisor[vm.name] = node.hypervisor
        vm.host = host
        node.vms.add(vm.name)
        if vm.state in CONSUMING_STATES:
            node.used_vcpus += vm.vcpus
            node.used_memory_gb += vm.memory_gb
            if charges is None:
                self._log_charges([host])
            else:
                charges.append(host)

    def count_charges(self, charges: list[str]) -> None:
        """Count the charges `place_new` noted in `charges` (in order) as it would have counted
        each as it was made: `changes`, `change_log` and `recharged` come out the same."""
        self._log_charges(charges)

    def set_target(self, vm: Vm, target: str | None) -> None:
        """Set (or clear, with None) the host a VM is migrating to; it is charged there too."""
        self._charge(vm, -1)
        vm.target = target
        if target is None:
            self.in_flight.discard(vm.name)
        else:
            self.in_flight.add(vm.name)
        self._charge(vm, +1)

    def _charge(self, vm: Vm, sign: int) -> None:
        if vm.state not in CONSUMING_STATES:
            return
        host, target = vm.host, vm.target
        if target is None:
            if host is None:
                return
            charged = [host]
        else:
            charged = [target] if host is None else [host, target]
        vcpus, memory, nodes = sign * vm.vcpus, sign * vm.memory_gb, self.nodes
        for name in charged:
            node = nodes[name]
            node.used_vcpus += vcpus
            node.used_memory_gb += memory
        self._log_charges(charged)

    # -- capacity ------------------------------------------------------------------------------

    def vcpu_capacity(self, node: Node) -> int:
        """Whole vCPUs `node` may hold: its cores times the CPU overcommit ratio, rounded down
        (a VM's vCPUs are whole, so 12.5 holds what 12 holds; sums over hosts, as admission
        control makes them, count only vCPUs a host can run)."""
        return math.floor(node.cores * self.settings.ha.cpu_overcommit + 1e-9)

    def memory_capacity(self, node: Node) -> float:
        """GB of VM memory `node` may hold: its memory times the memory overcommit ratio."""
        return node.memory_gb * self.settings.ha.memory_overcommit

    def fits(self, vm: Vm, node: Node) -> bool:
        """Would `vm` (its vCPUs and GB) fit on `node` within both capacities now?"""
        return (node.used_vcpus + vm.vcpus <= self.vcpu_capacity(node)
                and node.used_memory_gb + vm.memory_gb <= self.memory_capacity(node) + 1e-9)

    def vms_on(self, node: Node) -> list[Vm]:
        """A node's VMs in name order (sets do not iterate in a stable order across runs)."""
        return [self.vms[name] for name in sorted(node.vms)]
