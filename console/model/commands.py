"""The command language: one small language, parsed in one place.

Operators type it after `:`, keys build it, drills list it, recordings store it and the headless CLI
takes it with `--do`. Every command is a value (a dataclass whose fields are set once) that knows
its canonical text, so a command that went in by key comes out of a recording as the same words.
"""

from __future__ import annotations

import shlex
from dataclasses import FrozenInstanceError, dataclass, fields
from typing import ClassVar

from console.model.names import name_problem


class CommandError(ValueError):
    """A command line that does not parse; the message says what was expected."""


@dataclass(frozen=True, slots=True)
class Param:
    """One parameter of a command: its field name, what kind of word it takes (the `kind` comment
    lists them) and whether it may be left out."""

    name: str
    kind: str  # node | vm | service | onoff | target | number | count | choice | image |
    #            keyword-node | flag | text (free words, one shell word: quoted on output)
    optional: bool = False
    choices: tuple[str, ...] = ()  # the words a `choice` takes


#: The parameter kinds that hold one name (console.model.names); an `image` holds names
#: joined by "+".
NAME_KINDS = ("node", "vm", "service", "target", "keyword-node", "name")

#: How each command class is declared: a dataclass whose fields are set once
#: (`Command.__setattr__`), its equality, hash and repr `Command`'s, over its fields. Written
#: once rather than generated for each of the commands' classes, as a frozen dataclass's are:
#: that code generation was 15 ms of the console's start.
command = dataclass(eq=False, repr=False)


@command
class Command:
    """A command of the language: the verb, a one-line help, the parameters in order, whether
    read-only mode refuses it (`mutating`: it changes the cluster or the world; a dry run or a
    query does not), whether it is an observation of the real world (`observation`: only a
    source gives one, or a recording that holds one, never an operator) and whether an accepted
    one goes into the event log
    (`logged`), and whether it asks the cluster to act, so that the engine refuses it while no
    partition holds quorum (`needs_quorum`: every operator command to the cluster manager; a
    command that acts on the world itself, such as fault injection, hardware power, a reading
    or the clock, never waits for quorum)."""

    verb: ClassVar[str] = ""
    help: ClassVar[str] = ""
    params: ClassVar[tuple[Param, ...]] = ()
    mutating: ClassVar[bool] = True  # refused in read-only mode
    observation: ClassVar[bool] = False  # a measurement: from a source only, never typed
    logged: ClassVar[bool] = True    # accepted ones appear in the event log (the command log
    #                                  keeps them all)
    needs_quorum: ClassVar[bool] = True  # refused while no partition holds quorum

    def __setattr__(self, name: str, value: object) -> None:
        """A command is a value: each field is set once, by `__init__`. FrozenInstanceError
        (an AttributeError) on setting one again."""
        if name in self.__dict__:
            raise FrozenInstanceError(f"cannot assign to field {name!r}")
        object.__setattr__(self, name, value)

    def __delattr__(self, name: str) -> None:
        raise FrozenInstanceError(f"cannot delete field {name!r}")

    def _values(self) -> tuple:
        return tuple(getattr(self, f.name) for f in fields(self))

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self._values() == other._values()  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash((self.__class__, self._values()))

    def __repr__(self) -> str:
        values = ", ".join(f"{f.name}={getattr(self, f.name)!r}" for f in fields(self))
        return f"{self.__class__.__qualname__}({values})"

    def __post_init__(self) -> None:
        """Every name a command holds follows the one grammar (console.model.names), however
        the command was made: parsed, built by a key, read from a drill or a recording. Raises
        CommandError naming the parameter otherwise."""
        for param in self.params:
            value = getattr(self, param.name)
            if value is None or param.kind not in (*NAME_KINDS, "image"):
                continue
            parts = value.split("+") if param.kind == "image" and isinstance(value, str) \
                else [value]
            for part in parts:
                problem = name_problem(part)
                if problem is not None:
                    where = "each part of IMAGE (joined by '+')" if param.kind == "image" \
                        else param.name.upper()
                    raise CommandError(f"{where} {problem}")

    def text(self) -> str:
        """The canonical text: the verb and the set parameters in order, as `parse` reads them
        back to an equal command (numbers in the short `:g` form when it is exact, else in
        full; a word that needs quotes quoted as the shell would)."""
        words = [self.verb]
        for param in self.params:
            value = getattr(self, param.name)
            if param.kind == "flag":
                if value:
                    words.append(f"--{param.name.replace('_', '-')}")
            elif param.kind == "keyword-node":
                if value is not None:
                    words += ["on", str(value)]
            elif value is not None:
                words.append(_format_value(value))
        return shlex.join(words)

    @classmethod
    def usage(cls) -> str:
        """The usage line: the verb and its parameters, optional ones in brackets."""
        parts = [cls.verb]
        for param in cls.params:
            if param.kind == "flag":
                parts.append(f"[--{param.name.replace('_', '-')}]")
            elif param.kind == "keyword-node":
                parts.append(f"[on {param.name.upper()}]")
            elif param.kind == "onoff":
                parts.append("on|off")
            else:
                word = param.name.upper()
                parts.append(f"[{word}]" if param.optional else word)
        return " ".join(parts)


