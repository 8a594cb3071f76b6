"""The officer console's fixtures (tests/console_fixtures.py), with cheap password hashes in this folder."""

import pytest

from tests.console_fixtures import *  # noqa: F403


@pytest.fixture(autouse=True)
def _cheap_password_hashes(fast_passwords: None) -> None:
    """Seeding and signing in many times per test run; test_session.py checks the real hashes are Argon2id."""
