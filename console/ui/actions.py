"""What the main screen's keys do to the selection: pure functions from the model's read-only views
(console.model.views) and a selected name to the commands of the command language.

Nothing here runs a command or touches Textual: the screen carries an `Action` out (asks its
question first, when there is one, then submits each command through the session's door), so
what a key means is testable without a console. A key acts on what the operator looks at
(`target_of`: the focused pane's selection). It never decides by itself that a command would be
refused: the screen asks the model (`Session.check` / `Session.preview`) before any question.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from console.model import views
from console.model.commands import (
    Command,
    FailNode,
    Failover,
    Isolate,
    Maintenance,
    Migrate,
    Pause,
    PowerOn,
    Rebalance,
    Reconnect,
    Resume,
    Speed,
    VmPower,
    VmResume,
    VmShutdown,
    VmSuspend,
)
from console.model.entities import VmState
from console.model.fork import FORK_LIMIT_VMS, fork

if TYPE_CHECKING:
    from console.model.balancer import Recommendation
    from console.model.engine import Engine
    from console.session import SessionClock


#: Keys that act on a node: in the VMs or Migrations pane the VM's host, in the Services pane
#: the active member's host, elsewhere the Nodes pane's selection.
NODE_KEYS = frozenset({"maintenance", "force-maintenance", "crash", "isolate", "recover",
                       "failover"})
#: Keys that act on a VM (see `target_of`), and what each does, for the notice without one.
VM_KEYS = {"migrate": "v migrates a VM", "suspend": "p suspends a VM",
           "shutdown": "S shuts a VM down", "power": "P powers a VM on or off"}
#: The state of a VM suspended in memory (`vm-suspend`), as the model names it.
PAUSED = "paused"
#: Panes whose rows are VMs.
VM_PANES = frozenset({"vms", "migrations"})
#: Panes whose rows are nodes.
NODE_PANES = frozenset({"nodes", "heartbeats"})


@dataclass(frozen=True, slots=True)
class Selection:
    """What the operator is looking at: the focused pane, the node selected in the Nodes (or
    Heartbeats) pane, the VM under the focused VM pane's cursor (else the VMs pane's), the
    service under the Services pane's cursor."""

    pane: str
    node: str | None = None
    vm: str | None = None
    service: str | None = None


@dataclass(frozen=True, slots=True)
class Target:
    """What a key acts on: a node, a VM or a service, `via` how it was reached from the
    selection ("host of sql01"), or `missing`: why there is nothing to act on."""

    node: str | None = None
    vm: str | None = None
    service: str | None = None
    via: str = ""
    missing: str | None = None

    def label(self) -> str:
        """`node A (host of sql01)`, `VM web01`, `service sql`; the missing reason when none."""
        if self.missing is not None:
            return self.missing
        what = (f"service {self.service}" if self.service is not None
                else f"VM {self.vm}" if self.vm is not None else f"node {self.node}")
        return f"{what} ({self.via})" if self.via else what


def target_of(engine: Engine, key_id: str, selection: Selection) -> Target:
    """The object key `key_id` acts on for `selection` (see NODE_KEYS); the `VM_KEYS` act on a
    VM: the focused VM pane's, the Services pane's active member, none from the Nodes pane."""
    machines = views.vms(engine)
    pane = selection.pane
    if key_id in VM_KEYS:
        if pane in NODE_PANES:
            return Target(missing=f"no VM selected: {VM_KEYS[key_id]}, the Nodes pane selects "
                                  "hosts (2: VMs pane)")
        if pane == "services" and selection.service is not None:
            active = views.services(engine)[selection.service].active
            if active is None:
                return Target(missing=f"service {selection.service} has no active member")
            return Target(vm=active, via=f"active member of {selection.service}")
        if selection.vm is None:
            return Target(missing="no VM selected (2: VMs pane)")
        return Target(vm=selection.vm)
    if key_id == "failover" and pane == "services":
        if selection.service is None:
            return Target(missing="no service selected")
        return Target(service=selection.service)
    if pane in VM_PANES and selection.vm is not None:
        host = machines[selection.vm].host
        if host is None:
            return Target(missing=f"{selection.vm} is on no host "
                                  f"({machines[selection.vm].state.value})")
        return Target(node=host, via=f"host of {selection.vm}")
    if pane == "services" and selection.service is not None:
        active = views.services(engine)[selection.service].active
        host = machines[active].host if active is not None else None
        if active is None or host is None:
            return Target(missing=f"service {selection.service} has no active member on a host")
        return Target(node=host, via=f"host of {selection.service}'s active member {active}")
    if selection.node is None:
        return Target(missing="select a node first (1: nodes pane)")
    return Target(node=selection.node)


