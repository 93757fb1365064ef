"""The kernel every behaviour builds on: outcomes, handlers, components, and what a behaviour sees.

A behaviour (HA, services, migration, maintenance, balancer, images, readings; the world too) is a
component: it answers some commands (`handlers`) and reacts to the cluster's state after each
command and timer (`reconcile`). Every behaviour, membership included, is given a `Context`, never
the engine that wires it: the clock, the event log, the cluster, and typed access to the few peers
it really asks something of.

Truth apart from belief, after pve-ha-manager (`src/PVE/HA/Env.pm`, whose HA logic talks only to
an environment that is either the real cluster, `Env/PVE2.pm`, or the simulator's hardware,
`Sim/Hardware.pm`): the behaviours hold the cluster's *belief* and make its *decisions*; they act
on the hosts and VMs only through an `Actuator` and read power and datastore heartbeats only
through `Observations`. `console.model.world.World` is the simulated environment; a real source
(libvirt) can implement the same two protocols. (They still read `Node.heard`, which membership
keeps from the world's power and links, and the images a host holds, from the entities.)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from console.model.cluster import Cluster
from console.model.commands import Command
from console.model.entities import Image, Node, Service, Vm
from console.model.events import Severity
from console.model.precopy import Migration
from console.model.scheduler import Timer
from console.model.workloads import Workloads


@dataclass(frozen=True, slots=True)
class Outcome:
    """A command's answer: accepted (with an optional note) or refused with a reason."""

    accepted: bool
    reason: str = ""

    @classmethod
    def ok(cls, note: str = "") -> Outcome:
        """Accepted; `note` (may be empty) is shown after the command in the event log."""
        return cls(True, note)

    @classmethod
    def refuse(cls, reason: str) -> Outcome:
        """Refused because of `reason`; a refused command changes nothing."""
        return cls(False, reason)


Handler = Callable[[Command], Outcome]

#: The one reason a command to the cluster is refused while no partition holds quorum
#: (`Command.needs_quorum`, `Quorum.has_quorum`); the engine checks it before any handler.
NO_QUORUM = "the cluster has no quorum"


class Component(Protocol):
    """A behaviour: the commands it answers, and its reaction to the current state."""

    def handlers(self) -> dict[type[Command], Handler]:
        """Command type -> the handler that answers it (each type answered by one component)."""
        ...

    def reconcile(self) -> None:
        """React to the cluster as it now is; run after every command and every timer."""
        ...


# -- the environment: how decisions reach the hosts, and what the hosts show -------------------


class Actuator(Protocol):
    """What the deciding behaviours do to hosts and VMs (pve-ha-manager's `Env` commands)."""

    def start_vm(self, vm: Vm, ready_in_s: float, running: Callable[[], None],
                 failed: Callable[[str], None]) -> None:
        """Boot `vm` on its host once its disk is there (in `ready_in_s` simulated seconds),
        calling `running` when the guest runs, or `failed` with the reason the power-on did
        not succeed. The caller has placed the VM already."""
        ...

    def stop_vm(self, vm: Vm) -> None:
        """Power `vm` off now (an operator's request); its host must be reachable."""
        ...

    def suspend_vm(self, vm: Vm) -> None:
        """Pause running `vm` in memory (libvirt's suspend): `paused` on its host."""
        ...

    def resume_vm(self, vm: Vm) -> None:
        """Continue paused `vm` (libvirt's resume): running again where it was."""
        ...

    def shutdown_vm(self, vm: Vm, stopped: Callable[[], None],
                    failed: Callable[[str], None]) -> None:
        """Ask `vm`'s guest to shut down (an ACPI power button); `stopped` once it is off
        (the VM is `stopped` then), `failed` with the reason if its host refused. Its host
        must be reachable."""
        ...

    def stream_image(self, node: Node, image: Image, arrived: Callable[[], None]) -> float:
        """Stream the current version of `image` to `node`, after what its link is already
        streaming; returns the simulated time it will be there. Once there (if the host is
        still up) the host holds it and `arrived` is called."""
        ...

    def fence(self, node: Node) -> None:
        """Power `node` off out of band (IPMI, PDU); returns once it is confirmed off."""
        ...

    def reset(self, node: Node) -> None:
        """`node`'s own watchdog resets it (it lost quorum and could not renew its HA lock):
        off from now, its VMs with it."""
        ...

    def migrate(self, migration: Migration, switched_over: Callable[[], None],
                failed: Callable[[str], None]) -> None:
        """Live-migrate `migration.vm` from `migration.source` to `migration.target`, keeping
        `migration`'s progress current; call `switched_over` once the VM runs on the target,
        or `failed` with the reason it cannot finish."""
        ...

    def abandon_migration(self, migration: Migration) -> None:
        """Cancel a running migration; neither callback is called after this."""
        ...


