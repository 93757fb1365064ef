"""Membership: heartbeats, failure detection, partitions, quorum and the isolation response.

Heartbeats are not simulated beat by beat (a 1,000-host cluster would spend its time on them). A
beating node's last beat is simply the last multiple of the interval; when a node goes quiet the
gap is recorded and two timers are set, for "suspect" and for "failed". That makes detection exact
and costs nothing while all is well.

Membership is belief only: it learns of crashes, shutdowns, boots and cut links from the world
(`console.model.world`, through `kernel.HostWatch`) and of datastore heartbeats through
`kernel.Observations`. Defaults and the datastore heartbeat follow vSphere HA ("How vSphere HA
Works": failure detection, host isolation, datastore heartbeating); quorum follows Windows
Server failover clustering's node majority with a witness and dynamic quorum.
"""

from __future__ import annotations

import math

from console.model.entities import LOST_STATES, Node, NodeState
from console.model.events import Severity
from console.model.kernel import Context
from console.model.scheduler import Timer

#: States in which the cluster believes a node is up (it may have crashed unnoticed).
SEEN_UP_STATES = frozenset({NodeState.ONLINE, NodeState.ENTERING_MAINTENANCE,
                            NodeState.MAINTENANCE, NodeState.SUSPECT})
#: Beat gaps kept per node for the heartbeat strip.
GAPS_KEPT = 16