def _format_value(value: object) -> str:
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, float):
        short = f"{value:g}"
        return short if float(short) == value else repr(value)
    return str(value)


@command
class FailNode(Command):
    """`fail-node NODE`: the node crashes at once; the others notice by missed heartbeats."""

    verb: ClassVar[str] = "fail-node"
    needs_quorum: ClassVar[bool] = False  # acts on the world, not the cluster
    help: ClassVar[str] = "crash a node (it stops at once; the cluster notices by heartbeat)"
    params: ClassVar[tuple[Param, ...]] = (Param("node", "node"),)
    node: str


@command
class PowerOff(Command):
    """`power-off NODE`: a clean shutdown; its VMs restart elsewhere."""

    verb: ClassVar[str] = "power-off"
    needs_quorum: ClassVar[bool] = False  # acts on the world, not the cluster
    help: ClassVar[str] = "shut a node down cleanly; its VMs restart elsewhere"
    params: ClassVar[tuple[Param, ...]] = (Param("node", "node"),)
    node: str


@command
class PowerOn(Command):
    """`power-on NODE`: power a failed, fenced or offline node on; it rejoins after booting."""

    verb: ClassVar[str] = "power-on"
    needs_quorum: ClassVar[bool] = False  # acts on the world, not the cluster
    help: ClassVar[str] = "power a failed, fenced or offline node on; it rejoins after booting"
    params: ClassVar[tuple[Param, ...]] = (Param("node", "node"),)
    node: str


@command
class AddNode(Command):
    """`add-node NODE [TEMPLATE]`: a new host built like TEMPLATE (default: the first host)."""

    verb: ClassVar[str] = "add-node"
    help: ClassVar[str] = "add a host to the pool, built like TEMPLATE (default: the first host)"
    params: ClassVar[tuple[Param, ...]] = (Param("node", "name"),
                                           Param("template", "node", optional=True))
    node: str
    template: str | None = None


@command
class Isolate(Command):
    """`isolate NODE`: cut the node off the heartbeat network; it stays powered."""

    verb: ClassVar[str] = "isolate"
    needs_quorum: ClassVar[bool] = False  # acts on the world, not the cluster
    help: ClassVar[str] = "cut a node off the heartbeat network (it stays powered)"
    params: ClassVar[tuple[Param, ...]] = (Param("node", "node"),)
    node: str


@command
class Reconnect(Command):
    """`reconnect NODE`: give an isolated node its heartbeat network back."""

    verb: ClassVar[str] = "reconnect"
    needs_quorum: ClassVar[bool] = False  # acts on the world, not the cluster
    help: ClassVar[str] = "give an isolated node its heartbeat network back"
    params: ClassVar[tuple[Param, ...]] = (Param("node", "node"),)
    node: str


@command
class Failover(Command):
    """`failover SERVICE [TARGET]`: move the service to a passive member (a member VM or a node)."""

    verb: ClassVar[str] = "failover"
    help: ClassVar[str] = "force a service over to a passive member (a member VM or a node)"
    params: ClassVar[tuple[Param, ...]] = (Param("service", "service"),
                                           Param("target", "target", optional=True))
    service: str
    target: str | None = None


@command
class VmPower(Command):
    """`vm-power VM on|off`: power a VM on or off."""

    verb: ClassVar[str] = "vm-power"
    help: ClassVar[str] = "power a VM on or off"
    params: ClassVar[tuple[Param, ...]] = (Param("vm", "vm"), Param("on", "onoff"))
    vm: str
    on: bool


