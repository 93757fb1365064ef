"""Real hosts through libvirt (`cluster-console --connect URI ...`): one connection a node.

The source discovers the hosts and their domains (`LibvirtPool.open`), builds the session's
cluster from them as an *observed* cluster (console.sources.libvirt_cluster: the model's truth
then changes only through observations), and once started turns everything libvirt reports
(lifecycle events, definitions, stats as rates, migration job progress, a connection lost or
back) into observation commands submitted on the session's thread (`post`; a host's stats
pass, thousands of domains perhaps, as one post): so the journal
and a recording of a real session hold every observation, and replay it exactly with no
libvirt. The connection's heartbeat is the node's: `observe-host NODE down` stops its
heartbeats, and the cluster declares it suspect, then failed, on its own timers.

Safety: real hosts are read-only unless the console was started with `--allow-actions`
(`refusal`, the session's `capability`); with it, what the model accepts goes to libvirt
through `act` (console.model.kernel.Actuations) and the result comes back as observations,
libvirt's own refusals as `observe-action-failed` with its reason. What no real host can do
from a console (crash, isolate, power a host) is refused with the reason, and so is a change
of the clock: real hosts keep real time. URIs are shown redacted everywhere
(libvirt_client.redact_uri).
"""

from __future__ import annotations

from collections.abc import Sequence

from console.errors import InputError
from console.formats.cluster import parse_cluster
from console.formats.cluster.write import cluster_text
from console.formats.toml import ConfigError
from console.model.cluster import Cluster
from console.model.commands import (
    CLOCK_COMMANDS,
    CancelMigration,
    ColdMigrate,
    Command,
    LocalReading,
    Maintenance,
    Migrate,
    ObserveActionFailed,
    ObserveDefined,
    ObserveHost,
    ObserveMigrated,
    ObserveMigration,
    ObserveUndefined,
    ObserveVm,
    VmPower,
    VmReading,
    VmResume,
    VmShutdown,
    VmSuspend,
)
from console.model.entities import Node
from console.model.observed import REFUSALS
from console.session import OBSERVATION, Session
from console.sources.base import Post
from console.sources.libvirt_client import (
    ActionFailed,
    DomainDefined,
    DomainFacts,
    DomainState,
    DomainStats,
    DomainUndefined,
    HostFacts,
    HostReachable,
    HostStats,
    LibvirtPool,
    MigrationDone,
    MigrationProgress,
    Observation,
    Readings,
    redact_uri,
)
from console.sources.libvirt_cluster import Names, name_everything, observed_cluster_text

#: Why a change is refused without `--allow-actions`.
READ_ONLY = ("real hosts are read-only: start the console with --allow-actions to act on "
             "them")
#: Why the clock cannot change: the model's timers (heartbeats) must keep the hosts' time.
REAL_TIME = "real hosts keep real time: the clock runs at x1"
#: The client's verb for each action the model hands over (`act`).
_VERBS: dict[type[Command], str] = {
    VmShutdown: "vm-shutdown", VmSuspend: "vm-suspend", VmResume: "vm-resume",
    Migrate: "migrate", CancelMigration: "cancel-migration", ColdMigrate: "cold-migrate",
}
#: Stats are rounded to this many decimals: the journal and recordings stay short.
_DIGITS = 3
#: A reading is submitted only when one of its figures moved by at least this much (a
#: fraction) since the last one submitted for that host or VM: an idle cluster of a thousand
#: VMs does not write a thousand journal entries a second that change nothing.
READING_STEP = 0.01


