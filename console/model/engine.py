"""The engine: virtual clock, event log and the single door commands come through.

It wires the components: the simulated hardware (`world`) and the behaviours (membership, HA,
services, migrations, maintenance, balancer, images, readings, relocation). Each registers
handlers for its commands and a `reconcile` step; the engine runs every component's reconcile
after each command and after each timer, so a behaviour reacts to the state of the cluster
rather than to a web of callbacks between behaviours. The engine is the `kernel.Context` every
component is given; the components are its public attributes (`engine.membership`,
`engine.ha`, ...) for its readers.
"""

from __future__ import annotations

from collections.abc import Callable

from console.model import placement
from console.model.balancer import Balancer
from console.model.cluster import Cluster
from console.model.commands import Command
from console.model.entities import NodeState
from console.model.events import KNOWN_KINDS, Event, EventLog, Severity
from console.model.fork import FORK_LIMIT_VMS, fork
from console.model.groups import GroupFailback
from console.model.guest_power import GuestPower
from console.model.ha import HighAvailability
from console.model.history import History
from console.model.images import ImageStreaming
from console.model.kernel import NO_QUORUM, Actuations, Component, Handler, Outcome
from console.model.maintenance import MaintenanceMode
from console.model.membership import Membership
from console.model.migration import Migrations
from console.model.observed import ObservedWorld, observe_settings
from console.model.readings import Readings
from console.model.relocation import Relocation
from console.model.scheduler import Scheduler, Timer
from console.model.seeds import seed_problem
from console.model.services import ServiceManager
from console.model.workloads import Workloads
from console.model.world import World


