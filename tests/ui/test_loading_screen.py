"""What the loading screen says: a cluster of real hosts (`--connect URI`, connected before the
screen) is read from them behind it, and the screen says so, not that a cluster file loads.
Driven headless through `launch.open_console`, the source held until the screen is read."""

from __future__ import annotations

import threading

from textual.widgets import Static

from console.formats.cluster import load_cluster
from console.model.cluster import Cluster
from console.paths import SAMPLE_CLUSTERS
from console.ui import launch
from console.ui.screens.loading import LoadingScreen


class HeldHosts:
    """Real hosts, connected, whose cluster is built once `release` is set (a stand-in for
    console.sources.libvirt: the loader thread waits in `build`)."""

    def __init__(self) -> None:
        self.release = threading.Event()

    def build(self) -> Cluster:
        self.release.wait()
        return load_cluster(SAMPLE_CLUSTERS / "seed.toml")

    def supports(self, command: object) -> bool:
        return False

    def start(self, session: object, post: object) -> None:
        """Nothing observed in the test."""

    def stop(self) -> None:
        """Nothing to stop."""


def test_the_loading_screen_of_real_hosts_says_it_reads_them(monkeypatch) -> None:
    hosts = HeldHosts()
    said: list[str] = []

    def run(app) -> int | None:
        async def read_and_quit(pilot) -> None:
            while not isinstance(app.screen, LoadingScreen):
                await pilot.pause()
            said.append(str(app.screen.query_one(Static).render()))
            await pilot.press("q")
            hosts.release.set()

        return app.run(headless=True, size=(120, 40), auto_pilot=read_and_quit)

    monkeypatch.setattr(launch, "_run", run)
    themes, keymap = launch.load_settings(None)
    # the text of a big observed cluster: built behind the loading screen
    text = "# " + "x" * launch.ASYNC_LOAD_BYTES + "\n"
    try:
        assert launch.open_console("libvirt", seed=0, local=False, speed=1.0, paused=False,
                                   confirm=True, read_only=True, theme=None, themes=themes,
                                   keymap=keymap, record=None, cluster_text=text,
                                   source=hosts) == 0
    finally:
        hosts.release.set()
    assert said == [launch.OBSERVED_LOADING]
    assert "real hosts" in said[0] and "cluster file" not in said[0]
