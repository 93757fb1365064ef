"""The embedded cluster model from a cluster file: the default source.

It observes nothing (the model is the whole world), so `start` and `stop` do nothing, and it
carries out every command of the command language.
"""

from __future__ import annotations

from pathlib import Path

from console.formats.cluster import load_cluster
from console.model.cluster import Cluster
from console.model.commands import Command
from console.session import Session
from console.sources.base import Post


class SimSource:
    """The cluster described by the TOML file at `path` (console.formats.cluster's format)."""

    def __init__(self, path: str | Path) -> None:
        self.path = path

    def build(self) -> Cluster:
        """Read, check and build the cluster; raises ConfigError naming the file, line and key
        of the first problem."""
        return load_cluster(self.path)

    def supports(self, command: Command) -> bool:
        """Every command: the embedded model carries all of them out (or refuses, saying why)."""
        return True

    def start(self, session: Session, post: Post) -> None:
        """Nothing to observe."""

    def stop(self) -> None:
        """Nothing to stop."""