class Membership:
    """The cluster's belief about its hosts: implements `kernel.HostWatch` for the world.

    Not a component: it answers no command (faults are injected into the world) and reacts
    only to what the world reports and to its own detection timers."""

    def __init__(self, context: Context) -> None:
        self.context = context
        self.cluster = context.cluster
        self._detection: dict[str, list[Timer]] = {}

    # -- views ---------------------------------------------------------------------------------

    @property
    def interval(self) -> float:
        """Seconds between two network heartbeats."""
        return self.cluster.settings.heartbeat.interval_s

    def last_beat(self, node: Node) -> float | None:
        """Simulated time of the last network heartbeat the cluster received from `node`."""
        if node.silent_since is not None:
            return node.silent_since
        if not node.beating:
            return None
        return math.floor(self.context.now / self.interval + 1e-9) * self.interval

    def beat_strip(self, node: Node, count: int) -> list[bool]:
        """The last `count` beat slots, oldest first: True where the beat arrived."""
        newest = math.floor(self.context.now / self.interval + 1e-9)
        slots = []
        for i in range(newest - count + 1, newest + 1):
            t = i * self.interval
            slots.append(t >= 0 and not any(start < t and (end is None or t < end)
                                            for start, end in node.beat_gaps))
        powered = self.context.world.powered(node)
        if node.state is NodeState.BOOTING or (not powered and not node.beat_gaps):
            return [False] * count
        return slots

    def main_partition(self) -> list[str]:
        """Names of the nodes the cluster hears (the partition it runs in)."""
        return [name for name, node in self.cluster.nodes.items() if node.beating]

    def partitions(self) -> list[list[str]]:
        """The main partition first, then each powered node cut off from it on its own."""
        cut_off = [[name] for name, node in self.cluster.nodes.items()
                   if self.context.world.powered(node) and not node.beating
                   and node.state is not NodeState.BOOTING]
        return [self.main_partition(), *cut_off]

    def votes(self) -> tuple[int, int]:
        """(votes held by the main partition, total votes), witness included."""
        main = self.main_partition()
        witness = 1 if self.cluster.settings.quorum.witness else 0
        total = sum(1 for n in self.cluster.nodes.values() if n.has_vote) + witness
        held = sum(1 for name in main if self.cluster.nodes[name].has_vote)
        return held + (witness if main else 0), total

    def has_quorum(self, partition: list[str]) -> bool:
        """Node majority; the witness, reachable from the main partition only, breaks ties."""
        if not partition:
            return False
        main = partition == self.main_partition()
        witness = 1 if self.cluster.settings.quorum.witness else 0
        total = sum(1 for n in self.cluster.nodes.values() if n.has_vote) + witness
        held = sum(1 for name in partition if self.cluster.nodes[name].has_vote)
        if main:
            held += witness
        if held * 2 > total:
            return True
        if held * 2 == total:
            # A tie: the witness holder wins; without a witness the lowest-named voter does.
            if witness:
                return main
            voters = sorted(name for name, n in self.cluster.nodes.items() if n.has_vote)
            return bool(voters) and voters[0] in partition
        return False

    def main_has_quorum(self) -> bool:
        """Does the main partition hold quorum?"""
        return self.has_quorum(self.main_partition())

    # -- what the world reports ----------------------------------------------------------------

    def crashed(self, node: Node, was_beating: bool) -> None:
        """A crash: silent from now; a host that was already written off is failed at once."""
        node.quorum_lost = False
        if was_beating:
            self._went_quiet(node)
        if node.state is NodeState.ISOLATED:
            self._set_state(node, NodeState.FAILED, "node_failed", Severity.ERROR,
                            f"{node.name} stopped writing datastore heartbeats: failed")
        elif node.state is NodeState.BOOTING:
            self._set_state(node, NodeState.FAILED, "node_failed", Severity.ERROR,
                            f"{node.name} crashed while booting")

    def shut_down(self, node: Node, was_beating: bool, running: int) -> None:
        """A clean shutdown: the cluster knows the host is off and restarts its VMs."""
        node.quorum_lost = False
        if was_beating:
            self._went_quiet(node)
        node.fenced = True
        node.has_vote = False
        self._set_state(node, NodeState.OFFLINE, "node_offline", Severity.WARNING,
                        f"{node.name} shut down cleanly; {running} VMs restart elsewhere")

    def booting(self, node: Node) -> None:
        """`node` was powered on: it is booting, and no longer known to be fenced."""
        node.fenced = False
        self._set_state(node, NodeState.BOOTING, "node_booting", Severity.INFO,
                        f"{node.name} is booting ({node.boot_s:g} s)")

    def booted(self, node: Node, reachable: bool) -> None:
        """A booted host rejoins, or finds itself cut off: isolated, and maybe without quorum."""
        if reachable:
            self._rejoin(node, f"{node.name} booted and rejoined the cluster")
            return
        if node.silent_since is None:
            self._went_quiet(node)
            self._cancel_detection(node)
        self._set_state(node, NodeState.ISOLATED, "node_isolated", Severity.WARNING,
                        f"{node.name} booted but cannot reach the heartbeat network")
        self._apply_quorum_loss()

    def joined(self, node: Node) -> None:
        """A new host that came up online gets load spread onto it."""
        if node.state is NodeState.ONLINE:
            self.context.balancer.spread(f"{node.name} joined the pool")

    def link_cut(self, node: Node) -> None:
        """`node` is up but its heartbeats stop arriving: detection starts."""
        self._went_quiet(node)

    def link_restored(self, node: Node) -> None:
        """`node`'s heartbeats arrive again: it recovers or rejoins."""
        self._beating_again(node)

    # -- node life cycle -----------------------------------------------------------------------

    def _went_quiet(self, node: Node) -> None:
        last = self.last_beat(node)
        if last is None:
            last = self.context.now
        node.silent_since = last
        if not node.beat_gaps or node.beat_gaps[-1][1] is not None:
            node.beat_gaps.append((last, None))
            del node.beat_gaps[:-GAPS_KEPT]
        hb = self.cluster.settings.heartbeat
        epoch = node.epoch
        self._cancel_detection(node)
        self._detection[node.name] = [
            self.context.schedule_at(last + hb.suspect_after_missed * self.interval,
                                     lambda: self._suspect(node, epoch)),
            self.context.schedule_at(last + hb.failed_after_missed * self.interval,
                                     lambda: self._detect(node)),
        ]

    def _cancel_detection(self, node: Node) -> None:
        for timer in self._detection.pop(node.name, []):
            timer.cancel()

    def _beating_again(self, node: Node) -> None:
        self._cancel_detection(node)
        if node.state in LOST_STATES:
            self._rejoin(node, f"{node.name} answers heartbeats again and rejoined the cluster")
            return
        self._close_gap(node)
        if node.state is NodeState.SUSPECT:
            self._set_state(node, self._healthy_state(node), "node_recovered", Severity.INFO,
                            f"{node.name} answers heartbeats again")

    def _close_gap(self, node: Node) -> None:
        if node.beat_gaps and node.beat_gaps[-1][1] is None:
            node.beat_gaps[-1] = (node.beat_gaps[-1][0], self.context.now)
        node.silent_since = None

    def _rejoin(self, node: Node, message: str) -> None:
        self._cancel_detection(node)
        self._close_gap(node)
        node.has_vote = True
        node.quorum_lost = False
        node.fenced = False
        self._set_state(node, self._healthy_state(node), "node_online", Severity.INFO, message)
        self._restore_quorum()

    def _healthy_state(self, node: Node) -> NodeState:
        return NodeState.ENTERING_MAINTENANCE if node.maintenance else NodeState.ONLINE

    def _suspect(self, node: Node, epoch: int) -> None:
        if node.silent_since is None or node.state not in SEEN_UP_STATES:
            return
        missed = self.cluster.settings.heartbeat.suspect_after_missed
        self._set_state(node, NodeState.SUSPECT, "node_suspect", Severity.WARNING,
                        f"{node.name} missed {missed} heartbeats "
                        f"(last at {node.silent_since:.1f} s)")

    def _detect(self, node: Node) -> None:
        """Failure detection time: first every partition without quorum stands down, then the
        main partition declares the silent node failed, or isolated if it still writes
        datastore heartbeats."""
        self._detection.pop(node.name, None)
        if node.silent_since is None or node.state in LOST_STATES:
            return
        self._apply_quorum_loss()
        silence = self.context.now - node.silent_since
        if self.context.world.writes_datastore_heartbeats(node):
            self._set_state(node, NodeState.ISOLATED, "node_isolated", Severity.ERROR,
                            f"{node.name} silent for {silence:g} s but still writes datastore "
                            "heartbeats: isolated, not dead")
        else:
            self._set_state(node, NodeState.FAILED, "node_failed", Severity.ERROR,
                            f"{node.name} missed heartbeats for {silence:g} s: declared failed")
        if self.main_has_quorum():
            node.has_vote = False  # dynamic quorum: the survivors carry on without its vote

    def _apply_quorum_loss(self) -> None:
        for partition in self.partitions():
            if self.has_quorum(partition):
                continue
            for name in partition:
                node = self.cluster.nodes[name]
                if not node.quorum_lost:
                    self._isolation_response(node, partition)

    def _restore_quorum(self) -> None:
        main = self.main_partition()
        if not self.has_quorum(main):
            return
        for name in main:
            node = self.cluster.nodes[name]
            if node.quorum_lost:
                node.quorum_lost = False
                self.context.emit("quorum_regained", name, f"{name} is in the quorum again")

    def _isolation_response(self, node: Node, partition: list[str]) -> None:
        node.quorum_lost = True
        response = self.cluster.settings.quorum.isolation_response
        held = sum(1 for name in partition if self.cluster.nodes[name].has_vote)
        self.context.emit("quorum_lost", node.name,
                          f"{node.name} lost quorum ({held} of {self.votes()[1]} votes); "
                          f"isolation response: {response}", Severity.ERROR)
        self.context.services.stand_down(node)
        if response == "power_off":
            self.context.ha.isolation_power_off(node)
        elif response == "shutdown":
            epoch = node.epoch
            self.context.schedule(self.cluster.settings.quorum.shutdown_s,
                                  lambda: self._shutdown_done(node, epoch))

    def _shutdown_done(self, node: Node, epoch: int) -> None:
        if node.epoch == epoch and node.quorum_lost:
            self.context.ha.isolation_power_off(node)

    def _set_state(self, node: Node, state: NodeState, kind: str, severity: Severity,
                   message: str) -> None:
        node.state = state
        self.context.ha.watch(node)
        self.context.emit(kind, node.name, message, severity)
