"""The PWA and the console are static files served as they are (no build step).

``sw.js`` must always be revalidated so that a new shell version is noticed; it is served from the root so
that its scope covers the whole app.
"""

from __future__ import annotations

import hashlib
import mimetypes
from pathlib import Path

from flask import Blueprint, Flask, Response, current_app, request
from werkzeug.routing import PathConverter

from ..errors import NotFound

blp = Blueprint("web", __name__)


class FrontEndPath(PathConverter):
    """Any path except under ``/api/``, so the API's own 404 and 405 answers are not shadowed by a file route."""

    regex = r"(?!api/)[^/].*?"


_NO_CACHE = {"sw.js", "index.html", "manifest.webmanifest", "officer/index.html", "officer/sw.js"}


def _serve(relative: str) -> Response:
    """Serve a front-end file as a whole (not streamed) so that Flask-Compress can offer gzip as well as
    zstd/br: it leaves gzip out for streamed file responses, and an older WebView on a 2G phone may speak only
    gzip. Shell files are a few kilobytes each; ETags keep revalidation to a 304."""
    root = Path(current_app.config["PWA_DIR"]).resolve()
    target = (root / relative).resolve()
    if not target.is_relative_to(root) or not target.is_file():
        raise NotFound()
    data = target.read_bytes()
    response = current_app.response_class(data, mimetype=_mimetype(relative))
    response.set_etag(hashlib.sha256(data).hexdigest()[:32])
    if relative in _NO_CACHE:
        response.headers["Cache-Control"] = "no-cache"
    else:
        response.cache_control.max_age = 3600
    if relative == "sw.js":
        response.headers["Service-Worker-Allowed"] = "/"
    response.make_conditional(request)  # in place: 304 when the browser's copy is current
    return response


def _mimetype(relative: str) -> str:
    if relative.endswith(".webmanifest"):
        return "application/manifest+json"
    if relative.endswith(".js"):
        return "text/javascript"
    return mimetypes.guess_type(relative)[0] or "application/octet-stream"


@blp.get("/")
def household_app() -> Response:
    return _serve("index.html")


@blp.get("/officer")
@blp.get("/officer/")
def officer_console() -> Response:
    return _serve("officer/index.html")


@blp.get("/<front_end_path:relative>")
def static_file(relative: str) -> Response:
    return _serve(relative)


def init_app(app: Flask) -> None:
    app.url_map.converters["front_end_path"] = FrontEndPath
    app.register_blueprint(blp)