@dataclass(frozen=True, slots=True)
class Action:
    """What a key asks for.

    `commands` run in order, after `question` (with `detail` under it and the model's preview of
    what follows) is answered yes when there is a question. `notice` (titled `notice_title`)
    says why there is nothing to do. `targets` (a migration's candidate hosts, best first) asks
    the operator to pick where `vm` goes; the picker builds the command."""

    commands: tuple[Command, ...] = ()
    question: str | None = None
    detail: str = ""
    notice: str | None = None
    notice_title: str = ""
    vm: str | None = None
    targets: tuple[views.TargetOption, ...] | None = None


def nothing(target: Target) -> Action:
    """The notice for a key with nothing to act on (`target.missing`)."""
    return Action(notice=target.missing, notice_title="Nothing selected")


def maintenance(engine: Engine, target: Target, *, force: bool = False) -> Action:
    """`m`: toggle maintenance on the target node (enter when it is not intended, leave when it
    is), after asking; `M` (`force`): enter it with --force (even below HA's failover level).
    KeyError for an unknown node."""
    if target.node is None:
        return nothing(target)
    node = target.node
    if force:
        return Action((Maintenance(node, True, force=True),),
                      question=f"Force {target.label()} into maintenance?",
                      detail="It evacuates even when that breaks HA's failover level.")
    leave = views.nodes(engine)[node].maintenance
    if leave:
        return Action((Maintenance(node, False),),
                      question=f"Take {target.label()} out of maintenance?",
                      detail="It takes VMs again; the balancer may move some onto it.")
    return Action((Maintenance(node, True),),
                  question=f"Put {target.label()} into maintenance?",
                  detail="Its VMs leave by live migration first.")


def crash(engine: Engine, target: Target) -> Action:
    """`x`: crash the target node, after asking (it stops at once, its VMs restart elsewhere
    once the cluster declares it failed). KeyError for an unknown node."""
    if target.node is None:
        return nothing(target)
    count = len(views.nodes(engine)[target.node].vms)
    return Action((FailNode(target.node),), question=f"Crash {target.label()}?",
                  detail=f"It stops at once; its {count} VM(s) go down.")


def isolate(target: Target) -> Action:
    """`i`: cut the target node off the heartbeat network, after asking."""
    if target.node is None:
        return nothing(target)
    return Action((Isolate(target.node),),
                  question=f"Isolate {target.label()} from the heartbeat network?",
                  detail="Without quorum it applies its isolation response.")


def recover(engine: Engine, target: Target) -> Action:
    """`r`: reconnect a powered node cut off the heartbeat network, else power it on.
    KeyError for an unknown node."""
    if target.node is None:
        return nothing(target)
    state = views.nodes(engine)[target.node]
    if state.powered and not state.connected:
        return Action((Reconnect(target.node),))
    return Action((PowerOn(target.node),))


def failover(engine: Engine, target: Target) -> Action:
    """`f`: force the target service over to a passive member; for a target node, every
    service active on it off it (a notice when none is), after asking."""
    if target.service is not None:
        return Action((Failover(target.service),),
                      question=f"Force {target.label()} over to a passive member?")
    if target.node is None:
        return nothing(target)
    services = views.services_active_on(engine, target.node)
    if not services:
        return Action(notice=f"no service is active on {target.label()}; select a service "
                             "(4) to fail it over", notice_title="Nothing to fail over")
    return Action(tuple(Failover(s) for s in services),
                  question=f"Force {', '.join(services)} off {target.label()}?",
                  detail="Each fails over to its best passive member.")


