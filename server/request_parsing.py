"""How every JSON body is read (flask-smorest's ``@arguments``): a bounded depth and a JSON content type.

Two hostile bodies used to get through webargs' parser. One nested thousands of levels made the decoder
raise RecursionError, a 500, even on the unauthenticated sign-in and enrolment. One sent as ``text/plain``
(what ``fetch`` sends for a string) or with no content type was treated as "no body": the sync answered 200
and the phone, told nothing was wrong, forgot its items. Both are now refused before any view runs.
"""

from __future__ import annotations

from typing import Any

import flask
from flask_smorest.arguments import ArgumentsMixin
from webargs import core
from webargs.flaskparser import FlaskParser, is_json_request

from .errors import ApiError, UnsupportedMediaType

# Real bodies nest 4 levels (sync → push → item → attachments → declaration); this leaves ample room.
MAX_JSON_DEPTH = 32


class JsonTooDeep(ApiError):
    status, code, message = 400, "json_too_deep", f"The JSON body nests deeper than {MAX_JSON_DEPTH} levels."


def _depth_exceeds(value: Any, limit: int) -> bool:
    """Walk without recursion (the point is not to recurse on hostile input)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else ()
        for child in children:
            if isinstance(child, dict | list):
                if depth + 1 > limit:
                    return True
                stack.append((child, depth + 1))
    return False


class GuardedParser(FlaskParser):
    """webargs' Flask parser, refusing non-JSON bodies (415) and deep nesting (400) on JSON endpoints."""

    def _raw_load_json(self, req: flask.Request) -> Any:
        if not is_json_request(req):
            if req.get_data(cache=True):
                raise UnsupportedMediaType("Send the body as application/json.")
            return core.missing
        try:
            value = core.parse_json(req.get_data(cache=True))
        except RecursionError as exc:
            raise JsonTooDeep() from exc
        if _depth_exceeds(value, MAX_JSON_DEPTH):
            raise JsonTooDeep()
        return value


def install() -> None:
    """Make every flask-smorest blueprint read bodies through GuardedParser (one place, no view changes)."""
    ArgumentsMixin.ARGUMENTS_PARSER = GuardedParser()


__all__ = ["GuardedParser", "JsonTooDeep", "install"]
