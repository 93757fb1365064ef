"""Fixtures shared by the model tests; the helpers themselves live in cluster_helpers.py.

For the whole run (and every program a test starts), the user's data folder is a temporary
one: the console writes a journal of each session there by default (console.ui.journaling),
never into the real ~/.local/share."""

from __future__ import annotations

import os
import shutil
import tempfile

import pytest
from cluster_helpers import make_engine

from console.model.engine import Engine

_DATA_HOME = tempfile.mkdtemp(prefix="cluster-console-tests-data-")
os.environ["XDG_DATA_HOME"] = _DATA_HOME


def pytest_unconfigure(config: pytest.Config) -> None:
    """The run's data folder goes with the run."""
    shutil.rmtree(_DATA_HOME, ignore_errors=True)


@pytest.fixture
def seed_engine() -> Engine:
    return make_engine()
