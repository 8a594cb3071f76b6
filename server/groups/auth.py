"""``device_required``: the Bearer-token gate of every phone endpoint; puts the device on ``g.device``."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from flask import g, request

from ..api import Blueprint
from .operations import authenticate_device

F = TypeVar("F", bound=Callable[..., Any])


def device_required(view: F) -> F:
    """The endpoint's spec names the device token as its security."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        g.device = authenticate_device(request.headers.get("Authorization"))
        return view(*args, **kwargs)

    documented: F = Blueprint.doc(security=[{"deviceToken": []}])(wrapper)
    return documented
