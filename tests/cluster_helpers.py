"""Helpers for model tests: engines on the sample clusters, a runner that checks the
invariants at every step, and event queries. A plain module (not conftest.py), so that test
packages with conftests of their own cannot shadow it."""

from __future__ import annotations

import re
from collections.abc import Callable

from console.formats.cluster import load_cluster
from console.model.commands import parse
from console.model.engine import Engine
from console.model.events import Event
from console.model.invariants import violations
from console.paths import SAMPLE_CLUSTERS


def make_engine(name: str = "seed.toml", seed: int = 0, **settings: object) -> Engine:
    cluster = load_cluster(SAMPLE_CLUSTERS / name)
    for dotted, value in settings.items():
        section, key = dotted.split("__")
        setattr(getattr(cluster.settings, section), key, value)
    return Engine(cluster, seed)


def run_checked(engine: Engine, until: float, steps: dict[float, str] | None = None,
                step: float = 1.0) -> None:
    """Advance to `until` in `step`s, submitting `steps` on time, asserting the invariants
    after every step: the invariants must hold at every instant, not only at the end."""
    queue = sorted((steps or {}).items())
    while engine.now < until:
        stop = min(engine.now + step, until)
        while queue and queue[0][0] <= stop:
            t, line = queue.pop(0)
            engine.submit_at(t, parse(line))
            _check(engine)
        engine.run_until(stop)
        _check(engine)


def _check(engine: Engine) -> None:
    problems = violations(engine.cluster)
    assert not problems, f"at {engine.now:g} s: {problems}"


def events(engine: Engine, kind: str | None = None,
           where: Callable[[Event], bool] = lambda e: True) -> list[Event]:
    return [e for e in engine.log.events if (kind is None or e.kind == kind) and where(e)]


#: What a message must never show: a None, a float's inf or nan, an exponent, an enum's or an
#: object's repr (the values Python prints for an unset or raw value).
UNREADABLE = re.compile(r"\bNone\b|\b-?inf\b|\bnan\b|\d[eE][+-]\d|\b[A-Z][A-Za-z]+\.[A-Z_]{2,}\b"
                        r"|<[\w.]+ object")


def unreadable(engine: Engine, since: int = 0) -> list[str]:
    """Event messages from the `since`-th on that show a raw Python value."""
    return [f"{e.t:g} {e.kind}: {e.message}" for e in engine.log.events[since:]
            if UNREADABLE.search(e.message)]


#: A cluster file of two small ESXi hosts, 12 lines long; tests append VMs, services and faults
#: to it (line numbers in expected messages count from its first line).
TWO_HOSTS = """\
[cluster]
name = "t"

[[nodes]]
name = "A"
hypervisor = "esxi"
memory_gb = 16

[[nodes]]
name = "B"
hypervisor = "esxi"
memory_gb = 8
"""