@command
class SetHaState(Command):
    """`ha-state VM started|stopped|disabled|ignored`: the state HA keeps the VM in, as Proxmox
    VE's HA request state ("High Availability", Proxmox VE Administration Guide): `started` runs
    it and restarts it after failures, `stopped` keeps it off, `disabled` keeps it off and out
    of HA, `ignored` leaves it as it is, unmanaged."""

    verb: ClassVar[str] = "ha-state"
    help: ClassVar[str] = "the state HA keeps a VM in: started, stopped, disabled, ignored"
    params: ClassVar[tuple[Param, ...]] = (
        Param("vm", "vm"),
        Param("state", "choice", choices=("started", "stopped", "disabled", "ignored")))
    vm: str
    state: str


@command
class Relocate(Command):
    """`relocate VM [NODE]`: move a VM by stopping it, moving it and starting it on NODE
    (Proxmox VE's `relocate`); a stopped VM is only moved. Without NODE the balancer picks."""

    verb: ClassVar[str] = "relocate"
    help: ClassVar[str] = "stop a VM, move it and start it on NODE (a stopped VM is only moved)"
    params: ClassVar[tuple[Param, ...]] = (Param("vm", "vm"),
                                           Param("target", "node", optional=True))
    vm: str
    target: str | None = None


@command
class ColdMigrate(Command):
    """`cold-migrate VM [NODE]`: move a stopped VM's registration to another compatible host
    (vSphere's cold migration); without NODE the host with the most room."""

    verb: ClassVar[str] = "cold-migrate"
    help: ClassVar[str] = "move a stopped VM's registration to another compatible host"
    params: ClassVar[tuple[Param, ...]] = (Param("vm", "vm"),
                                           Param("target", "node", optional=True))
    vm: str
    target: str | None = None


@command
class CancelMigration(Command):
    """`cancel-migration VM`: stop a running or queued live migration; the VM stays on its
    source."""

    verb: ClassVar[str] = "cancel-migration"
    help: ClassVar[str] = "cancel a VM's running or queued live migration (it stays on its source)"
    params: ClassVar[tuple[Param, ...]] = (Param("vm", "vm"),)
    vm: str


@command
class VmShutdown(Command):
    """`vm-shutdown VM`: shut a running VM down through its guest (an ACPI power button, as
    libvirt's `virDomainShutdown` and vSphere's "Shut Down Guest OS"); it stops once the guest
    has shut down (the quorum settings' `shutdown_s` in the embedded model). `vm-power VM off`
    is the hard power-off (libvirt's `virDomainDestroy`)."""

    verb: ClassVar[str] = "vm-shutdown"
    help: ClassVar[str] = "shut a VM down through its guest OS (vm-power off cuts its power)"
    params: ClassVar[tuple[Param, ...]] = (Param("vm", "vm"),)
    vm: str


@command
class VmSuspend(Command):
    """`vm-suspend VM`: pause a running VM in memory (libvirt's `virDomainSuspend`): it keeps
    its host and its memory and uses no CPU until `vm-resume`."""

    verb: ClassVar[str] = "vm-suspend"
    help: ClassVar[str] = "pause a running VM in memory (vm-resume continues it)"
    params: ClassVar[tuple[Param, ...]] = (Param("vm", "vm"),)
    vm: str


@command
class VmResume(Command):
    """`vm-resume VM`: continue a paused VM (libvirt's `virDomainResume`)."""

    verb: ClassVar[str] = "vm-resume"
    help: ClassVar[str] = "continue a paused VM"
    params: ClassVar[tuple[Param, ...]] = (Param("vm", "vm"),)
    vm: str


#: The most failures one injection command may arm on a node.
MAX_INJECTED = 1000


@command
class FailStarts(Command):
    """`fail-starts NODE [COUNT]`: the next COUNT VM starts on NODE fail (default 1;
    at most MAX_INJECTED)."""

    verb: ClassVar[str] = "fail-starts"
    needs_quorum: ClassVar[bool] = False  # acts on the world, not the cluster
    help: ClassVar[str] = "make the next COUNT VM starts on a node fail (default 1)"
    params: ClassVar[tuple[Param, ...]] = (Param("node", "node"),
                                           Param("count", "count", optional=True))
    node: str
    count: int = 1


@command
class FailMigrations(Command):
    """`fail-migrations NODE [COUNT]`: the next COUNT live migrations to or from NODE
    fail (default 1; at most MAX_INJECTED)."""

    verb: ClassVar[str] = "fail-migrations"
    needs_quorum: ClassVar[bool] = False  # acts on the world, not the cluster
    help: ClassVar[str] = "make the next COUNT live migrations to or from a node fail (default 1)"
    params: ClassVar[tuple[Param, ...]] = (Param("node", "node"),
                                           Param("count", "count", optional=True))
    node: str
    count: int = 1


