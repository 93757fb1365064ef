"""Hypothesis drives random command sequences; the invariants must hold after every step."""

from __future__ import annotations

from cluster_helpers import make_engine
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from console.model.commands import parse
from console.model.entities import Role
from console.model.invariants import violations

NODES = ["A", "B", "C"]
VMS = ["sql01", "sql02", "exch01", "exch02", "iis01", "iis02", "web01", "app01", "mon01"]
SERVICES = ["sql", "exchange", "iis"]
RESPONSES = ["power_off", "shutdown", "leave_powered_on"]


class ClusterMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.engine = None

    @rule(response=st.sampled_from(RESPONSES), witness=st.booleans())
    def configure(self, response: str, witness: bool) -> None:
        if self.engine is None:
            self.engine = make_engine(quorum__isolation_response=response,
                                      quorum__witness=witness)

    def _submit(self, line: str) -> None:
        if self.engine is None:
            self.engine = make_engine()
        self.engine.submit(parse(line))

    @rule(node=st.sampled_from(NODES),
          verb=st.sampled_from(["fail-node", "power-off", "power-on", "isolate", "reconnect"]))
    def node_command(self, verb: str, node: str) -> None:
        self._submit(f"{verb} {node}")

    @rule(service=st.sampled_from(SERVICES), to=st.sampled_from([None, *NODES, *VMS]))
    def failover(self, service: str, to: str | None) -> None:
        self._submit(f"failover {service}" + (f" {to}" if to else ""))

    @rule(vm=st.sampled_from(VMS), on=st.booleans())
    def vm_power(self, vm: str, on: bool) -> None:
        self._submit(f"vm-power {vm} {'on' if on else 'off'}")

    @rule(vm=st.sampled_from(VMS), to=st.sampled_from([None, *NODES]))
    def migrate(self, vm: str, to: str | None) -> None:
        self._submit(f"migrate {vm}" + (f" {to}" if to else ""))

    @rule(node=st.sampled_from(NODES), on=st.booleans())
    def maintenance(self, node: str, on: bool) -> None:
        self._submit(f"maintenance {node} {'on' if on else 'off'}")

    @rule(dry_run=st.booleans())
    def rebalance(self, dry_run: bool) -> None:
        self._submit("rebalance --dry-run" if dry_run else "rebalance")

    @rule(seconds=st.sampled_from([0.5, 1, 3, 10, 16, 30, 120]))
    def wait(self, seconds: float) -> None:
        if self.engine is None:
            self.engine = make_engine()
        # Step in small increments so that every instant is checked, not just the end.
        target = self.engine.now + seconds
        while self.engine.now < target:
            self.engine.advance(min(0.5, target - self.engine.now))
            self.check()

    @invariant()
    def check(self) -> None:
        if self.engine is None:
            return
        assert violations(self.engine.cluster) == []
        for service in self.engine.cluster.services.values():
            assert list(service.roles.values()).count(Role.ACTIVE) <= 1


ClusterMachine.TestCase.settings = settings(
    max_examples=60, stateful_step_count=40, deadline=None,
    suppress_health_check=[HealthCheck.too_slow])
TestClusterInvariants = ClusterMachine.TestCase
