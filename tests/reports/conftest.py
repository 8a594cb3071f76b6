"""Console fixtures for the report tests (tests/console_fixtures.py); fast passwords only where asked for."""

from tests.console_fixtures import admin, fast_passwords, head  # noqa: F401