@command
class Maintenance(Command):
    """`maintenance NODE on|off [--force]`: enter maintenance mode (evacuate by live migration)
    or leave it; `--force` evacuates even when that breaks HA's failover level."""

    verb: ClassVar[str] = "maintenance"
    help: ClassVar[str] = ("enter (evacuate by live migration) or leave maintenance mode "
                           "(--force: even below the HA failover level)")
    params: ClassVar[tuple[Param, ...]] = (Param("node", "node"), Param("on", "onoff"),
                                           Param("force", "flag"))
    node: str
    on: bool
    force: bool = False


@command
class Migrate(Command):
    """`migrate VM [TARGET]`: live-migrate a running VM; the balancer picks the target if none is
    given."""

    verb: ClassVar[str] = "migrate"
    help: ClassVar[str] = "live-migrate a running VM (the balancer picks the target if none)"
    params: ClassVar[tuple[Param, ...]] = (Param("vm", "vm"),
                                           Param("target", "node", optional=True))
    vm: str
    target: str | None = None


@command
class Rebalance(Command):
    """`rebalance [--dry-run]`: run the load balancer now; with `--dry-run` only recommend."""

    verb: ClassVar[str] = "rebalance"
    help: ClassVar[str] = "run the load balancer now (--dry-run: recommend only)"
    params: ClassVar[tuple[Param, ...]] = (Param("dry_run", "flag"),)
    dry_run: bool = False

    @property
    def mutating(self) -> bool:  # type: ignore[override]
        """A dry run only lists recommendations: it changes nothing, so read-only allows it."""
        return not self.dry_run


@command
class Deploy(Command):
    """`deploy VM IMAGE [on NODE]`: create a VM from a base image plus layers and boot it, streaming
    the image as needed."""

    verb: ClassVar[str] = "deploy"
    help: ClassVar[str] = "create and boot a VM from a base image plus layers, streamed as needed"
    params: ClassVar[tuple[Param, ...]] = (Param("vm", "name"), Param("image", "image"),
                                           Param("host", "keyword-node", optional=True))
    vm: str
    image: str
    host: str | None = None


@command
class PublishImage(Command):
    """`publish-image IMAGE`: publish a new version of a base image; its VMs take it at their next
    restart."""

    verb: ClassVar[str] = "publish-image"
    needs_quorum: ClassVar[bool] = False  # acts on the world, not the cluster
    help: ClassVar[str] = "publish a new version of a base image; its VMs take it at next restart"
    params: ClassVar[tuple[Param, ...]] = (Param("image", "image"),)
    image: str


class Observation(Command):
    """What a source saw of the real world (console.sources): only a source gives one (or a
    recording or journal that holds one), never an operator; read-only mode lets it through,
    and it never waits for quorum: it is what happened, not a request. It is not logged as a
    command: the model logs what it changed (an unchanged state logs nothing)."""

    needs_quorum: ClassVar[bool] = False
    mutating: ClassVar[bool] = False
    observation: ClassVar[bool] = True
    logged: ClassVar[bool] = False  # the model logs what an observation changed, with why


@command
class LocalReading(Observation):
    """A reading of a real host's utilisation: the `--local` machine's psutil reading, or a real
    host's from its source (libvirt's node stats), recorded so that a replay sees it too; the
    event log does not list one a second (the command log and recordings keep them)."""

    verb: ClassVar[str] = "reading"
    help: ClassVar[str] = "set a real node's measured CPU, memory and disk utilisation (0-1)"
    params: ClassVar[tuple[Param, ...]] = (Param("node", "node"), Param("cpu", "number"),
                                           Param("memory", "number"), Param("disk", "number"))
    logged: ClassVar[bool] = False
    node: str
    cpu: float
    memory: float
    disk: float


#: The states a source reports a VM in (`observe-vm`): libvirt's domain states, folded.
OBSERVED_VM_STATES = ("running", "paused", "stopped", "crashed")


@command
class ObserveHost(Observation):
    """`observe-host NODE up|down [REASON]`: the connection to a real host answers again, or
    stopped answering (its keepalive or probe timed out, or it closed); REASON says why."""

    verb: ClassVar[str] = "observe-host"
    help: ClassVar[str] = "a real host's connection answers (up) or stopped answering (down)"
    params: ClassVar[tuple[Param, ...]] = (Param("node", "node"),
                                           Param("state", "choice", choices=("up", "down")),
                                           Param("reason", "text", optional=True))
    node: str
    state: str
    reason: str | None = None