class Observations(Protocol):
    """What the cluster can observe of the hardware besides network heartbeats; `version` is a
    counter bumped on every change of a host's power, boot or network link and on a host
    joining, so that what follows from them (the partitions and the quorum) is worked out again
    only when it moves."""

    version: int

    def powered(self, node: Node) -> bool:
        """Is the host powered on (a power controller's reading)?"""
        ...

    def booting(self, node: Node) -> bool:
        """Is the host powered on but still booting (on no network yet)?"""
        ...

    def writes_datastore_heartbeats(self, node: Node) -> bool:
        """Does the host still write heartbeats to the shared datastore (vSphere HA's second
        channel, which tells an isolated host from a dead one)?"""
        ...


class Actuations(Protocol):
    """Where an observed cluster's actions go: the real hosts (a source, console.sources).

    For a cluster whose truth is observed (`[cluster] truth = "observed"`), the model changes
    nothing of the world itself: each action the cluster takes (an operator's `vm-suspend`,
    `migrate`, ..., or a migration an evacuation issues) is handed over as the command that
    says it, and its result comes back as observation commands (`observe-vm`,
    `observe-migrated`, `observe-action-failed`, ...), which a recording keeps. Without a sink
    (a replay, a resume, a follower) the recorded observations bring the results."""

    def act(self, command: Command) -> None:
        """Carry `command` out on the real hosts; returns at once (the outcome is observed)."""
        ...


class Environment(Actuator, Observations, Protocol):
    """The hardware as the behaviours know it: an actuator plus observations."""


# -- the peers, as the behaviours that ask them something see them -----------------------------


class Quorum(Protocol):
    """Membership as the deciding behaviours see it."""

    def has_quorum(self) -> bool:
        """Does some partition hold quorum, so the cluster (that partition's view) may decide
        and act? (`Membership.quorum_partition`: the one answer.)"""
        ...

    def detection_s(self, node: Node) -> float:
        """Seconds of silence before `node` is declared lost."""
        ...

    def fenced(self, node: Node) -> None:
        """HA's fence of lost `node` completed: the cluster knows it is off (failed, fenced)."""
        ...


class HostWatch(Quorum, Protocol):
    """Membership as the environment sees it: what it is told when a host's truth changes."""

    def crashed(self, node: Node) -> None:
        """`node` lost power without warning (its VMs are already reported down)."""
        ...

    def shut_down(self, node: Node, running: int) -> None:
        """`node` shut down cleanly, announcing it; `running` VMs were not stopped then."""
        ...

    def booting(self, node: Node) -> None:
        """`node` was powered on and is booting."""
        ...

    def booted(self, node: Node, reachable: bool, new: bool = False) -> None:
        """`node` finished booting; `reachable`: it is on the heartbeat network; `new`: it was
        just added to the pool (it joins rather than rejoins)."""
        ...

    def joined(self, node: Node) -> None:
        """A new host added to the pool has finished booting."""
        ...

    def link_cut(self, node: Node) -> None:
        """`node`'s heartbeats stopped arriving (it is up, cut off the network)."""
        ...

    def link_restored(self, node: Node) -> None:
        """`node`'s heartbeats arrive again."""
        ...


class Recovery(Protocol):
    """High availability as its peers see it."""

    def watch(self, node: Node) -> None:
        """`node`'s VMs may need HA's attention at the next reconcile."""
        ...

    def vm_down(self, vm: Vm, why: str) -> None:
        """An unplanned outage of `vm` (its host crashed, was fenced, ...)."""
        ...

    def host_back(self, node: Node) -> None:
        """The quorum side hears `node` again: a fence still under way is moot."""
        ...

    def isolation_power_off(self, node: Node, vms: list[Vm]) -> None:
        """`node`'s isolation response powered `vms` off, and the cluster learnt it (datastore
        heartbeat, or the host heard again)."""
        ...

    def admission_refusal(self, vm: Vm) -> str | None:
        """Why starting `vm` would leave too little failover room, or None."""
        ...

    def boot(self, vm: Vm, target: Node, message: str) -> None:
        """Start `vm` (off, not pending) on `target`, which `placement.allowed` accepted; a
        failed start is retried elsewhere as any HA start is."""
        ...


