"""The phone's anonymous half of the tip tests (``tipster``), shared."""

from tests.tips.conftest import tipster  # noqa: F401
