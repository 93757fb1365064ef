"""Fixtures shared by the model tests; the helpers themselves live in cluster_helpers.py."""

from __future__ import annotations

import pytest
from cluster_helpers import make_engine

from console.model.engine import Engine


@pytest.fixture
def seed_engine() -> Engine:
    return make_engine()
