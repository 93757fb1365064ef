"""Hypothesis drives random command sequences; the invariants must hold at every instant.

Every mutating kind of command is covered (faults, power, add-node, deploy, publish-image,
failover, vm-power, ha-state, migrate, cancel-migration, relocate, cold-migrate, injected start
and migration failures, maintenance, rebalance), on five sample clusters: the seed (three ESXi
hosts, clustered services), the XenServer pool (four hosts, streamed images), the wsfc cluster
(four Hyper-V hosts, groups with each failback policy), the Proxmox VE cluster (watchdog
fencing; HA groups, restricted and not, with failback and nofailback; maintenance return) and
the repair sample (a host that starts powered off, a `must` rule broken at start), with or
without quorum votes and a witness. The invariants (`console.model.invariants.violations`:
placement, capacity, split brain, maintenance, HA request states, restricted HA groups) are
checked after every command and at every instant a timer fires during a wait, and so is every
new event's message: no None, inf, exponent or repr in it.
"""

from __future__ import annotations

from cluster_helpers import make_engine, unreadable
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from console.model.commands import parse
from console.model.engine import Engine
from console.model.entities import Role
from console.model.invariants import violations

CLUSTERS = ["seed.toml", "xenserver.toml", "wsfc.toml", "pve.toml", "repair.toml"]
RESPONSES = ["power_off", "shutdown", "leave_powered_on"]
#: Names `add-node` and `deploy` may use; a second use of one is refused, which is tested too.
NEW_HOSTS = ["N1", "N2"]
NEW_VMS = ["new1", "new2", "new3"]
#: Indexes into the cluster's current lists (taken modulo their length), so one strategy
#: serves every cluster and shrinks well.
PICK = st.integers(min_value=0, max_value=63)


class ClusterMachine(RuleBasedStateMachine):
    """One random cluster, quorum setting and command sequence per example."""

    engine: Engine
    read: int

    @initialize(cluster=st.sampled_from(CLUSTERS), response=st.sampled_from(RESPONSES),
                witness=st.booleans(), voting=st.booleans(),
                retries=st.sampled_from([0, 1, 5]))
    def start(self, cluster: str, response: str, witness: bool, voting: bool,
              retries: int) -> None:
        self.engine = make_engine(cluster, quorum__isolation_response=response,
                                  quorum__witness=witness, quorum__voting=voting,
                                  ha__restart_retries=retries)
        self.read = 0  # events whose messages are checked

    # -- picking names -------------------------------------------------------------------------

    def _node(self, i: int) -> str:
        nodes = list(self.engine.cluster.nodes)
        return nodes[i % len(nodes)]

    def _vm(self, i: int) -> str:
        vms = list(self.engine.cluster.vms)
        return vms[i % len(vms)]

    def _image(self, i: int, kind: str) -> str | None:
        names = sorted(n for n, image in self.engine.cluster.images.items() if image.kind == kind)
        return names[i % len(names)] if names else None

    def _submit(self, line: str) -> None:
        self.engine.submit(parse(line))

    # -- the rules -----------------------------------------------------------------------------

    @rule(node=PICK,
          verb=st.sampled_from(["fail-node", "power-off", "power-on", "isolate", "reconnect"]))
    def node_command(self, verb: str, node: int) -> None:
        self._submit(f"{verb} {self._node(node)}")

    @rule(name=st.sampled_from(NEW_HOSTS), template=st.none() | PICK)
    def add_node(self, name: str, template: int | None) -> None:
        self._submit(f"add-node {name}" + ("" if template is None else
                                           f" {self._node(template)}"))

    @rule(name=st.sampled_from(NEW_VMS), base=PICK, layer=st.none() | PICK,
          host=st.none() | PICK)
    def deploy(self, name: str, base: int, layer: int | None, host: int | None) -> None:
        spec = self._image(base, "base") or "win2008"  # an unknown image is refused: fine
        if layer is not None and self._image(layer, "layer"):
            spec += f"+{self._image(layer, 'layer')}"
        where = "" if host is None else f" on {self._node(host)}"
        self._submit(f"deploy {name} {spec}{where}")

    @rule(base=PICK)
    def publish_image(self, base: int) -> None:
        self._submit(f"publish-image {self._image(base, 'base') or 'win2008'}")

    @rule(service=PICK, to=st.none() | st.tuples(st.booleans(), PICK))
    def failover(self, service: int, to: tuple[bool, int] | None) -> None:
        services = list(self.engine.cluster.services) or ["none"]  # none: refused, also tested
        line = f"failover {services[service % len(services)]}"
        if to is not None:
            line += f" {self._node(to[1]) if to[0] else self._vm(to[1])}"
        self._submit(line)

    @rule(vm=PICK, on=st.booleans())
    def vm_power(self, vm: int, on: bool) -> None:
        self._submit(f"vm-power {self._vm(vm)} {'on' if on else 'off'}")

    @rule(vm=PICK, to=st.none() | PICK)
    def migrate(self, vm: int, to: int | None) -> None:
        self._submit(f"migrate {self._vm(vm)}" + ("" if to is None else f" {self._node(to)}"))

    @rule(vm=PICK, state=st.sampled_from(["started", "stopped", "disabled", "ignored"]))
    def ha_state(self, vm: int, state: str) -> None:
        self._submit(f"ha-state {self._vm(vm)} {state}")

    @rule(vm=PICK, verb=st.sampled_from(["relocate", "cold-migrate"]), to=st.none() | PICK)
    def cold_move(self, vm: int, verb: str, to: int | None) -> None:
        self._submit(f"{verb} {self._vm(vm)}" + ("" if to is None else f" {self._node(to)}"))

    @rule(vm=PICK)
    def cancel_migration(self, vm: int) -> None:
        moving = sorted({*self.engine.migrations.active,
                         *(m.vm for m in self.engine.migrations.queued)})
        self._submit(f"cancel-migration {moving[vm % len(moving)] if moving else self._vm(vm)}")

    @rule(node=PICK, verb=st.sampled_from(["fail-starts", "fail-migrations"]),
          count=st.integers(min_value=1, max_value=3))
    def inject(self, node: int, verb: str, count: int) -> None:
        self._submit(f"{verb} {self._node(node)} {count}")

    @rule(node=PICK, on=st.booleans(), force=st.booleans())
    def maintenance(self, node: int, on: bool, force: bool) -> None:
        self._submit(f"maintenance {self._node(node)} {'on' if on else 'off'}"
                     + (" --force" if force else ""))

    @rule(dry_run=st.booleans())
    def rebalance(self, dry_run: bool) -> None:
        self._submit("rebalance --dry-run" if dry_run else "rebalance")

    @rule(seconds=st.sampled_from([0.5, 1, 3, 10, 16, 30, 120, 600]))
    def wait(self, seconds: float) -> None:
        """Advance, checking at every instant a timer fires, not just at the end."""
        until = self.engine.now + seconds
        while (due := self.engine.clock.next_due()) is not None and due <= until:
            self.engine.run_until(due)
            self.check()
        self.engine.run_until(until)

    @invariant()
    def check(self) -> None:
        assert violations(self.engine.cluster) == [], f"at {self.engine.now:g} s"
        for service in self.engine.cluster.services.values():
            assert list(service.roles.values()).count(Role.ACTIVE) <= 1
        assert unreadable(self.engine, self.read) == []
        self.read = len(self.engine.log.events)


ClusterMachine.TestCase.settings = settings(
    max_examples=500, stateful_step_count=30, deadline=None,
    suppress_health_check=[HealthCheck.too_slow])
TestClusterInvariants = ClusterMachine.TestCase
