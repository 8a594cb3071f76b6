"""Fixtures of the fault runs: a replayable seed, printed so a failing run can be run again with it."""

from __future__ import annotations

import os
import random

import pytest


@pytest.fixture
def seed(request: pytest.FixtureRequest) -> int:
    """``FAULT_SEED=<n>`` replays a run; otherwise a fresh seed, printed (pytest shows it when a test fails)."""
    value = int(os.environ.get("FAULT_SEED") or random.SystemRandom().randrange(2**32))
    print(f"\n{request.node.name}: FAULT_SEED={value}")
    return value
