"""Helpers for the console's Pilot and snapshot tests: a seed-cluster app on a paused session, no
confirmation unless asked, fixed theme; selecting rows as a user would. A plain module, not
conftest.py, so that no other conftest can shadow it."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import AsyncIterator

from console.formats.cluster import load_cluster
from console.model.engine import Engine
from console.paths import SAMPLE_CLUSTERS
from console.session import Session


def seed_engine(seed: int = 0) -> Engine:
    return Engine(load_cluster(SAMPLE_CLUSTERS / "seed.toml"), seed)


def make_session(engine: Engine | None = None, *, speed: float = 1.0, paused: bool = True,
                 read_only: bool = False) -> Session:
    """A session on `engine` (default: the seed cluster), paused unless asked."""
    return Session(engine or seed_engine(), speed=speed, paused=paused, read_only=read_only)


def make_app(engine: Engine | None = None, *, session: Session | None = None,
             speed: float = 1.0, paused: bool = True, read_only: bool = False, **options):
    """The console viewing `session` (default: `make_session(engine, ...)`)."""
    from console.ui.app import ConsoleApp

    options.setdefault("confirm", False)
    options.setdefault("theme", "dark")
    if session is None:
        session = make_session(engine, speed=speed, paused=paused, read_only=read_only)
    app = ConsoleApp(session, **options)
    app.animation_level = "none"
    return app


def notes(app) -> list[str]:
    return [message for _severity, message in app.notices]


async def select_node(pilot, name: str) -> None:
    """Focus the nodes pane and move the cursor to `name`."""
    await pilot.press("1")
    order = list(pilot.app.engine.cluster.nodes)
    await pilot.press("home", *["down"] * order.index(name))
    await pilot.pause()


async def select_vm(pilot, name: str) -> None:
    """Focus the VMs pane and move the cursor to `name`."""
    from console.ui.widgets.vms import VmsTable

    await pilot.press("2")
    table = pilot.app.screen.query_one(VmsTable)
    assert table.move_cursor_to_key(name), name
    await pilot.pause()


def crashed_datacenter_app():
    """An app on the datacenter sample (seed 4) whose first node has crashed: VMs down, restarts
    pending, so the VMs pane has states and CPU figures of every kind to sort."""
    from cluster_helpers import make_engine

    from console.model.commands import parse

    engine = make_engine("datacenter.toml", 4)
    engine.submit(parse(f"fail-node {next(iter(engine.cluster.nodes))}"))
    return make_app(engine)


@contextlib.asynccontextmanager
async def loading_app(size: tuple[int, int] = (120, 40), status: str | None = None
                      ) -> AsyncIterator[tuple]:
    """A console whose cluster loads until the block sets `release` (or ends), run at `size`
    and waited on until its loading screen is up (saying `status` when given):
    yields (app, pilot, release)."""
    from console.ui.app import ConsoleApp
    from console.ui.screens.loading import LoadingScreen

    release = threading.Event()

    def held() -> Session:
        release.wait()
        return make_session()

    app = ConsoleApp(loader=held, theme="dark")
    if status is not None:
        app.loading_status = lambda: status
    try:
        async with app.run_test(size=size) as pilot:
            while not isinstance(app.screen, LoadingScreen):
                await pilot.pause()
            yield app, pilot, release
    finally:
        release.set()
