"""GET /api/v1/rules: public and cacheable, so that a phone can fetch it with its enrolment and revalidate it
cheaply (If-None-Match → 304), and the console at sign-in."""

from __future__ import annotations

from typing import Any

from flask import Response, request

from ..api import Blueprint
from . import operations
from .schemas import RulesSchema

blp = Blueprint("rules", __name__, url_prefix="/api/v1", description="Rules both front ends follow")


@blp.route("/rules", methods=["GET"])
@blp.response(200, RulesSchema)
@blp.alt_response(304, description="The rules have not changed since the ETag sent in If-None-Match.")
def rules() -> Any:
    """Report kinds, categories, statuses and urgencies, which statuses need a reason, limits, time zone."""
    data = operations.current_rules()
    headers = {"ETag": f'"{data["version"]}"', "Cache-Control": "public, max-age=3600"}
    if request.if_none_match.contains(data["version"]):
        return Response(status=304, headers=headers)
    return data, 200, headers