class Engine:
    """Owns time and the event log; every change of state enters through `submit`.

    `seed` makes workloads (console.model.workloads) repeatable: the same cluster, seed and
    commands give the same event log byte for byte; it is an integer from 0 to
    `console.model.seeds.MAX_SEED` (ValueError otherwise). `read_only` refuses every mutating
    command.
    """

    def __init__(self, cluster: Cluster, seed: int = 0, *, read_only: bool = False) -> None:
        problem = seed_problem(seed)
        if problem is not None:
            raise ValueError(f"seed {problem}")
        self.cluster = cluster
        self.seed = seed
        self.clock = Scheduler()
        self.log = EventLog()
        self.read_only = read_only
        #: Where an observed cluster's actions go (`kernel.Actuations`: a real source); None in
        #: a simulation, a replay, a resume, a follower and every fork.
        self.actuations: Actuations | None = None
        self.command_log: list[tuple[float, Command]] = []
        self._handlers: dict[type[Command], Handler] = {}
        self._components: list[Component] = []
        self._reconciling = False
        self._reconcile_wanted = False
        self._held: list[Event] | None = None
        self.workloads = Workloads(seed, cluster.traces)
        if cluster.observed:
            observe_settings(cluster)
        self.world: World | ObservedWorld = (
            ObservedWorld(self, lambda: self.actuations) if cluster.observed else World(self))
        self.membership = Membership(self)
        self.ha = HighAvailability(self)
        self.services = ServiceManager(self)
        self.migrations = Migrations(self)
        self.maintenance = MaintenanceMode(self)
        self.balancer = Balancer(self)
        self.images = ImageStreaming(self)
        self.readings = Readings(self)
        self.relocation = Relocation(self)
        self.group_failback = GroupFailback(self)
        self.guest_power = GuestPower(self)
        for component in (self.world, self.ha, self.services, self.migrations,
                          self.maintenance, self.balancer, self.images, self.readings,
                          self.relocation, self.group_failback, self.guest_power):
            self.add_component(component)
        if cluster.observed:  # real hosts answer before the simulated behaviours do
            self._handlers.update(self.world.handlers())
        self.history = History(self, self.readings)  # samples utilisation; no events, no reconcile
        self._announce_start()

    def _announce_start(self) -> None:
        """At time 0, what the cluster starts with besides hosts up and rules kept: each host
        that starts powered off or in maintenance (`world.start_node`), and each `must` rule
        its VMs break (`placement.broken_rules`; a warning: HA and the balancer repair them)."""
        if self.cluster.observed:
            self.emit("observed", "cluster",
                      "the hosts are real and observed: HA restarts are off (their hosts have "
                      "no HA manager), the balancer only proposes, and their VMs' load is "
                      "read, not simulated")
        for node in self.cluster.nodes.values():
            if not node.powered:
                then = " and enters maintenance" if node.maintenance else ""
                self.emit("node_offline", node.name,
                          f"{node.name} starts powered off; power-on boots it "
                          f"({node.boot_s:g} s){then}")
            elif node.state is NodeState.MAINTENANCE:
                self.emit("node_maintenance", node.name, f"{node.name} starts in maintenance")
        for broken in placement.broken_rules(self.cluster):
            self.emit("rule_broken", broken.subject, f"at start, {broken.message}",
                      Severity.WARNING)

    # -- wiring --------------------------------------------------------------------------------

    def add_component(self, component: Component) -> None:
        """Register `component`: its handlers answer their commands, and it reconciles after
        every command and timer, in the order components were added.
        """
        self._components.append(component)
        self._handlers.update(component.handlers())

    def summaries(self) -> list[dict[str, object]]:
        """Extra sections for the run summary from components that have something to say."""
        found = [c.summary() for c in self._components if hasattr(c, "summary")]
        return [section for section in found if section]

    @property
    def now(self) -> float:
        """Simulated time, seconds since the run started."""
        return self.clock.now

    # -- events --------------------------------------------------------------------------------

    def emit(self, kind: str, subject: str, message: str,
             severity: Severity = Severity.INFO) -> None:
        """Log an event of `kind` about `subject` now (held back while a command runs, so the
        command's own event comes first); raises ValueError for a kind not in events.EVENT_KINDS.
        """
        if kind not in KNOWN_KINDS:
            raise ValueError(f"unknown event kind {kind!r}: add it to events.EVENT_KINDS")
        event = Event(self.clock.now, kind, subject, severity, message)
        if self._held is not None:
            self._held.append(event)
        else:
            self.log.append(event)

    # -- commands ------------------------------------------------------------------------------

    def submit(self, command: Command) -> Outcome:
        """Run a command now; a refusal is logged with its reason and changes nothing.

        The command's own event is logged before its consequences, which the handler emitted
        while it ran: they are held back until the outcome is known. A command to the cluster
        (`Command.needs_quorum`) is refused here, for every command alike, while no partition
        holds quorum (`Membership.has_quorum`).
        """
        held: list[Event] = []
        self._held = held
        try:
            outcome = self._gate(command)
            if outcome is None:
                outcome = self._handlers[type(command)](command)
        finally:
            self._held = None
        self.command_log.append((self.clock.now, command))
        if outcome.accepted:
            note = f" ({outcome.reason})" if outcome.reason else ""
            if command.logged:
                self.emit("command", _subject(command), f"{command.text()}{note}")
            for event in held:
                self.log.append(event)
            self.reconcile()
        else:
            self.emit("refused", _subject(command), f"{command.text()}: {outcome.reason}",
                      Severity.WARNING)
        return outcome

    def _gate(self, command: Command) -> Outcome | None:
        """The refusals every command meets before its handler: read-only, no quorum, no handler.
        None when the handler is to answer."""
        if self.read_only and command.mutating:
            return Outcome.refuse("read-only mode: changes are disabled")
        if command.needs_quorum and not self.membership.has_quorum():
            return Outcome.refuse(NO_QUORUM)
        if type(command) not in self._handlers:
            return Outcome.refuse(f"{command.verb} is not handled by the model")
        return None

    def check(self, *commands: Command) -> Outcome:
        """What `submit` would answer to `commands`, given in turn now, without changing
        anything: they are submitted to a fork of the engine (console.model.fork), so the answer
        comes from the same code as the real one; the first refusal, else the last acceptance.
        Above `FORK_LIMIT_VMS` VMs only the refusals every command meets (read-only, no quorum)
        are checked, and an acceptance says so in its note."""
        if len(self.cluster.vms) > FORK_LIMIT_VMS:
            for command in commands:
                refused = self._gate(command)
                if refused is not None:
                    return refused
            return Outcome.ok(f"not tried ahead: more than {FORK_LIMIT_VMS} VMs")
        trial = fork(self)
        outcome = Outcome.ok()
        for command in commands:
            outcome = trial.submit(command)
            if not outcome.accepted:
                return outcome
        return outcome

    def submit_at(self, t: float, command: Command) -> Outcome:
        """Bring the clock to `t` (firing every timer due before then) and submit `command`.

        The one contract for when a command lands, in every mode (drills, `--do`, replays and
        the live console): the commands given at an instant land first, in the order given,
        and that instant's timers run after them. The live console advances with `run_before`
        for the same reason, so a replay reproduces a live session's log.
        """
        if t > self.clock.now:
            self.clock.run_before(t)
        return self.submit(command)

    # -- time ----------------------------------------------------------------------------------

    def schedule(self, delay: float, action: Callable[[], None]) -> Timer:
        """Run `action` after `delay` simulated seconds, then reconcile every component."""

        def fire() -> None:
            action()
            self.reconcile()

        return self.clock.after(delay, fire)

    def schedule_at(self, t: float, action: Callable[[], None]) -> Timer:
        """Like `schedule`, at an absolute simulated time."""
        return self.schedule(t - self.clock.now, action)

    def schedule_quietly_at(self, t: float, action: Callable[[], None]) -> Timer:
        """Run `action` at simulated time `t`, with no reconcile after it (cache work)."""
        return self.clock.at(t, action)

    def advance(self, seconds: float) -> None:
        """Move the clock `seconds` simulated seconds on, firing every timer due meanwhile."""
        self.clock.run_until(self.clock.now + seconds)

    def run_until(self, t: float) -> None:
        """Move the clock to simulated time `t`, firing every timer due by then."""
        self.clock.run_until(t)

    def run_before(self, t: float) -> None:
        """Move the clock to simulated time `t`, firing every timer due before then; the
        timers due at `t` wait, so commands submitted now land before them (see `submit_at`)."""
        self.clock.run_before(t)

    def reconcile(self) -> None:
        """Let every component react to the current state until nothing more changes.

        Re-entrant calls (a component's reconcile causing another) only ask for one more pass.
        """
        if self._reconciling:
            self._reconcile_wanted = True
            return
        self._reconciling = True
        try:
            for _ in range(10):
                self._reconcile_wanted = False
                for component in self._components:
                    component.reconcile()
                if not self._reconcile_wanted:
                    break
        finally:
            self._reconciling = False


def _subject(command: Command) -> str:
    for name in ("node", "vm", "service"):
        value = getattr(command, name, None)
        if isinstance(value, str):
            return value
    return "cluster"
