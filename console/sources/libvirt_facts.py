"""What the libvirt client hands out: plain frozen dataclasses, no libvirt objects.

`HostFacts` and `DomainFacts` describe a connection's host and its domains as discovered; the
observations (`HostReachable`, `DomainState`, ...) are what the client reports while it runs,
each naming its host by `HostFacts.name`. libvirt's numeric states and reasons become words
here (`domain_state`), so nothing past this module needs libvirt's constants.
"""

from __future__ import annotations

from dataclasses import dataclass

#: The states a domain is reported in.
STATES = ("running", "paused", "stopped", "crashed")

# virDomainState -> our state: blocked and shutdown (being shut down: it still runs) count as
# running, pmsuspended as paused, nostate and shutoff as stopped.
_STATE_OF = {0: "stopped", 1: "running", 2: "running", 3: "paused", 4: "running", 5: "stopped",
             6: "crashed", 7: "paused"}
# virDomainState -> its reason enum (virDomainRunningReason, ...), as libvirt's words.
_REASONS: dict[int, tuple[str, ...]] = {
    0: ("unknown",),
    1: ("unknown", "booted", "migrated", "restored", "from_snapshot", "unpaused",
        "migration_canceled", "save_canceled", "wakeup", "crashed", "postcopy",
        "postcopy_failed"),
    2: ("unknown",),
    3: ("unknown", "user", "migration", "save", "dump", "ioerror", "watchdog", "from_snapshot",
        "shutting_down", "snapshot", "crashed", "starting_up", "postcopy", "postcopy_failed",
        "api_error"),
    4: ("shutdown", "shutdown"),  # virDomainShutdownReason (unknown, user): being shut down
    5: ("unknown", "shutdown", "destroyed", "crashed", "migrated", "saved", "failed",
        "from_snapshot", "daemon"),
    6: ("unknown", "panicked"),
    7: ("unknown",),
}
# virDomainEventType -> the state a lifecycle event leaves the domain in (None: no change of
# ours: defined, undefined, and "shutdown", which a "stopped" event follows).
_EVENT_STATE = {2: "running", 3: "paused", 4: "running", 5: "stopped", 7: "paused",
                8: "crashed"}
# virDomainEventType -> its detail enum as libvirt's words (for the reason of an event whose
# domain is gone before its state could be read).
_EVENT_DETAILS: dict[int, tuple[str, ...]] = {
    2: ("booted", "migrated", "restored", "from_snapshot", "wakeup", "recreated"),
    3: ("user", "migrated", "ioerror", "watchdog", "restored", "from_snapshot", "api_error",
        "postcopy", "postcopy_failed"),
    4: ("unpaused", "migrated", "from_snapshot", "postcopy", "postcopy_failed"),
    5: ("shutdown", "destroyed", "crashed", "migrated", "saved", "failed", "from_snapshot"),
    7: ("memory", "disk"),
    8: ("panicked", "crashloaded"),
}
#: virDomainEventType numbers of the lifecycle events that define and undefine a domain.
EVENT_DEFINED, EVENT_UNDEFINED = 0, 1


def domain_state(state: int, reason: int) -> tuple[str, str]:
    """libvirt's (virDomainState, reason) -> (one of STATES, reason word, e.g. "user");
    numbers libvirt may add later read as ("stopped" / "unknown")."""
    reasons = _REASONS.get(state, ("unknown",))
    word = reasons[reason] if 0 <= reason < len(reasons) else "unknown"
    return _STATE_OF.get(state, "stopped"), word


def event_state(event: int, detail: int) -> tuple[str, str] | None:
    """A lifecycle event (virDomainEventType, detail) -> the (state, reason) it leaves the
    domain in, or None for an event that changes no state of ours."""
    state = _EVENT_STATE.get(event)
    if state is None:
        return None
    details = _EVENT_DETAILS.get(event, ())
    return state, details[detail] if 0 <= detail < len(details) else "unknown"


@dataclass(frozen=True)
class HostFacts:
    """A connection's host. `uri` is redacted; `name` a node name unique in the pool (the XML
    file's stem for the test driver, "default" for test:///default, else the hostname's first
    label); `hypervisor` our kind ("kvm", "xenserver", "esxi", "hyperv"); `driver` libvirt's
    getType(); `nics_gbps` / `disks_gb` empty where libvirt reports none."""

    uri: str
    name: str
    hypervisor: str
    driver: str
    sockets: int
    cores_per_socket: int
    mhz: int
    memory_mb: int
    nics_gbps: tuple[float, ...]
    disks_gb: tuple[float, ...]


@dataclass(frozen=True)
class DomainFacts:
    """A domain: `state` one of STATES, `reason` libvirt's reason word, `memory_mb` its maximum
    memory, `disk_gb` the sum of its disks' capacity where libvirt tells (else 0.0)."""

    name: str
    uuid: str
    state: str
    reason: str
    vcpus: int
    memory_mb: int
    disk_gb: float
    persistent: bool


@dataclass(frozen=True)
class HostReachable:
    """`host`'s connection answers (`up`) or stopped answering; `reason` one line, redacted."""

    host: str
    up: bool
    reason: str


@dataclass(frozen=True)
class DomainState:
    """Domain `name` on `host` is now in `state` (one of STATES) for libvirt's `reason`."""

    host: str
    name: str
    state: str
    reason: str


@dataclass(frozen=True)
class DomainDefined:
    """`domain` appeared on `host` (or its definition changed)."""

    host: str
    domain: DomainFacts


@dataclass(frozen=True)
class DomainUndefined:
    """Domain `name` was removed from `host`."""

    host: str
    name: str


@dataclass(frozen=True)
class HostStats:
    """`host`'s utilisation over the last interval, fractions 0-1 of its CPU, memory and disk
    throughput."""

    host: str
    cpu: float
    memory: float
    disk: float


@dataclass(frozen=True)
class DomainStats:
    """Domain `name`'s utilisation over the last interval, fractions 0-1: of its vCPUs, of its
    memory (0.0 where the guest does not report it), of the disk throughput assumed."""

    host: str
    name: str
    cpu: float
    memory: float
    disk: float


@dataclass(frozen=True)
class Readings:
    """One stats pass over `host` (one observation, so that a host of thousands of domains is
    handed over at once): its `figures` (None until every domain has been read twice: its
    figures sum theirs), and `domains`, the figures of the domains read this time, a slice of
    its `active` domains: the host is read at every pass, each domain once every `period_s`
    seconds (its figures are rates over that period)."""

    host: str
    figures: HostStats | None
    domains: tuple[DomainStats, ...]
    period_s: float
    active: int


@dataclass(frozen=True)
class MigrationProgress:
    """The live migration of `name`: pre-copy `round`, memory still to copy (MB) and the
    expected downtime (ms), from libvirt's job stats."""

    name: str
    round: int
    remaining_mb: float
    downtime_ms: float


@dataclass(frozen=True)
class MigrationDone:
    """The live migration of `name` finished: it runs on host `target` (a HostFacts.name)."""

    name: str
    target: str


@dataclass(frozen=True)
class ActionFailed:
    """`verb` (e.g. "vm-suspend", "migrate") on `name` failed; `reason` is libvirt's message,
    redacted, one line (or the timeout that ended the call)."""

    name: str
    verb: str
    reason: str


#: Anything the client reports while it runs.
Observation = (HostReachable | DomainState | DomainDefined | DomainUndefined | HostStats
               | DomainStats | Readings | MigrationProgress | MigrationDone | ActionFailed)
