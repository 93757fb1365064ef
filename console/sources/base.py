"""The Source protocol: where a session's cluster comes from, and what the world tells it.

A source builds the cluster a Session runs (`build`), says which commands it can carry out
(`supports`: the embedded model carries out every one; a real backend, libvirt, fewer), and,
once the session runs, feeds observations of the world into it as commands (`start` / `stop`):
the `--local` machine's psutil readings enter as `reading` commands through `Session.submit`, so a
recording holds them and a replay shows the same figures. Compare pve-ha-manager's `PVE::HA::Env`,
whose simulator (`Sim/Env.pm`) and real cluster (`Env/PVE2.pm`) answer the same calls.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from console.model.cluster import Cluster
from console.model.commands import Command
from console.session import Session

#: Runs a function on the thread that owns the session (the console's UI thread): a source that
#: observes in a thread of its own hands its submissions over through it.
Post = Callable[[Callable[[], None]], None]


class Source(Protocol):
    """A cluster and the observations of it; see the module's docstring."""

    def build(self) -> Cluster:
        """The cluster to run; raises the cluster file's ConfigError when it is bad."""
        ...

    def supports(self, command: Command) -> bool:
        """Whether this source can carry `command` out."""
        ...

    def start(self, session: Session, post: Post) -> None:
        """Begin feeding observations into `session` (each submission through `post`)."""
        ...

    def stop(self) -> None:
        """Stop feeding observations; returns at once, safe to call twice or unstarted."""
        ...
