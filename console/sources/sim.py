"""The embedded cluster model from a cluster file: the default source.

It observes nothing (the model is the whole world), so `start` and `stop` do nothing, and it
carries out every command of the command language.
"""

from __future__ import annotations

from pathlib import Path

from console.formats.cluster import load_cluster, parse_cluster
from console.model.cluster import Cluster
from console.model.commands import Command
from console.session import Session
from console.sources.base import Post


class SimSource:
    """The cluster described by the TOML file at `path` (console.formats.cluster's format);
    `text`, when given, is that file's text as already read (a 40,000-VM file is not read
    again, and the cluster built is the one a recording embeds)."""

    def __init__(self, path: str | Path, text: str | None = None) -> None:
        self.path = path
        self.text = text

    def build(self) -> Cluster:
        """Read (unless given), check and build the cluster; raises ConfigError naming the
        file, line and key of the first problem."""
        if self.text is not None:
            return parse_cluster(self.text, str(self.path))
        return load_cluster(self.path)

    def supports(self, command: Command) -> bool:
        """Every command: the embedded model carries all of them out (or refuses, saying why)."""
        return True

    def start(self, session: Session, post: Post) -> None:
        """Nothing to observe."""

    def stop(self) -> None:
        """Nothing to stop."""