@command
class ObserveVm(Observation):
    """`observe-vm VM running|paused|stopped|crashed [on NODE] [REASON]`: a real VM's state,
    with, after `on`, the host it was seen on (a move made outside the console shows so) and
    the source's reason word (libvirt's: `booted`, `user`, `destroyed`, `migrated`, ...)."""

    verb: ClassVar[str] = "observe-vm"
    help: ClassVar[str] = "a real VM's state (and the host it was seen on)"
    params: ClassVar[tuple[Param, ...]] = (
        Param("vm", "vm"), Param("state", "choice", choices=OBSERVED_VM_STATES),
        Param("node", "keyword-node", optional=True), Param("reason", "text", optional=True))
    vm: str
    state: str
    node: str | None = None
    reason: str | None = None


@command
class ObserveDefined(Observation):
    """`observe-defined VM NODE VCPUS MEMORY_MB DISK_GB`: a VM appeared on a real host
    (defined there), stopped; an `observe-vm` follows when it runs."""

    verb: ClassVar[str] = "observe-defined"
    help: ClassVar[str] = "a VM appeared on a real host (vCPUs, memory in MB, disk in GB)"
    params: ClassVar[tuple[Param, ...]] = (
        Param("vm", "name"), Param("node", "node"), Param("vcpus", "count"),
        Param("memory_mb", "number"), Param("disk_gb", "number"))
    vm: str
    node: str
    vcpus: int
    memory_mb: float
    disk_gb: float


@command
class ObserveUndefined(Observation):
    """`observe-undefined VM`: a VM was removed from its real host (undefined there)."""

    verb: ClassVar[str] = "observe-undefined"
    help: ClassVar[str] = "a VM was removed from its real host"
    params: ClassVar[tuple[Param, ...]] = (Param("vm", "vm"),)
    vm: str


@command
class ObserveMigration(Observation):
    """`observe-migration VM ROUND REMAINING_MB DOWNTIME_MS`: the progress of a VM's running
    live migration as its migration job reports it (libvirt's `virDomainGetJobStats`: the
    pre-copy iteration, memory still to copy in MB, the expected switchover downtime in ms)."""

    verb: ClassVar[str] = "observe-migration"
    help: ClassVar[str] = "a real live migration's progress (round, MB remaining, downtime ms)"
    params: ClassVar[tuple[Param, ...]] = (
        Param("vm", "vm"), Param("round", "count"), Param("remaining_mb", "number"),
        Param("downtime_ms", "number"))
    vm: str
    round: int
    remaining_mb: float
    downtime_ms: float


@command
class ObserveMigrated(Observation):
    """`observe-migrated VM NODE`: a VM's live migration switched over; it now runs on NODE."""

    verb: ClassVar[str] = "observe-migrated"
    help: ClassVar[str] = "a real live migration switched over: the VM runs on NODE"
    params: ClassVar[tuple[Param, ...]] = (Param("vm", "vm"), Param("node", "node"))
    vm: str
    node: str


@command
class ObserveActionFailed(Observation):
    """`observe-action-failed VM ACTION REASON`: what the console asked of a real host for VM
    (ACTION: the command's verb, e.g. `vm-suspend`, `migrate`) failed there; REASON is the
    host's own message. A pending start or migration of VM ends with it."""

    verb: ClassVar[str] = "observe-action-failed"
    help: ClassVar[str] = "an action on a real VM failed on its host, with the host's reason"
    params: ClassVar[tuple[Param, ...]] = (Param("vm", "vm"), Param("action", "name"),
                                           Param("reason", "text"))
    vm: str
    action: str
    reason: str


@command
class VmReading(Observation):
    """`vm-reading VM CPU MEM DISK`: a real VM's measured utilisation, fractions 0-1: of its
    vCPUs, of its memory, and the share of time its disks were busy."""

    verb: ClassVar[str] = "vm-reading"
    help: ClassVar[str] = "set a real VM's measured CPU, memory and disk utilisation (0-1)"
    params: ClassVar[tuple[Param, ...]] = (Param("vm", "vm"), Param("cpu", "number"),
                                           Param("memory", "number"), Param("disk", "number"))
    vm: str
    cpu: float
    memory: float
    disk: float


#: The fastest simulated clock a session accepts (simulated seconds per real second).
MAX_SPEED = 3600.0


