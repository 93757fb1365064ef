"""Membership: heartbeats, failure detection, partitions, quorum and the isolation response.

Heartbeats are not simulated beat by beat (a 1,000-host cluster would spend its time on them). A
beating node's last beat is simply the last multiple of the interval; when a node goes quiet the
gap is recorded and two timers are set, for "suspect" and for "failed". That makes detection exact
and costs nothing while all is well.

Membership is belief only: it learns of crashes, shutdowns, boots and cut links from the world
(`console.model.world`, through `kernel.HostWatch`) and of datastore heartbeats through
`kernel.Observations`. Defaults and the datastore heartbeat follow vSphere HA ("How vSphere HA
Works": failure detection, host isolation, datastore heartbeating). Quorum has one answer,
`Membership.quorum_partition`, whose rules the settings choose per profile: no votes among hosts
(vSphere HA); node majority with a witness, dynamic quorum and witness and a tie breaker
(Windows Server failover clustering); static corosync votes and a watchdog (Proxmox VE).
"""

from __future__ import annotations

import math
from collections.abc import Hashable
from dataclasses import dataclass

from console.model.entities import (
    CONSUMING_STATES,
    LOST_STATES,
    Node,
    NodeState,
    Priority,
    Vm,
    ha_managed,
)
from console.model.events import Severity
from console.model.kernel import Context
from console.model.scheduler import Timer
from console.model.settings import QuorumSettings

#: States in which the cluster believes a node is up (it may have crashed unnoticed).
SEEN_UP_STATES = frozenset({NodeState.ONLINE, NodeState.ENTERING_MAINTENANCE,
                            NodeState.MAINTENANCE, NodeState.SUSPECT})
#: Beat gaps kept per node for the heartbeat strip.
GAPS_KEPT = 16


def isolation_response_of(vm: Vm, quorum: QuorumSettings) -> str:
    """What an isolated host does with `vm`: its own isolation response, else the cluster's; a
    VM whose HA restart priority is disabled is left alone ("leave_powered_on"), as vSphere HA
    does ("vSphere Availability": VM Overrides, host isolation response)."""
    if vm.priority is Priority.DISABLED:
        return "leave_powered_on"
    return vm.isolation_response or quorum.isolation_response


@dataclass(frozen=True, slots=True)
class QuorumView:
    """The quorum at one moment, as `Membership` caches it: the `partitions` (host names; the
    one on the heartbeat network first), the one holding quorum (`chosen`, or None), the one
    whose view is the cluster's belief (`observed`, and its names as the set `heard`), the
    hosts whose vote counts (`voters`), the witness's votes (0 or 1), the `total_votes` and
    the votes the observed partition holds (`observed_votes`)."""

    partitions: tuple[tuple[str, ...], ...]
    chosen: tuple[str, ...] | None
    observed: tuple[str, ...]
    heard: frozenset[str]
    voters: frozenset[str]
    witness_votes: int
    total_votes: int
    observed_votes: int


