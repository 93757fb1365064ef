"""The seam between belief and truth: behaviours act on the hardware only through the
environment (kernel.Actuator / kernel.Observations), and only the world writes its truth."""

from __future__ import annotations

import ast
from collections.abc import Callable
from pathlib import Path

from cluster_helpers import events, make_engine, run_checked

import console.model
from console.model import kernel
from console.model.commands import parse
from console.model.engine import Engine
from console.model.entities import Image, Node, Vm, VmState, Workload
from console.model.observed import ObservedWorld
from console.model.precopy import Migration, after_round
from console.model.settings import MigrationSettings
from console.model.world import World

MODEL = Path(console.model.__file__).parent
#: The hardware's truth on a node: written by the world alone (and what it holds, `node.images`).
TRUTH_FIELDS = {"powered", "connected"}


class RecordingWorld:
    """The simulated world, with every actuator call written down (a real source's stand-in)."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.calls: list[tuple[str, str]] = []

    def start_vm(self, vm: Vm, ready_in_s: float, running: Callable[[], None],
                 failed: Callable[[str], None]) -> None:
        self.calls.append(("start_vm", vm.name))
        self.world.start_vm(vm, ready_in_s, running, failed)

    def stop_vm(self, vm: Vm) -> None:
        self.calls.append(("stop_vm", vm.name))
        self.world.stop_vm(vm)

    def stream_image(self, node: Node, image: Image, arrived: Callable[[], None]) -> float:
        self.calls.append(("stream_image", f"{image.name} to {node.name}"))
        return self.world.stream_image(node, image, arrived)

    def fence(self, node: Node) -> None:
        self.calls.append(("fence", node.name))
        self.world.fence(node)

    def migrate(self, migration: Migration, switched_over: Callable[[], None],
                failed: Callable[[str], None]) -> None:
        self.calls.append(("migrate", migration.vm))
        self.world.migrate(migration, switched_over, failed)

    def abandon_migration(self, migration: Migration) -> None:
        self.calls.append(("abandon_migration", migration.vm))
        self.world.abandon_migration(migration)

    @property
    def version(self) -> int:
        return self.world.version

    def powered(self, node: Node) -> bool:
        return self.world.powered(node)

    def booting(self, node: Node) -> bool:
        return self.world.booting(node)

    def writes_datastore_heartbeats(self, node: Node) -> bool:
        return self.world.writes_datastore_heartbeats(node)


def _recording(engine: Engine) -> RecordingWorld:
    recording = RecordingWorld(engine.world)
    engine.world = recording  # type: ignore[assignment]
    return recording


def test_ha_fences_and_restarts_through_the_actuator():
    engine = make_engine()
    recording = _recording(engine)
    b_vms = sorted(engine.cluster.nodes["B"].vms)
    run_checked(engine, 300, {60: "fail-node B"})
    assert recording.calls[0] == ("fence", "B")
    started = [name for verb, name in recording.calls if verb == "start_vm"]
    assert sorted(started) == [n for n in b_vms
                               if engine.cluster.vms[n].priority.value != "disabled"]
    assert events(engine, "node_fenced")


def test_migration_and_power_off_go_through_the_actuator():
    engine = make_engine()
    recording = _recording(engine)
    run_checked(engine, 120, {10: "migrate app01 A", 100: "vm-power app01 off"})
    assert ("migrate", "app01") in recording.calls
    assert recording.calls[-1] == ("stop_vm", "app01")
    assert engine.cluster.vms["app01"].state is VmState.STOPPED


def test_deploy_streams_and_boots_through_the_actuator():
    engine = make_engine()
    engine.cluster.images["sles11"] = Image("sles11", "base", 8, guest_os="suse", memory_gb=1)
    engine.cluster.settings.ha.admission_control = False
    recording = _recording(engine)
    run_checked(engine, 300, {1: "deploy web09 sles11 on C"})
    assert recording.calls == [("stream_image", "sles11 to C"), ("start_vm", "web09")]
    assert engine.cluster.nodes["C"].images == {"sles11": 1}
    assert engine.cluster.vms["web09"].state is VmState.RUNNING


class HoldingWorld(RecordingWorld):
    """A stand-in environment whose VM boots finish only when the test says so."""

    def __init__(self, world: World) -> None:
        super().__init__(world)
        self.held_boots: list[Callable[[], None]] = []

    def start_vm(self, vm: Vm, ready_in_s: float, running: Callable[[], None],
                 failed: Callable[[str], None]) -> None:
        self.held_boots.append(running)


def test_a_vm_runs_when_the_environment_says_so():
    engine = make_engine()
    holding = HoldingWorld(engine.world)
    engine.world = holding  # type: ignore[assignment]
    run_checked(engine, 600, {60: "fail-node B"})
    restarting = [vm for vm in engine.cluster.vms.values() if vm.state is VmState.RESTARTING]
    assert restarting and len(holding.held_boots) == len(restarting)
    for running in holding.held_boots:
        running()
    engine.reconcile()
    assert not [vm for vm in engine.cluster.vms.values() if vm.state is VmState.RESTARTING]
    assert len(events(engine, "vm_running")) == len(restarting)


def test_membership_learns_of_a_crash_from_the_world():
    engine = make_engine()
    engine.submit(parse("fail-node C"))
    node = engine.cluster.nodes["C"]
    assert not engine.world.powered(node)
    assert node.state.value == "online"  # the cluster has not noticed yet
    engine.advance(20)
    assert node.state.value == "failed"


def test_only_the_world_writes_the_hardware_truth():
    writers: list[str] = []
    for path in sorted(MODEL.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets = (node.targets if isinstance(node, ast.Assign)
                       else [node.target] if isinstance(node, ast.AugAssign | ast.AnnAssign)
                       else [])
            for target in targets:
                if isinstance(target, ast.Attribute) and target.attr in TRUTH_FIELDS:
                    writers.append(f"{path.name}:{node.lineno} writes .{target.attr}")
                if (isinstance(target, ast.Subscript) and isinstance(target.value, ast.Attribute)
                        and target.value.attr == "images"):
                    writers.append(f"{path.name}:{node.lineno} writes what a host holds")
    # the two environments: the simulated hardware, and real hosts as observed
    assert all(w.startswith(("world.py:", "observed.py:")) for w in writers), writers


def test_pre_copy_that_cannot_converge_fails_without_auto_converge():
    vm = Vm("big", "A", memory_gb=4.0, workload=Workload(memory=1.0))
    migration = Migration("big", "A", "B", "test", bandwidth_mbps=100.0, round_mb=4096.0)
    end = after_round(migration, vm, dirty_mbps=150.0, duration_s=40.0,
                      settings=MigrationSettings())
    assert end.step == "fail" and "did not converge" in end.why
    converging = after_round(migration, vm, dirty_mbps=150.0, duration_s=40.0,
                             settings=MigrationSettings(auto_converge=True))
    assert converging.step == "next" and converging.left_mb == 4096.0


def test_pre_copy_switches_over_once_the_rest_fits_the_downtime_target():
    vm = Vm("small", "A", memory_gb=1.0)
    migration = Migration("small", "A", "B", "test", bandwidth_mbps=100.0, round_mb=1024.0)
    end = after_round(migration, vm, dirty_mbps=1.0, duration_s=10.0,
                      settings=MigrationSettings())
    assert end.step == "switch" and end.downtime_s == 0.1


def _members(protocol: type) -> set[str]:
    return {name for klass in protocol.__mro__ if klass is not object
            and getattr(klass, "_is_protocol", False)
            for name in vars(klass) if not name.startswith("_")}


def test_the_engine_and_its_components_offer_what_the_kernel_promises():
    engine = make_engine()
    promised = {"engine": (engine, kernel.Context), "world": (engine.world, kernel.Environment),
                "membership": (engine.membership, kernel.HostWatch),
                "ha": (engine.ha, kernel.Recovery),
                "services": (engine.services, kernel.ServiceRoles),
                "migrations": (engine.migrations, kernel.MigrationQueue),
                "balancer": (engine.balancer, kernel.Placer),
                "images": (engine.images, kernel.Streaming)}
    missing = [f"{name}.{member}" for name, (offer, protocol) in promised.items()
               for member in sorted(_members(protocol)) if not hasattr(offer, member)]
    assert not missing
    assert _members(kernel.Environment) == {
        "start_vm", "stop_vm", "suspend_vm", "resume_vm", "shutdown_vm", "fence", "reset",
        "migrate", "abandon_migration", "stream_image", "powered", "booting",
        "writes_datastore_heartbeats"}
    # real hosts (console.model.observed) offer the same environment
    assert all(hasattr(ObservedWorld, member) for member in _members(kernel.Environment))