@command
class Speed(Command):
    """`speed FACTOR`: simulated seconds per real second (above 0, at most MAX_SPEED); a clock
    command."""

    verb: ClassVar[str] = "speed"
    needs_quorum: ClassVar[bool] = False  # acts on the world, not the cluster
    help: ClassVar[str] = "simulated seconds per real second"
    params: ClassVar[tuple[Param, ...]] = (Param("factor", "number"),)
    mutating: ClassVar[bool] = False
    factor: float


@command
class Pause(Command):
    """`pause`: stop the simulated clock; a clock command."""

    verb: ClassVar[str] = "pause"
    needs_quorum: ClassVar[bool] = False  # acts on the world, not the cluster
    help: ClassVar[str] = "stop the simulated clock"
    mutating: ClassVar[bool] = False


@command
class Resume(Command):
    """`resume`: restart the simulated clock; a clock command."""

    verb: ClassVar[str] = "resume"
    needs_quorum: ClassVar[bool] = False  # acts on the world, not the cluster
    help: ClassVar[str] = "restart the simulated clock"
    mutating: ClassVar[bool] = False


#: Commands for the console's simulated clock: the engine never sees them; recordings store
#: them as `clock` lines and headless runs skip them.
CLOCK_COMMANDS: tuple[type[Command], ...] = (Speed, Pause, Resume)

COMMANDS: dict[str, type[Command]] = {
    cls.verb: cls
    for cls in (FailNode, PowerOff, PowerOn, AddNode, Isolate, Reconnect, Failover, VmPower,
                VmShutdown, VmSuspend, VmResume, SetHaState, Relocate, ColdMigrate,
                CancelMigration, FailStarts, FailMigrations, Maintenance, Migrate, Rebalance,
                Deploy, PublishImage, LocalReading, ObserveHost, ObserveVm, ObserveDefined,
                ObserveUndefined, ObserveMigration, ObserveMigrated, ObserveActionFailed,
                VmReading, Speed, Pause, Resume)
}


def parse(line: str) -> Command:
    """Parse one command line; raise CommandError naming what was wrong and the usage."""
    try:
        words = shlex.split(line)
    except ValueError as error:
        raise CommandError(f"cannot read {line!r}: {error}") from None
    if not words:
        raise CommandError("empty command")
    verb, *args = words
    cls = COMMANDS.get(verb)
    if cls is None:
        raise CommandError(f"unknown command {verb!r}; known: {', '.join(sorted(COMMANDS))}")
    try:
        return cls(**_bind(cls, args))
    except CommandError as error:
        raise CommandError(f"{error}; usage: {cls.usage()}") from None


def _bind(cls: type[Command], args: list[str]) -> dict[str, object]:
    values: dict[str, object] = {}
    flags = {f"--{p.name.replace('_', '-')}": p for p in cls.params if p.kind == "flag"}
    positional: list[str] = []
    for arg in args:
        if arg in flags:
            values[flags[arg].name] = True
        elif arg.startswith("--"):
            raise CommandError(f"unknown option {arg}")
        else:
            positional.append(arg)
    for param in cls.params:
        if param.kind == "flag":
            continue
        if param.kind == "keyword-node":
            if positional[:1] == ["on"]:
                if len(positional) < 2:
                    raise CommandError("'on' needs a node name")
                values[param.name] = positional[1]
                positional = positional[2:]
            continue
        if not positional:
            if param.optional:
                continue
            raise CommandError(f"missing {param.name.upper()}")
        values[param.name] = _convert(param, positional.pop(0))
    if positional:
        raise CommandError(f"unexpected {' '.join(positional)!r}")
    names = {f.name for f in fields(cls)}
    return {k: v for k, v in values.items() if k in names}


def _convert(param: Param, word: str) -> object:
    if param.kind == "onoff":
        if word not in ("on", "off"):
            raise CommandError(f"{param.name.upper()} must be on or off, got {word!r}")
        return word == "on"
    if param.kind == "choice":
        if word not in param.choices:
            raise CommandError(f"{param.name.upper()} must be one of "
                               f"{', '.join(param.choices)}, got {word!r}")
        return word
    if param.kind == "count":
        if not word.isdigit() or not 1 <= int(word) <= MAX_INJECTED:
            raise CommandError(f"{param.name.upper()} must be a whole number from 1 to "
                               f"{MAX_INJECTED}, got {word!r}")
        return int(word)
    if param.kind == "number":
        try:
            number = float(word)
        except ValueError:
            raise CommandError(f"{param.name} must be a number, got {word!r}") from None
        if number != number or number < 0:
            raise CommandError(f"{param.name} must be a non-negative number, got {word!r}")
        return number
    return word
