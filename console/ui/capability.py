"""What the session's source lets the keys do (`Session.capability`), asked the way the screens
need it: whether a key of the main screen is refused (greyed in the footer, its refusal said
when pressed or picked in the palette), and whether the source allows no change at all (the
header then says READ-ONLY).

A source answers by a command's kind (real hosts refuse every change without
`--allow-actions`, a crash always, the clock's speed always), so a key is asked with the
commands of each kind it may build (`PROBES`, on a placeholder name): it is refused when every
one of them is, with the first one's reason (`recover` builds `power-on` or `reconnect`).
A source that refuses the clock's commands (`CLOCK_PROBES`: pause, speed) keeps real time: the
console then never holds its clock (`keeps_real_time`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

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
    Speed,
    VmPower,
    VmResume,
    VmShutdown,
    VmSuspend,
)

if TYPE_CHECKING:
    from console.session import Session

#: The name the probes act on: a source's answer does not depend on it.
ANY = "any"
#: Key id -> the commands of each kind the key may build (every mutating key of
#: console.ui.keys has an entry).
PROBES: dict[str, tuple[Command, ...]] = {
    "maintenance": (Maintenance(ANY, True), Maintenance(ANY, False)),
    "force-maintenance": (Maintenance(ANY, True, force=True),),
    "migrate": (Migrate(ANY),),
    "failover": (Failover(ANY),),
    "crash": (FailNode(ANY),),
    "isolate": (Isolate(ANY),),
    "recover": (PowerOn(ANY), Reconnect(ANY)),
    "rebalance": (Rebalance(),),
    "suspend": (VmSuspend(ANY), VmResume(ANY)),
    "shutdown": (VmShutdown(ANY),),
    "power": (VmPower(ANY, True), VmPower(ANY, False)),
}

#: The clock commands a source is asked about: one that refuses them all keeps real time.
CLOCK_PROBES: tuple[Command, ...] = (Pause(), Speed(1.0))

Capability = Callable[[Command], "str | None"]


def refusal(capability: Capability | None, commands: Iterable[Command]) -> str | None:
    """The first reason `capability` gives when it refuses every one of `commands`; None when it
    takes one of them (or there is no capability, or no command)."""
    if capability is None:
        return None
    first: str | None = None
    for command in commands:
        reason = capability(command)
        if reason is None:
            return None
        first = first or reason
    return first


def key_refusal(session: Session, key_id: str) -> str | None:
    """Why the session's source refuses what the key `key_id` does (None: it takes it, or the key
    changes nothing). KeyError for a key id without `PROBES` (a mutating key missing there)."""
    if session.capability is None:
        return None
    return refusal(session.capability, PROBES[key_id])


def refuses_every_change(session: Session) -> bool:
    """Whether the session's source refuses what every mutating key does (real hosts without
    `--allow-actions`): the header says READ-ONLY as for `--read-only`."""
    if session.capability is None:
        return False
    return all(key_refusal(session, key_id) is not None for key_id in PROBES)


def keeps_real_time(session: Session) -> bool:
    """Whether the session's source refuses the clock's commands (`CLOCK_PROBES`: real hosts):
    its clock runs at real time, and the console never holds it (no HELD while a question is
    open, no real seconds dropped), or the model's timers (heartbeats, a host going suspect)
    would fall behind the hosts'."""
    return refusal(session.capability, CLOCK_PROBES) is not None