class ServiceRoles(Protocol):
    """The clustered services as their peers see them."""

    def stand_down(self, node: Node) -> None:
        """Members on `node`, which lost quorum, stop serving at once."""
        ...

    def can_take_over(self, member: str) -> bool:
        """Could the member VM named `member` become active now?"""
        ...

    def on_host(self, node: Node) -> list[Service]:
        """The services with a member VM on `node`, in cluster order."""
        ...

    def recheck(self) -> None:
        """Something every service may read changed outside what they watch (a host left
        maintenance): reconcile them all at the next pass."""
        ...

    def move(self, service: Service, member: str, why: str) -> None:
        """A move of `service` to `member` that the cluster makes (a maintenance drain): unlike
        an operator's failover, failback may bring the service home afterwards."""
        ...


class InFlight(Protocol):
    """A migration as the balancer sees it: which VM, from which host, to which."""

    @property
    def vm(self) -> str:
        """The migrating VM's name."""
        ...

    @property
    def source(self) -> str:
        """The host it leaves."""
        ...

    @property
    def target(self) -> str:
        """The host it goes to."""
        ...


class MigrationQueue(Protocol):
    """Live migration as its peers see it."""

    @property
    def active(self) -> Mapping[str, InFlight]:
        """VM name -> its running migration."""
        ...

    @property
    def queued(self) -> Sequence[InFlight]:
        """Migrations waiting for a host's concurrency limit, in order."""
        ...

    def is_moving(self, vm: str) -> bool:
        """Is the VM named `vm` migrating or queued to?"""
        ...

    def refusal(self, vm: Vm, target: Node) -> str | None:
        """Why `vm` cannot live-migrate to `target` now, or None."""
        ...

    def start(self, vm: Vm, target: Node, reason: str) -> None:
        """Begin (or queue) a migration `refusal` has allowed."""
        ...


class Placer(Protocol):
    """The load balancer as its peers see it."""

    def choose_target(self, vm: Vm, exclude: tuple[str, ...] = ()) -> Node | None:
        """The least loaded host that may take `vm` now (hosts in `exclude` aside), or None."""
        ...

    def spread(self, why: str) -> None:
        """Run a pass now because of `why`, applying moves if automation is full."""
        ...


class Streaming(Protocol):
    """Image streaming as HA sees it."""

    def prepare_restart(self, vm: Vm, node: Node) -> float:
        """Seconds before `vm`'s disk is ready on `node` (streams what the host lacks)."""
        ...


class Context(Protocol):
    """What a behaviour sees of the engine that wires it. The engine implements it."""

    @property
    def cluster(self) -> Cluster:
        """The entities, with the belief the behaviours keep on them."""
        ...

    @property
    def workloads(self) -> Workloads:
        """VM demand over simulated time."""
        ...

    @property
    def now(self) -> float:
        """Simulated time, seconds since the run started."""
        ...

    def emit(self, kind: str, subject: str, message: str,
             severity: Severity = Severity.INFO) -> None:
        """Log an event now; raises ValueError for a kind not in events.EVENT_KINDS."""
        ...

    def schedule(self, delay: float, action: Callable[[], None]) -> Timer:
        """Run `action` after `delay` simulated seconds, then reconcile every component."""
        ...

    def schedule_at(self, t: float, action: Callable[[], None]) -> Timer:
        """Like `schedule`, at simulated time `t`."""
        ...

    def schedule_quietly_at(self, t: float, action: Callable[[], None]) -> Timer:
        """Run `action` at simulated time `t` with no reconcile after it: for work that
        changes no state (filling a cache ahead of time)."""
        ...

    @property
    def world(self) -> Environment:
        """The hardware: act on it, observe it."""
        ...

    @property
    def membership(self) -> HostWatch:
        """Heartbeats and quorum."""
        ...

    @property
    def ha(self) -> Recovery:
        """Restarts, fencing, admission control."""
        ...

    @property
    def services(self) -> ServiceRoles:
        """Clustered services."""
        ...

    @property
    def migrations(self) -> MigrationQueue:
        """Live migrations."""
        ...

    @property
    def balancer(self) -> Placer:
        """Load balancing and initial placement."""
        ...

    @property
    def images(self) -> Streaming:
        """Image streaming."""
        ...