class LibvirtSource:
    """The hosts at `uris` (libvirt connection URIs, one a node) as a session's source.

    `allow_actions` lets mutating commands through to libvirt (else every one is refused,
    `READ_ONLY`); `pool` is the libvirt pool to use (default one over `uris` with
    `timeout_s` seconds for every libvirt call); `name` and `description` are the cluster's
    (a `[[connections]]` file's `[cluster]`; default "libvirt" and a count of what was found).
    `discover` connects (raising the client's ConnectError or LibvirtMissing), `build` gives
    the observed cluster, `text` the cluster file it was built from (what a recording
    embeds), `export_text` a simulated copy."""

    def __init__(self, uris: Sequence[str], *, allow_actions: bool = False,
                 pool: LibvirtPool | None = None, timeout_s: float = 5.0,
                 name: str | None = None, description: str | None = None) -> None:
        self.uris = list(uris)
        self.name = name
        self.description = description
        self.allow_actions = allow_actions
        self.pool = pool if pool is not None else LibvirtPool(self.uris, timeout_s=timeout_s)
        self.found: list[tuple[HostFacts, list[DomainFacts]]] = []
        self.names = Names()
        self._hosts: dict[str, str] = {}  # model node name -> the pool's host name
        self._session: Session | None = None
        self._readings: dict[str, tuple[float, float, float]] = {}  # last submitted, by name
        self._stopped = False
        self._defined: dict[str, set[str]] = {}  # VM -> the hosts (pool names) defining it
        self._facts: dict[str, DomainFacts] = {}  # VM -> what libvirt last told of it
        self._asked: dict[str, str] = {}  # libvirt name -> the VM last acted on by that name

    @property
    def title(self) -> str:
        """One line naming the connections, secrets redacted."""
        return "Real hosts through libvirt: " + ", ".join(redact_uri(u) for u in self.uris)

    # -- the cluster ----------------------------------------------------------------------------

    def discover(self) -> list[tuple[HostFacts, list[DomainFacts]]]:
        """Connect to every host and list its domains (once); names them for the model."""
        if not self.found:
            self.found = self.pool.open()
            self.names = name_everything(self.found)
            self._hosts = {node: host for host, node in self.names.node.items()}
            for host, domains in self.found:
                for domain in domains:
                    vm = self.names.vm[(host.name, domain.name)]
                    self._defined.setdefault(vm, set()).add(host.name)
                    self._facts[vm] = domain
        return self.found

    @property
    def text(self) -> str:
        """The observed cluster's file text (connects first if needed)."""
        return observed_cluster_text(self.discover(), self.names, title=self.title,
                                     name=self.name, description=self.description)

    def export_text(self) -> str:
        """The real cluster as a cluster file of the simulated kind (`cluster-console
        export`): its hosts and VMs as discovered, the model's defaults for HA, the balancer
        and the rest, so drills run on a faithful copy."""
        cluster = self.build()
        cluster.observed = False
        assumed = Node(name="", hypervisor="kvm")
        for node in cluster.nodes.values():  # a simulated host needs them: the defaults
            node.disks_gb = node.disks_gb or assumed.disks_gb
            node.nics_gbps = node.nics_gbps or assumed.nics_gbps
        return cluster_text(cluster, header=f"{self.title}\nexported as a simulated cluster: "
                                            "drills and simulate run on it (disks and NICs a "
                                            "host does not report: the model's defaults)")

    def build(self) -> Cluster:
        """The observed cluster of the real hosts (connects first if needed). Raises InputError
        (one line, naming the connections) when what they hold is beyond what the model's
        cluster file takes (a limit of its format)."""
        try:
            return parse_cluster(self.text, "libvirt")
        except ConfigError as error:
            hosts = ", ".join(redact_uri(uri) for uri in self.uris)
            raise InputError(f"the real hosts at {hosts} do not fit the model: {error.key}: "
                             f"{error.message}") from None

    # -- what it can do -------------------------------------------------------------------------

    def supports(self, command: Command) -> bool:
        """Whether the real hosts can carry `command` out now (`refusal` says why not)."""
        return self.refusal(command) is None

    def refusal(self, command: Command) -> str | None:
        """Why `command` is refused on real hosts, or None: the clock keeps real time, some
        changes are no console's to make (said first: --allow-actions would not help), any
        other change needs --allow-actions, and a host's driver may not do an action at all
        (the test driver cannot migrate, say)."""
        if isinstance(command, CLOCK_COMMANDS):
            return REAL_TIME
        if not command.mutating:
            return None
        reason = REFUSALS.get(type(command))  # no console's to make, with or without leave
        if reason is not None:
            return reason
        if not self.allow_actions:
            return READ_ONLY
        if isinstance(command, Maintenance):
            return self._maintenance_refusal(command) if command.on else None
        verb = self._verb(command)
        if verb is None:
            return None
        host = self._host_of(getattr(command, "vm", None))
        return self.pool.supports(verb, host) if host is not None else self._nowhere(verb)

    def _maintenance_refusal(self, command: Maintenance) -> str | None:
        """Why a host cannot be evacuated: its VMs move by live migration, which its driver
        may not do (a host without a running VM needs none)."""
        host = self._hosts.get(command.node)
        if host is None:
            why = self._nowhere("migrate")
        elif not self._holds_running(command.node):
            return None
        else:
            why = self.pool.supports("migrate", host)
        return None if why is None else f"maintenance evacuates by live migration: {why}"

    def _holds_running(self, node: str) -> bool:
        if self._session is None:
            return True
        cluster = self._session.engine.cluster
        return any(cluster.vms[name].state.value != "stopped"
                   for name in cluster.nodes[node].vms if name in cluster.vms)

    def _nowhere(self, verb: str) -> str | None:
        """The reason when no connected host can carry out `verb` (the first host's), else None
        (asked for no VM in particular: a key's capability)."""
        reasons = [self.pool.supports(verb, host) for host in self.names.node]
        return reasons[0] if reasons and all(reasons) else None

    # -- running --------------------------------------------------------------------------------

    def start(self, session: Session, post: Post) -> None:
        """Tell `session` what the real hosts allow and where they are, hand it the actions
        (with --allow-actions), and feed it libvirt's observations through `post`."""
        self._session = session
        session.capability = self.refusal
        session.real_hosts = {self.names.node[host.name]: host.uri for host, _ in self.found}
        if self.allow_actions:
            session.engine.actuations = self
        for host, domains in self.found:  # a crash is not a starting state: it is observed
            for domain in domains:
                if domain.state == "crashed":
                    self._submit(self._vm_state(host.name, domain.name, "crashed",
                                                domain.reason))

        def emit(observation: Observation) -> None:
            if self._stopped:
                return
            try:
                post(lambda: self.observe(observation))
            except RuntimeError:  # the session's thread has gone (the console quit)
                self.stop()

        self._stopped = False
        self.pool.start(emit)

    def stop(self) -> None:
        """Stop observing and close the connections; at once, safe twice."""
        self._stopped = True
        self.pool.stop()

    def act(self, command: Command) -> None:
        """Carry an accepted `command` out on the real hosts (kernel.Actuations); returns at
        once. What follows comes back as observations (a failure with libvirt's reason)."""
        verb = self._verb(command)
        vm = getattr(command, "vm", None)
        host = self._host_of(vm)
        if verb is None or vm is None or host is None:
            return
        target = getattr(command, "target", None)
        domain = self.names.domain.get(vm, vm)
        self._asked[domain] = vm
        self.pool.act(verb, domain, host,
                      None if target is None else self._hosts.get(target, target))

    def observe(self, observation: Observation) -> None:
        """Submit what libvirt reported as the observation commands that say it (on the
        session's thread); one about a host or domain the model does not know is dropped."""
        for command in self.commands_for(observation):
            self._submit(command)

    def commands_for(self, observation: Observation) -> list[Command]:
        """The observation commands that say `observation` in the model's names."""
        names = self.names
        node_of = names.node.get
        if isinstance(observation, HostReachable):
            node = node_of(observation.host)
            return [] if node is None else [
                ObserveHost(node, "up" if observation.up else "down",
                            observation.reason or None)]
        if isinstance(observation, DomainDefined):
            return self._defined_on(observation.host, observation.domain)
        if isinstance(observation, DomainState):
            return self._state_on(observation)
        if isinstance(observation, DomainUndefined):
            return self._undefined_on(observation.host, observation.name)
        if isinstance(observation, HostStats):
            node = node_of(observation.host)
            figures = self._moved(node, observation)
            return [] if node is None or figures is None else [LocalReading(node, *figures)]
        if isinstance(observation, DomainStats):
            vm = names.vm.get((observation.host, observation.name))
            figures = self._moved(vm, observation)
            return [] if vm is None or figures is None else [VmReading(vm, *figures)]
        if isinstance(observation, Readings):
            self._say_period(observation)
            figures = () if observation.figures is None else (observation.figures,)
            return [command for stats in (*figures, *observation.domains)
                    for command in self.commands_for(stats)]
        if isinstance(observation, MigrationProgress):
            vm = self._asked_vm(observation.name)
            return [] if vm is None else [ObserveMigration(
                vm, max(1, observation.round), round(max(0.0, observation.remaining_mb), 1),
                round(max(0.0, observation.downtime_ms), 1))]
        if isinstance(observation, MigrationDone):
            vm, node = self._asked_vm(observation.name), node_of(observation.target)
            return [] if vm is None or node is None else [ObserveMigrated(vm, node)]
        if isinstance(observation, ActionFailed):
            vm = self._asked_vm(observation.name)
            return [] if vm is None else [ObserveActionFailed(
                vm, observation.verb, observation.reason or "no reason given")]
        return []

    # -- where domains are defined ------------------------------------------------------------

    def _defined_on(self, host: str, domain: DomainFacts) -> list[Command]:
        """A domain appeared on `host` (defined, or seen there first): a new VM, or a known
        one now defined there too (an offline move's target: it moves there once stopped)."""
        node = self.names.node.get(host)
        if node is None:
            return []
        vm = self.names.name_vm(host, domain)
        self._facts[vm] = domain
        self._defined.setdefault(vm, set()).add(host)
        where = self._model_host(vm)
        if self._model_knows(vm) and where == node:
            return []  # its definition changed where it is
        commands: list[Command] = [self._defined_command(vm, node, domain)]
        if domain.state != "stopped":
            commands.append(self._vm_state(host, domain.name, domain.state, domain.reason))
        return commands

    def _state_on(self, observation: DomainState) -> list[Command]:
        """A domain's state on a host; a copy stopped on a host the VM has left (a migration's
        or an offline move's source) says nothing of the VM."""
        vm = self.names.vm.get((observation.host, observation.name))
        if vm is None:
            return []
        node = self.names.node.get(observation.host)
        if observation.state == "stopped" and self._model_host(vm) not in (None, node):
            return []
        return [self._vm_state(observation.host, observation.name, observation.state,
                               observation.reason)]

    def _undefined_on(self, host: str, domain: str) -> list[Command]:
        """A domain was removed from `host`: the VM is gone once no host defines it; if it
        was on `host` in the model but another host still defines it (an offline move), it
        moves there."""
        vm = self.names.vm.get((host, domain))
        if vm is None:
            return []
        defined = self._defined.setdefault(vm, set())
        defined.discard(host)
        if not defined:
            return [ObserveUndefined(vm)] if self._model_knows(vm) else []
        node = self.names.node.get(host)
        if self._model_host(vm) != node:
            return []
        elsewhere = self.names.node[sorted(defined)[0]]
        return [self._defined_command(vm, elsewhere, self._facts[vm])]

    @staticmethod
    def _defined_command(vm: str, node: str, domain: DomainFacts) -> Command:
        return ObserveDefined(vm, node, max(1, domain.vcpus), float(domain.memory_mb),
                              round(domain.disk_gb, 1))

    def _asked_vm(self, domain: str) -> str | None:
        """The VM a report about libvirt name `domain` is about: the one last acted on by that
        name, else the only VM of that name."""
        if domain in self._asked:
            return self._asked[domain]
        called = self.names.vms_called(domain)
        return called[0] if len(called) == 1 else None

    def _model_knows(self, vm: str) -> bool:
        return self._session is not None and vm in self._session.engine.cluster.vms

    # -- helpers --------------------------------------------------------------------------------

    def _say_period(self, readings: Readings) -> None:
        """Tell the operator how old a VM's figures may be (Session.readings, shown in the
        host's details): the host's are read at every pass, each VM once a period."""
        node = self.names.node.get(readings.host)
        if self._session is None or node is None:
            return
        interval, period = self.pool.stats_interval_s, readings.period_s
        vms = f"{readings.active:,} active VM{'' if readings.active == 1 else 's'}"
        self._session.readings[node] = (
            f"host every {interval:g} s, its {vms} " + (
                f"in turn, each every {period:g} s (a VM's figures are as old as that)"
                if period > interval else f"every {period:g} s"))

    def _moved(self, name: str | None,
               stats: HostStats | DomainStats) -> tuple[float, float, float] | None:
        """`stats`' figures (fractions, rounded) when one moved by READING_STEP or more since
        the last submitted for `name` (or none was), else None."""
        if name is None:
            return None
        figures = (_fraction(stats.cpu), _fraction(stats.memory), _fraction(stats.disk))
        last = self._readings.get(name)
        if last is not None and all(round(abs(a - b), _DIGITS) < READING_STEP
                                    for a, b in zip(figures, last, strict=True)):
            return None
        self._readings[name] = figures
        return figures

    def _vm_state(self, host: str, domain: str, state: str, reason: str) -> Command:
        return ObserveVm(self.names.vm[(host, domain)], state, self.names.node.get(host),
                         reason or None)

    def _submit(self, command: Command) -> None:
        if self._session is not None:
            self._session.submit(command, source=OBSERVATION)

    @staticmethod
    def _verb(command: Command) -> str | None:
        if isinstance(command, VmPower):
            return "vm-power-on" if command.on else "vm-power-off"
        return _VERBS.get(type(command))

    def _model_host(self, vm: str) -> str | None:
        """The node `vm` is on in the model (None: unknown, no host, or not started)."""
        if self._session is None:
            return None
        found = self._session.engine.cluster.vms.get(vm)
        return None if found is None else found.host

    def _host_of(self, vm: str | None) -> str | None:
        """The pool's name of the host `vm` is on in the model, or None."""
        if vm is None or self._session is None:
            return None
        found = self._session.engine.cluster.vms.get(vm)
        if found is None or found.host is None:
            return None
        return self._hosts.get(found.host)


def _fraction(value: float) -> float:
    return round(min(max(value, 0.0), 1.0), _DIGITS)