def migrate(engine: Engine, target: Target, *, locked: bool) -> Action:
    """`v`: let the operator pick a host for the target VM when it runs and is not moving yet;
    otherwise (or when the console is `locked`) `migrate VM` at once, for the model to refuse
    with its reason. KeyError for an unknown VM."""
    if target.vm is None:
        return nothing(target)
    vm = target.vm
    machine = views.vms(engine)[vm]
    if locked or views.is_moving(engine, vm) or machine.state is not VmState.RUNNING:
        return Action((Migrate(vm),))
    return Action(vm=vm, targets=tuple(views.migration_targets(engine, machine)))


def suspend(engine: Engine, target: Target) -> Action:
    """`p`: resume the target VM when it is paused, else suspend it (the model refuses a VM
    that is not running, with its reason). KeyError for an unknown VM."""
    if target.vm is None:
        return nothing(target)
    if views.vms(engine)[target.vm].state.value == PAUSED:
        return Action((VmResume(target.vm),))
    return Action((VmSuspend(target.vm),))


def shutdown(target: Target) -> Action:
    """`S`: shut the target VM down through its guest OS, after asking."""
    if target.vm is None:
        return nothing(target)
    return Action((VmShutdown(target.vm),), question=f"Shut {target.label()} down?",
                  detail="Its guest OS is asked to shut down (ACPI), then it stops.")


def power(engine: Engine, target: Target) -> Action:
    """`P`: power the target VM on when it is stopped or failed; else force it off, after
    asking (its power is cut, the guest does not shut down). KeyError for an unknown VM."""
    if target.vm is None:
        return nothing(target)
    if views.vms(engine)[target.vm].state in (VmState.STOPPED, VmState.FAILED):
        return Action((VmPower(target.vm, True),))
    return force_off(target.label(), target.vm)


def force_off(label: str, vm: str) -> Action:
    """The hard power-off of `vm` (called `label` in the question), after asking."""
    return Action((VmPower(vm, False),), question=f"Force {label} off?",
                  detail="Its power is cut at once: the guest does not shut down "
                         "(S shuts it down).")


def live_migrate(vm: str, target: str | None) -> Action:
    """The live migration of `vm` to `target` (None: the balancer chooses), after asking: the
    question a migration of a VM on a real host asks."""
    where = f"to {target}" if target is not None else "where the balancer chooses"
    return Action((Migrate(vm, target),), question=f"Live-migrate VM {vm} {where}?",
                  detail="It keeps running; its memory is copied to the target first.")


def apply_recommendation(recommendation: Recommendation) -> Action:
    """enter on the balancer pane: make the recommended move."""
    return Action((Migrate(recommendation.vm, recommendation.target),))


def rebalance(engine: Engine, *, locked: bool = False) -> Action:
    """`b`: run the balancer now and apply its plan, after asking (the dialog shows the plan);
    a notice with the balancer's reason when its plan (tried on a fork) moves nothing. While
    `locked` (read-only, a replay) the command goes on to its refusal."""
    if not locked and len(engine.cluster.vms) <= FORK_LIMIT_VMS:
        trial = fork(engine)
        if trial.membership.has_quorum() and not trial.balancer.plan():
            level = engine.cluster.settings.balancer.threshold
            return Action(notice=f"Nothing to move: the balancer finds the cluster balanced "
                                 f"(imbalance {trial.balancer.imbalance:.3f} at threshold "
                                 f"{level})", notice_title="Rebalance")
    return Action((Rebalance(),), question="Run the balancer now and apply its plan?")


def pause(clock: SessionClock) -> Action:
    """space: resume a paused clock, pause a running one."""
    return Action((Resume() if clock.paused else Pause(),))


def faster(clock: SessionClock) -> Action:
    """`+`: the next speed up."""
    return Action((Speed(clock.faster()),))


def slower(clock: SessionClock) -> Action:
    """`-`: the next speed down."""
    return Action((Speed(clock.slower()),))
