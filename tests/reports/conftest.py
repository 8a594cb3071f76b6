"""Fixtures of the reports' tests."""

from __future__ import annotations

import pytest

from server.extensions import db


@pytest.fixture
def postgresql(app) -> None:
    """Only on PostgreSQL: the queue's partial and covering indexes and the search keys serve its plans (migrations
    0019, 0020); SQLite, the embedded one-commune set-up, scans its one commune."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL's indexes and plans (migrations 0019, 0020); SQLite holds one commune")