class Membership:
    """The cluster's belief about its hosts: implements `kernel.HostWatch` for the world.

    Not a component: it answers no command (faults are injected into the world) and reacts
    only to what the world reports and to its own detection timers."""

    def __init__(self, context: Context) -> None:
        self.context = context
        self.cluster = context.cluster
        self._detection: dict[str, list[Timer]] = {}
        # VMs an isolated host powered off that the cluster has not learnt of yet, by host
        self._switched_off: dict[str, list[str]] = {}
        self._votes_version = 0
        self._quorum_key: tuple[object, ...] | None = None
        self._quorum_view = QuorumView((), None, (), frozenset(), frozenset(), 0, 0, 0)
        dynamic = self.cluster.settings.quorum.dynamic_quorum
        for node in self.cluster.nodes.values():
            if dynamic and not context.world.powered(node):
                node.has_vote = False  # only dynamic quorum takes a vote from a host that is off
        heard = self._quorum().heard
        for node in self.cluster.nodes.values():
            self.cluster.set_condition(node, heard=node.name in heard)

    # -- views ---------------------------------------------------------------------------------

    @property
    def interval(self) -> float:
        """Seconds between two network heartbeats."""
        return self.cluster.settings.heartbeat.interval_s

    def last_beat(self, node: Node) -> float | None:
        """Simulated time of the last network heartbeat the cluster received from `node`."""
        if node.silent_since is not None:
            return node.silent_since
        if not node.heard:
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

    def partitions(self) -> list[list[str]]:
        """The connected pieces of the heartbeat network: the powered hosts on it first (when
        there are any), then each powered host cut off from it, on its own. Booting hosts are
        in none."""
        return [list(partition) for partition in self._quorum().partitions]

    def quorum_partition(self) -> list[str] | None:
        """THE partition that holds quorum, or None: the one answer every behaviour asks.

        Hosts that vote (Windows Server failover clustering, "Understanding cluster and pool
        quorum"; corosync votequorum in Proxmox VE, "Cluster Manager"): a majority of the votes,
        the witness (disk / file share witness, corosync's qdevice) counting for the hosts on
        the heartbeat network; with the tie breaker the highest-named voter's vote is set aside
        while the votes are even (`_voters`), so no split is even and the lowest-named voter
        keeps its vote; without it an even split leaves neither side quorum. Hosts that do not vote
        (vSphere HA, "How vSphere HA Works": master and isolation): the hosts on the heartbeat
        network carry on, and each cut-off host is isolated.

        An observed cluster's real hosts (plain libvirt) have no quorum and no votes: the
        console is their one observer, its partition is the hosts whose connection answers
        (possibly none), and it always decides (nothing waits for quorum).

        Worked out once per change of its inputs (`_quorum`), so asking costs a copy of the
        answer; `has_quorum` costs nothing."""
        chosen = self._quorum().chosen
        return None if chosen is None else list(chosen)

    def has_quorum(self) -> bool:
        """Does some partition hold quorum, so that the cluster may decide and act?"""
        return self._quorum().chosen is not None

    def observed_partition(self) -> list[str]:
        """The partition whose view is the cluster's belief: the one holding quorum, else the
        hosts on the heartbeat network (possibly none)."""
        return list(self._quorum().observed)

    def votes(self) -> tuple[int, int]:
        """(votes held by the observed partition, total votes), witness included."""
        quorum = self._quorum()
        return quorum.observed_votes, quorum.total_votes

    def vote_shares(self) -> tuple[int, int]:
        """(hosts whose vote counts now, the witness's votes now: 0 or 1), as `votes` counts
        them (the tie breaker and dynamic witness applied)."""
        quorum = self._quorum()
        return len(quorum.voters), quorum.witness_votes

    # -- the quorum, cached --------------------------------------------------------------------

    def quorum_marker(self) -> Hashable:
        """A value that changes whenever the quorum may have (`quorum_partition`, `votes`, ...):
        its inputs, a host's power, boot or link (`World.version`), a host's vote (`_set_vote`),
        the hosts in the pool and the quorum settings that count votes."""
        settings = self.cluster.settings.quorum
        return (self.context.world.version, self._votes_version, len(self.cluster.nodes),
                settings.voting, settings.witness, settings.dynamic_witness, settings.tie_breaker)

    def _quorum(self) -> QuorumView:
        """The partitions, votes and quorum as they stand, worked out again only when one of
        their inputs changed (`quorum_marker`)."""
        key = self.quorum_marker()
        if key != self._quorum_key:
            self._quorum_view = self._computed_quorum()
            self._quorum_key = key
        return self._quorum_view

    def _computed_quorum(self) -> QuorumView:
        """The quorum worked out from scratch over every host (what `_quorum` caches)."""
        world = self.context.world
        nodes = self.cluster.nodes
        up = [node for node in nodes.values()
              if world.powered(node) and not world.booting(node)]
        connected = tuple(node.name for node in up if node.connected)
        cut_off = [(node.name,) for node in up if not node.connected]
        partitions = tuple(([connected] if connected else []) + cut_off)
        node_votes = sum(1 for node in nodes.values() if node.has_vote)
        witness_votes = self._witness_votes(node_votes)
        voters = self._voters(witness_votes)
        total = len(voters) + witness_votes

        def votes_of(partition: tuple[str, ...]) -> int:
            on_network = bool(partition) and nodes[partition[0]].connected
            return len(voters.intersection(partition)) + (witness_votes if on_network else 0)

        def holds(partition: tuple[str, ...]) -> bool:
            if not partition:
                return False
            if not self.cluster.settings.quorum.voting:
                return nodes[partition[0]].connected
            return votes_of(partition) * 2 > total

        if self.cluster.observed:  # the console observes: it hears the hosts that answer
            return QuorumView(partitions, connected, connected, frozenset(connected), voters,
                              witness_votes, total, votes_of(connected))
        chosen = next((partition for partition in partitions if holds(partition)), None)
        if chosen is not None:
            observed = chosen
        elif partitions and nodes[partitions[0][0]].connected:
            observed = partitions[0]
        else:
            observed = ()
        return QuorumView(partitions, chosen, observed, frozenset(observed), voters,
                          witness_votes, total, votes_of(observed))

    def _set_vote(self, node: Node, vote: bool) -> None:
        """Give `node` its vote or take it away (every change of a vote goes through here, so
        the cached quorum knows)."""
        if node.has_vote != vote:
            node.has_vote = vote
            self._votes_version += 1

    def _voters(self, witness_votes: int) -> frozenset[str]:
        """The nodes whose vote counts now: those holding one, less, where the tie breaker is
        on and the votes (`witness_votes` included) are even, the highest-named voter's, so that
        the votes stay odd and the lowest-named voter keeps its vote (Windows Server 2012 R2+,
        "Understanding cluster and pool quorum": tie breaker, LowerQuorumPriorityNodeID)."""
        voters = {name for name, n in self.cluster.nodes.items() if n.has_vote}
        quorum = self.cluster.settings.quorum
        if (quorum.voting and quorum.tie_breaker and voters
                and (len(voters) + witness_votes) % 2 == 0):
            voters.discard(max(voters))
        return frozenset(voters)

    def _witness_votes(self, node_votes: int) -> int:
        """The witness's vote, given the `node_votes` held: none without a witness; with a
        dynamic witness, only while the nodes' votes are even (Windows Server 2012 R2+,
        "dynamic witness")."""
        quorum = self.cluster.settings.quorum
        if not quorum.witness:
            return 0
        return 0 if quorum.dynamic_witness and node_votes % 2 else 1

    def _votes_of(self, partition: list[str]) -> int:
        quorum = self._quorum()
        held = len(quorum.voters.intersection(partition))
        on_network = bool(partition) and self.cluster.nodes[partition[0]].connected
        return held + (quorum.witness_votes if on_network else 0)

    # -- what the world reports ----------------------------------------------------------------

    def crashed(self, node: Node) -> None:
        """A crash: silent from now; a host that was already written off is failed at once."""
        self.cluster.set_condition(node, quorum_lost=False)
        self._switched_off.pop(node.name, None)
        self._regroup()
        if node.state is NodeState.ISOLATED:
            self._watch_datastore_heartbeats(node)
        elif node.state is NodeState.BOOTING:
            self._set_state(node, NodeState.FAILED, "node_failed", Severity.ERROR,
                            f"{node.name} crashed while booting")

    def _watch_datastore_heartbeats(self, node: Node) -> None:
        """An isolated host (known alive only by its datastore heartbeats) stopped: their
        silence takes the failure detection time to notice, as the network's does ("How
        vSphere HA Works": datastore heartbeating)."""
        self._cancel_detection(node)
        detect_s = self._failed_after_missed(node) * self.interval
        self._detection[node.name] = [
            self.context.schedule(detect_s, lambda: self._datastore_silent(node))]

    def _datastore_silent(self, node: Node) -> None:
        self._detection.pop(node.name, None)
        if (node.state is NodeState.ISOLATED
                and not self.context.world.writes_datastore_heartbeats(node)):
            detect_s = self._failed_after_missed(node) * self.interval
            self._set_state(node, NodeState.FAILED, "node_failed", Severity.ERROR,
                            f"{node.name} stopped writing datastore heartbeats "
                            f"{detect_s:g} s ago: failed")

    def fenced(self, node: Node) -> None:
        """HA's fence of lost `node` completed: it is known off, failed, and out of any
        partition's quorum count."""
        node.fenced = True
        self.cluster.set_condition(node, quorum_lost=False, state=NodeState.FAILED)

    def shut_down(self, node: Node, running: int) -> None:
        """A clean shutdown: the cluster knows the host is off and restarts its VMs; with
        dynamic quorum the host gives up its vote (Windows Server failover clustering, "dynamic
        quorum"); static votes (corosync, dynamic quorum off) stay counted."""
        self.cluster.set_condition(node, quorum_lost=False)
        self._switched_off.pop(node.name, None)
        self._regroup()
        node.fenced = True
        if self.cluster.settings.quorum.dynamic_quorum:
            self._set_vote(node, False)
        self._apply_quorum_loss()  # a clean leave is known at once: the rest recount
        after = ("restart elsewhere" if self.has_quorum()
                 else "wait: the cluster has no quorum to restart them")
        self._set_state(node, NodeState.OFFLINE, "node_offline", Severity.WARNING,
                        f"{node.name} shut down cleanly; {running} VMs {after}")

    def booting(self, node: Node) -> None:
        """`node` was powered on. A host the cluster knows is off (shut down, fenced) is shown
        booting; one it has not yet declared lost, or declared lost without knowing it is off,
        stays as believed: the quorum side learns of the boot only when it hears the host
        again (`booted`), and a fence it started completes."""
        if not node.fenced:
            return
        node.fenced = False
        self._set_state(node, NodeState.BOOTING, "node_booting", Severity.INFO,
                        f"{node.name} is booting ({node.boot_s:g} s)")

    def booted(self, node: Node, reachable: bool, new: bool = False) -> None:
        """A booted host rejoins (joins, if `new` to the pool), or finds itself cut off:
        isolated, and maybe without quorum."""
        if reachable and node.name in self.observed_partition():
            verb = "joined" if new else "rejoined"
            self._rejoin(node, f"{node.name} booted and {verb} the cluster")
            self._regroup()
            return
        if node.silent_since is None:
            self._went_quiet(node)
            self._cancel_detection(node)
        if node.state in LOST_STATES and node.state is not NodeState.ISOLATED:
            self._regroup()  # unheard and not known off: it stays lost, its fence goes on
            self._apply_quorum_loss()
            return
        where = ("reaches no host of the quorum partition" if reachable
                 else "cannot reach the heartbeat network")
        self._set_state(node, NodeState.ISOLATED, "node_isolated", Severity.WARNING,
                        f"{node.name} booted but {where}")
        self._regroup()
        self._apply_quorum_loss()

    def joined(self, node: Node) -> None:
        """A new host that came up online gets load spread onto it."""
        if node.state is NodeState.ONLINE:
            self.context.balancer.spread(f"{node.name} joined the pool")

    def link_cut(self, node: Node) -> None:
        """`node` is up but cut off the heartbeat network: whoever the quorum side no longer
        hears goes quiet (the cut-off host itself, or the rest when it wins a tie)."""
        self._regroup()

    def link_restored(self, node: Node) -> None:
        """`node` is on the heartbeat network again: whoever the quorum side hears again
        recovers or rejoins."""
        self._regroup()

    def _regroup(self) -> None:
        """Follow the partitions: a host the cluster (`observed_partition`) stops hearing goes
        quiet, and one it hears again is back."""
        heard = self._quorum().heard
        changed = [node for node in self.cluster.nodes.values()
                   if node.heard != (node.name in heard)]
        for node in changed:
            self.cluster.set_condition(node, heard=not node.heard)
        for node in changed:
            if node.heard:
                self._beating_again(node)
            else:
                self._went_quiet(node)

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
            self.context.schedule_at(last + self._failed_after_missed(node) * self.interval,
                                     lambda: self._detect(node)),
        ]

    def detection_s(self, node: Node) -> float:
        """Seconds of silence before `node` is declared lost (`_failed_after_missed` beats)."""
        return self._failed_after_missed(node) * self.interval

    def _failed_after_missed(self, node: Node) -> int:
        """Missed beats before `node` is declared lost: the cross-subnet threshold when no host
        the cluster hears shares its subnet (Windows failover clustering, "Tuning failover
        cluster network thresholds"). In an observed cluster the console itself hears every
        host, so the same-subnet threshold holds whatever the number of hosts."""
        hb = self.cluster.settings.heartbeat
        if self.cluster.observed:
            return hb.failed_after_missed
        peers = (other for other in self.cluster.nodes.values()
                 if other.heard and other.name != node.name)
        if any(other.subnet == node.subnet for other in peers):
            return hb.failed_after_missed
        return hb.cross_subnet_failed_after_missed

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
        self._set_vote(node, True)
        self.cluster.set_condition(node, quorum_lost=False)
        node.fenced = False
        self._set_state(node, self._healthy_state(node), "node_online", Severity.INFO, message)
        self.context.ha.host_back(node)
        self._restore_quorum()
        self._report_switched_off(node)

    def _report_switched_off(self, node: Node) -> None:
        """The cluster hears `node` with quorum again and learns which VMs its isolation
        response powered off meanwhile; HA restarts them (WSFC brings roles online once quorum
        returns: "Understanding cluster and pool quorum")."""
        names = self._switched_off.pop(node.name, [])
        switched_off = [vm for vm in map(self.cluster.vms.get, names)
                        if vm is not None and vm.host == node.name
                        and vm.state in CONSUMING_STATES]
        if switched_off:
            self.context.ha.isolation_power_off(node, switched_off)

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
        cluster declares the silent node failed, or isolated if it still writes datastore
        heartbeats."""
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
        if self.has_quorum() and self.cluster.settings.quorum.dynamic_quorum:
            self._set_vote(node, False)  # dynamic quorum: the survivors carry on without its vote

    def _apply_quorum_loss(self) -> None:
        if self.cluster.observed:  # a real host has no cluster manager to stand it down
            return
        chosen = self.quorum_partition()
        for partition in self.partitions():
            if partition == chosen:
                continue
            for name in partition:
                node = self.cluster.nodes[name]
                if not node.quorum_lost:
                    self._isolation_response(node, partition)

    def _restore_quorum(self) -> None:
        for name in self.quorum_partition() or []:
            node = self.cluster.nodes[name]
            if node.quorum_lost:
                self.cluster.set_condition(node, quorum_lost=False)
                self.context.emit("quorum_regained", name, f"{name} is in the quorum again")

    def _isolation_response(self, node: Node, partition: list[str]) -> None:
        """`node`, in a partition without quorum, stands down: its clustered services stop, each
        VM gets its isolation response (`isolation_response_of`), and with a watchdog a host
        running HA-managed VMs resets itself `watchdog_s` later."""
        self.cluster.set_condition(node, quorum_lost=True)
        quorum = self.cluster.settings.quorum
        if quorum.voting:
            total = self._quorum().total_votes
            why = (f"lost quorum ({self._votes_of(partition)} of {total} "
                   f"vote{'' if total == 1 else 's'})")
        else:
            why = "is isolated: it cannot reach the rest of the cluster"
        self.context.emit("quorum_lost", node.name,
                          f"{node.name} {why}; isolation response: "
                          f"{self._responses(node)}", Severity.ERROR)
        self.context.services.stand_down(node)
        now: list[Vm] = []
        later: list[Vm] = []
        for vm in self.cluster.vms_on(node):
            response = isolation_response_of(vm, quorum)
            if vm.state in CONSUMING_STATES and response == "power_off":
                now.append(vm)
            elif vm.state in CONSUMING_STATES and response == "shutdown":
                later.append(vm)
        epoch = node.epoch
        if now:
            self._switch_off(node, now)
        if later:
            self.context.schedule(quorum.shutdown_s,
                                  lambda: self._shutdown_done(node, epoch, later))
        if quorum.watchdog_s and any(ha_managed(vm) and vm.state in CONSUMING_STATES
                                     for vm in self.cluster.vms_on(node)):
            self.context.schedule(quorum.watchdog_s, lambda: self._watchdog(node, epoch))

    def _responses(self, node: Node) -> str:
        """What the isolation response does to `node`'s running VMs: the cluster default when
        every VM follows it, else each response with its VMs (`power_off for web1, db1;
        leave_powered_on for batch`)."""
        quorum = self.cluster.settings.quorum
        by_response: dict[str, list[str]] = {}
        for vm in self.cluster.vms_on(node):
            if vm.state in CONSUMING_STATES:
                by_response.setdefault(isolation_response_of(vm, quorum), []).append(vm.name)
        if set(by_response) <= {quorum.isolation_response}:
            return quorum.isolation_response
        return "; ".join(f"{response} for {', '.join(sorted(names))}"
                         for response, names in sorted(by_response.items()))

    def _shutdown_done(self, node: Node, epoch: int, vms: list[Vm]) -> None:
        if node.epoch == epoch and node.quorum_lost:
            self._switch_off(node, [vm for vm in vms if vm.host == node.name
                                    and vm.state in CONSUMING_STATES])

    def _switch_off(self, node: Node, vms: list[Vm]) -> None:
        """The host without quorum powered `vms` off. The cluster learns it at once where it
        still hears the host (a partition without quorum sees its own hosts: HA restarts the
        VMs once quorum returns, as WSFC brings its roles online again) or through the host's
        datastore heartbeat, else only once it hears the host again; until then it must assume
        they run (and fence the host before restarting them)."""
        if node.heard or self.context.world.writes_datastore_heartbeats(node):
            self.context.ha.isolation_power_off(node, vms)
            return
        self._switched_off.setdefault(node.name, []).extend(vm.name for vm in vms)
        for vm in vms:  # the outage is real from now, known or not
            if vm.down_since is None:
                vm.down_since = self.context.now

    def _watchdog(self, node: Node, epoch: int) -> None:
        """Proxmox VE: a host without quorum cannot renew its HA lock, so its watchdog resets it
        ("High Availability": Fencing)."""
        if node.epoch == epoch and node.quorum_lost and self.context.world.powered(node):
            watchdog_s = self.cluster.settings.quorum.watchdog_s
            self.context.emit("node_reset", node.name,
                              f"{node.name} reset itself: {watchdog_s:g} s without quorum, its "
                              "watchdog expired", Severity.ERROR)
            self.context.world.reset(node)

    def _set_state(self, node: Node, state: NodeState, kind: str, severity: Severity,
                   message: str) -> None:
        self.cluster.set_condition(node, state=state)
        self.context.ha.watch(node)
        self.context.emit(kind, node.name, message, severity)
