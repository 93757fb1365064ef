"""A copy of a running model to try things on: the preview and the dry-run check run a command on
it and read what follows, without touching the original.

The copy is a deep copy of the engine, of everything it holds: its cluster, the timer queue, the
seeded random generator and the behaviours' state, so it goes on exactly as the original would
(the model is deterministic). Pending timers hold closures over the behaviours; `copy.deepcopy`
treats functions as atoms and would leave those closures pointing at the original, so a fork
copies each closure's cells too (`copy_function`), through the same memo: a timer of the copy
acts on the copy. The event log and the command log start empty in the copy (what the copy logs
is what the tried command caused), and its listeners (journal, recorder, viewers) are not
carried over. Workload traces, read only, are shared.

Cost (bench/preview_bench.py, 2 busy cores): 0.09-0.14 s for the datacenter sample (32 hosts, 648
VMs), about 1 s for 4,000 VMs, 6-14 s for 2,000 hosts and 40,000 VMs: it grows with the VMs,
which is why the callers bound it (`FORK_LIMIT_VMS`).
"""

from __future__ import annotations

import copy
import threading
import types
from typing import Any, Protocol, TypeVar

from console.model.cluster import Cluster
from console.model.events import EventLog

#: Above this many VMs a fork costs more than a key press may (about 0.5 s at 2,000 VMs, 1 s
#: at 4,000): the check answers the engine's own refusals only and the preview is skipped.
FORK_LIMIT_VMS = 2000

T = TypeVar("T")
_LOCK = threading.Lock()


def copy_function(function: types.FunctionType, memo: dict[int, Any]) -> types.FunctionType:
    """`function` with its closure's cells deep-copied through `memo` (the same function when
    it closes over nothing: module-level functions are shared)."""
    if function.__closure__ is None:
        return function
    cells = []
    for cell in function.__closure__:
        try:
            contents = cell.cell_contents
        except ValueError:  # an empty cell (a name not bound yet)
            cells.append(types.CellType())
            continue
        cells.append(types.CellType(copy.deepcopy(contents, memo)))
    copied = types.FunctionType(function.__code__, function.__globals__, function.__name__,
                                function.__defaults__, tuple(cells))
    copied.__kwdefaults__ = function.__kwdefaults__
    copied.__dict__.update(function.__dict__)
    memo[id(function)] = copied
    return copied


def deep_copy_with_closures(value: T, memo: dict[int, Any]) -> T:
    """`copy.deepcopy(value, memo)`, closures included (see the module's docstring). The standard
    library's dispatch table is switched for the call and put back after, under a lock."""
    dispatch = copy._deepcopy_dispatch  # type: ignore[attr-defined]
    with _LOCK:
        atom = dispatch[types.FunctionType]
        dispatch[types.FunctionType] = copy_function
        try:
            return copy.deepcopy(value, memo)
        finally:
            dispatch[types.FunctionType] = atom


class Forkable(Protocol):
    """What a fork needs to know of an engine: the logs it leaves behind, the traces it shares."""

    log: EventLog
    command_log: list[Any]
    cluster: Cluster


F = TypeVar("F", bound=Forkable)


def fork(engine: F) -> F:
    """A copy of `engine` that runs on by itself: same state, timers and random generator, an
    empty event and command log, no listeners, no actuations (nothing reaches real hosts),
    the original untouched."""
    memo: dict[int, Any] = {
        id(engine.log): EventLog(),
        id(engine.command_log): [],
        id(engine.cluster.traces): engine.cluster.traces,
    }
    actuations = getattr(engine, "actuations", None)
    if actuations is not None:  # a fork tries things: it never acts on real hosts
        memo[id(actuations)] = None
    return deep_copy_with_closures(engine, memo)
