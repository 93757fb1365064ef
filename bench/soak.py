"""Soak: random fault and operator sequences on any cluster file, invariants at every instant.

    python bench/soak.py CLUSTER.toml --steps N [--seed S]

A step is one random command of a mutating kind (fail-node, power-off, power-on, isolate,
reconnect, add-node, deploy, publish-image, rebalance, maintenance on/off, failover, migrate,
vm-power on/off) or a random wait (0.5 s to 10 min of simulated time). The invariants
(`console.model.invariants.violations`) are checked after every command and at every instant a
timer fires during a wait, so a state that lasts an instant is seen too.

After the last step the cluster is healed (every isolated host reconnected, every powered-off
host powered on, every host out of maintenance) and run for SETTLE_S (one hour) more, still
checked. Then it reports:

* steps, commands accepted and refused, simulated time;
* violations: instants with at least one broken invariant, and the first violation of each
  kind (its text with names taken out) with its time;
* split-brain instants: instants at which a service is active on two members or a VM is listed
  on two hosts;
* VMs lost: VMs that should be running but are not once the cluster is healed and settled. A VM
  should be running unless the last accepted `vm-power` for it was `off`, or HA was told to leave
  it down (restart priority `disabled`). A VM that is not `running` at the end (pending, failed,
  stopped, or nowhere at all) is lost: the healed cluster has had an hour to bring it back.
  Each is listed with its state, so a VM that waits for capacity (more was deployed than the
  healed cluster holds) can be told from one the model forgot.

Exit status 0 when there are no violations, no split-brain instants and no VMs lost, else 1.
"""

from __future__ import annotations

import argparse
import random
import re
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchlib import machine  # noqa: E402

from console.formats.cluster import parse_cluster  # noqa: E402
from console.formats.toml import read_file  # noqa: E402
from console.model.commands import CommandError, parse  # noqa: E402
from console.model.engine import Engine  # noqa: E402
from console.model.entities import Priority, VmState  # noqa: E402
from console.model.invariants import split_brain, violations  # noqa: E402

#: A placement violation naming how many places a VM is in.
DOUBLED = re.compile(r" is in (\d+) places$")
#: Simulated seconds the healed cluster runs before VMs are counted as lost.
SETTLE_S = 3600.0
#: Waits a step may take, in simulated seconds.
WAITS = (0.5, 1.0, 3.0, 10.0, 16.0, 30.0, 60.0, 120.0, 600.0)
#: Most hosts `add-node` adds, and most VMs `deploy` creates, in one soak.
NEW_HOSTS = 6
NEW_VMS = 100
#: Violations listed in the report (the first of each kind).
SHOWN = 5


@dataclass
class Report:
    """What a soak found: counts, and the first violations with their times."""

    steps: int = 0
    accepted: int = 0
    by_verb: Counter[str] = field(default_factory=Counter)  # accepted commands per verb
    refused: int = 0
    instants: int = 0
    violating_instants: int = 0
    split_brain_instants: int = 0
    first: list[str] = field(default_factory=list)  # the first violation of each kind
    kinds: set[str] = field(default_factory=set)
    lost: list[str] = field(default_factory=list)


