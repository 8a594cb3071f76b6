"""Fixtures of the tip tests: a phone's anonymous half (``tipster``), on the demo commune's DONG-01 phone."""

from __future__ import annotations

from typing import Any

import pytest

from .tipster import Tipster


@pytest.fixture
def tipster(phone: Any) -> Tipster:
    return Tipster.of(phone)
