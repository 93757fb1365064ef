"""What the main screen's keys do to the selection: pure functions from the model's read-only views
(console.model.views) and a selected name to the commands of the command language.

Nothing here runs a command or touches Textual: the screen carries an `Action` out (asks its
question first, when there is one, then submits each command through the session's door), so
what a key means is testable without a console. A key never decides that a command would be
refused: when the model would refuse (read-only, a VM that cannot move), the command is built all
the same and the refusal says why.
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
)
from console.model.entities import VmState

if TYPE_CHECKING:
    from console.model.balancer import Recommendation
    from console.model.engine import Engine
    from console.session import SessionClock


@dataclass(frozen=True, slots=True)
class Action:
    """What a key asks for.

    `commands` run in order, after `question` (with `detail` under it) is answered yes when
    there is a question. `notice` (titled `notice_title`) says why there is nothing to do.
    `targets` (a migration's candidate hosts, best first) asks the operator to pick where
    `vm` goes; the picker builds the command."""

    commands: tuple[Command, ...] = ()
    question: str | None = None
    detail: str = ""
    notice: str | None = None
    notice_title: str = ""
    vm: str | None = None
    targets: tuple[views.TargetOption, ...] | None = None


def maintenance(engine: Engine, node: str) -> Action:
    """`m`: toggle maintenance on `node` (enter when it is not intended, leave when it is).
    KeyError for an unknown node."""
    current = views.nodes(engine)[node].maintenance
    return Action((Maintenance(node, not current),))


def crash(engine: Engine, node: str) -> Action:
    """`x`: crash `node`, after asking (it stops at once, its VMs restart elsewhere once the
    cluster declares it failed). KeyError for an unknown node."""
    count = len(views.nodes(engine)[node].vms)
    return Action((FailNode(node),), question=f"Crash node {node}?",
                  detail=f"It stops at once; its {count} VM(s) go down and restart elsewhere "
                         "once the cluster declares it failed.")


def isolate(node: str) -> Action:
    """`i`: cut `node` off the heartbeat network, after asking."""
    return Action((Isolate(node),),
                  question=f"Isolate node {node} from the heartbeat network?",
                  detail="Without quorum it applies its isolation response; its services "
                         "fail over.")


def recover(engine: Engine, node: str) -> Action:
    """`r`: reconnect a powered node cut off the heartbeat network, else power it on.
    KeyError for an unknown node."""
    state = views.nodes(engine)[node]
    if state.powered and not state.connected:
        return Action((Reconnect(node),))
    return Action((PowerOn(node),))


def failover_service(service: str) -> Action:
    """`f` on the services pane: force `service` over to a passive member, after asking."""
    return Action((Failover(service),),
                  question=f"Force service {service} over to a passive member?")


def failover_node(engine: Engine, node: str) -> Action:
    """`f` elsewhere: force every service active on `node` off it, after asking; a notice when
    none is active there."""
    services = views.services_active_on(engine, node)
    if not services:
        return Action(notice=f"no service is active on {node}; select a service (4) to fail it "
                             "over", notice_title="Nothing to fail over")
    return Action(tuple(Failover(s) for s in services),
                  question=f"Force {', '.join(services)} off {node}?",
                  detail="Each fails over to its best passive member.")


def migrate(engine: Engine, vm: str, *, locked: bool) -> Action:
    """`v`: let the operator pick a host for a running `vm` that is not moving yet; otherwise
    (or when the console is `locked`) `migrate VM` at once, for the model to refuse with its
    reason. KeyError for an unknown VM."""
    machine = views.vms(engine)[vm]
    if locked or views.is_moving(engine, vm) or machine.state is not VmState.RUNNING:
        return Action((Migrate(vm),))
    return Action(vm=vm, targets=tuple(views.migration_targets(engine, machine)))


def apply_recommendation(recommendation: Recommendation) -> Action:
    """enter on the balancer pane: make the recommended move."""
    return Action((Migrate(recommendation.vm, recommendation.target),))


def rebalance() -> Action:
    """`b`: run the balancer now."""
    return Action((Rebalance(),))


def pause(clock: SessionClock) -> Action:
    """space: resume a paused clock, pause a running one."""
    return Action((Resume() if clock.paused else Pause(),))


def faster(clock: SessionClock) -> Action:
    """`+`: the next speed up."""
    return Action((Speed(clock.faster()),))


def slower(clock: SessionClock) -> Action:
    """`-`: the next speed down."""
    return Action((Speed(clock.slower()),))