class Soak:
    """Drives one engine with random steps and checks it at every instant."""

    def __init__(self, engine: Engine, rng: random.Random) -> None:
        self.engine = engine
        self.rng = rng
        self.report = Report()
        self.powered_off: set[str] = set()  # VMs the operator last powered off
        cluster = engine.cluster
        self.template_hosts = list(cluster.nodes)
        self.services = list(cluster.services)
        self.bases = sorted(i.name for i in cluster.images.values() if i.kind == "base")
        self.layers = sorted(i.name for i in cluster.images.values() if i.kind == "layer")

    # -- the random steps ----------------------------------------------------------------------

    def step(self) -> None:
        """One random step: a wait (about one in three) or a command."""
        self.report.steps += 1
        if self.rng.random() < 0.35:
            self.wait(self.rng.choice(WAITS))
        else:
            self.submit(self.random_command())

    def random_command(self) -> str:
        """A random command line over the cluster's current hosts, VMs, services and images."""
        rng = self.rng
        cluster = self.engine.cluster
        node = rng.choice(list(cluster.nodes))
        vm = rng.choice(list(cluster.vms))
        kind = rng.choices(
            ["fault", "power-on", "reconnect", "add-node", "deploy", "publish-image", "rebalance",
             "maintenance", "failover", "migrate", "vm-power"],
            weights=[6, 4, 3, 1, 3, 1, 3, 8, 3, 8, 4])[0]
        if kind == "fault":
            return f"{rng.choice(['fail-node', 'power-off', 'isolate'])} {node}"
        if kind in ("power-on", "reconnect"):
            return f"{kind} {node}"
        if kind == "add-node":
            template = rng.choice(self.template_hosts)
            return f"add-node soak-h{rng.randrange(NEW_HOSTS)} {template}"
        if kind == "deploy":
            return self._deploy(node)
        if kind == "publish-image":
            return f"publish-image {rng.choice(self.bases or ['none'])}"
        if kind == "rebalance":
            return rng.choice(["rebalance", "rebalance --dry-run"])
        if kind == "maintenance":
            return f"maintenance {node} {rng.choice(['on', 'off'])}"
        if kind == "failover" and self.services:
            target = rng.choice([None, None, node, vm])
            return f"failover {rng.choice(self.services)}" + (f" {target}" if target else "")
        if kind == "migrate":
            return f"migrate {vm}" + (f" {node}" if rng.random() < 0.6 else "")
        return f"vm-power {vm} {rng.choice(['on', 'off'])}"

    def _deploy(self, node: str) -> str:
        rng = self.rng
        spec = rng.choice(self.bases or ["none"])
        if self.layers and rng.random() < 0.6:
            spec += "+" + rng.choice(self.layers)
        where = f" on {node}" if rng.random() < 0.4 else ""
        return f"deploy soak-vm{rng.randrange(NEW_VMS)} {spec}{where}"

    # -- driving and checking ------------------------------------------------------------------

    def submit(self, line: str) -> None:
        """Submit `line` now and check the invariants."""
        try:
            command = parse(line)
        except CommandError:
            self.report.refused += 1
            return
        outcome = self.engine.submit(command)
        if outcome.accepted:
            self.report.accepted += 1
            self.report.by_verb[command.verb] += 1
            if line.startswith("vm-power "):
                _, name, on = line.split()
                (self.powered_off.discard if on == "on" else self.powered_off.add)(name)
        else:
            self.report.refused += 1
        self.check()

    def wait(self, seconds: float) -> None:
        """Advance `seconds`, checking at every instant a timer fires."""
        clock = self.engine.clock
        until = self.engine.now + seconds
        while True:
            due = clock.next_due()
            if due is None or due > until:
                break
            self.engine.run_until(due)
            self.check()
        self.engine.run_until(until)

    def check(self) -> None:
        """Check the invariants now; count a violating and a split-brain instant."""
        report = self.report
        report.instants += 1
        cluster = self.engine.cluster
        found = violations(cluster)
        if not found:
            return
        report.violating_instants += 1
        doubled = [v for v in found if (m := DOUBLED.search(v)) and int(m.group(1)) > 1]
        if split_brain(cluster) or doubled:
            report.split_brain_instants += 1
        for line in found:
            kind = _kind(line)
            if kind not in report.kinds:
                report.kinds.add(kind)
                if len(report.first) < SHOWN:
                    report.first.append(f"t={self.engine.now:.1f} s: {line}")

    # -- the end -------------------------------------------------------------------------------

    def heal(self) -> None:
        """Reconnect, power on and take out of maintenance every host, then settle."""
        for node in list(self.engine.cluster.nodes.values()):
            if not node.connected:
                self.submit(f"reconnect {node.name}")
            if not node.powered:
                self.submit(f"power-on {node.name}")
            if node.maintenance:
                self.submit(f"maintenance {node.name} off")
        self.wait(SETTLE_S)

    def count_lost(self) -> None:
        """VMs that should run (see the module docstring) but do not, with their state."""
        for vm in self.engine.cluster.vms.values():
            wanted = vm.name not in self.powered_off and vm.priority is not Priority.DISABLED
            if wanted and vm.state is not VmState.RUNNING:
                self.report.lost.append(f"{vm.name} ({vm.state.value}, host {vm.host})")


def _kind(violation: str) -> str:
    """A violation's kind: its text without the names in it (words with a digit or capital)."""
    return " ".join("_" if any(c.isdigit() or c.isupper() for c in word) else word
                    for word in violation.split())


def main() -> int:
    """Parse the options, soak, print the report; exit 0 only when nothing was found."""
    options = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    options.add_argument("cluster", help="cluster file (TOML)")
    options.add_argument("--steps", type=int, default=10_000, help="random steps (default 10000)")
    options.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    args = options.parse_args()
    if args.steps < 0:
        options.error("--steps must be zero or more")
    engine = Engine(parse_cluster(read_file(args.cluster), args.cluster), args.seed)
    soak = Soak(engine, random.Random(args.seed))
    started = time.process_time()
    for _ in range(args.steps):
        soak.step()
    soak.heal()
    soak.count_lost()
    report = soak.report
    cpu = time.process_time() - started
    print(machine())
    print(f"cluster {args.cluster}, seed {args.seed}: {report.steps} steps "
          f"({report.accepted} commands accepted, {report.refused} refused), "
          f"{engine.now:.0f} simulated s, {report.instants} instants checked, {cpu:.1f} s CPU")
    print("accepted: " + ", ".join(f"{verb} {n}" for verb, n in sorted(report.by_verb.items())))
    print(f"violations: {report.violating_instants} instants")
    for line in report.first:
        print(f"  {line}")
    print(f"split-brain instants: {report.split_brain_instants}")
    print(f"VMs lost: {len(report.lost)}" + (f": {', '.join(report.lost[:10])}"
                                             if report.lost else ""))
    found = report.violating_instants or report.split_brain_instants or report.lost
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
