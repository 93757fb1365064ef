"""Fixtures for the console's Pilot and snapshot tests: a seed-cluster app, paused, no
confirmation unless asked, fixed theme, no cursor blink; time moves only through app.advance."""

from __future__ import annotations

import asyncio
import inspect

import pytest

from console.config import load_cluster
from console.model.engine import Engine
from console.paths import SAMPLE_CLUSTERS


def seed_engine(seed: int = 0) -> Engine:
    return Engine(load_cluster(SAMPLE_CLUSTERS / "seed.toml"), seed)


def make_app(engine: Engine | None = None, **options):
    from console.ui.app import ConsoleApp

    options.setdefault("paused", True)
    options.setdefault("confirm", False)
    options.setdefault("theme", "dark")
    app = ConsoleApp(engine or seed_engine(), **options)
    app.animation_level = "none"
    return app


@pytest.fixture(autouse=True)
def _isolated_config(tmp_path, monkeypatch):
    """No user keys.toml or themes leak into a test; NO_COLOR unset unless a test sets it."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.delenv("NO_COLOR", raising=False)


def notes(app) -> list[str]:
    return [message for _severity, message in app.notices]


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem):
    """Run `async def` tests in a fresh event loop (no pytest-asyncio needed)."""
    if inspect.iscoroutinefunction(pyfuncitem.obj):
        names = pyfuncitem._fixtureinfo.argnames
        asyncio.run(pyfuncitem.obj(**{n: pyfuncitem.funcargs[n] for n in names}))
        return True
    return None
