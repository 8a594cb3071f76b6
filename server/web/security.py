"""Security headers on every response: the full page policy on what a browser renders, a minimal one on JSON.

A page (HTML, its scripts, styles, images, the worker) gets the strict CSP (no inline script or style) and the
usual hardening. A JSON answer is never rendered or framed, so most of that policy means nothing there; it only
costs bytes on every sync a phone makes over 2G (about 600 B an answer). JSON gets what an API needs: no
sniffing, no caching, and a CSP that allows nothing should a browser ever be tricked into rendering it.
"""

from __future__ import annotations

from flask import Flask, Response

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' blob: data:",
        "connect-src 'self'",
        "worker-src 'self'",
        "manifest-src 'self'",
        "object-src 'none'",
        "frame-ancestors 'none'",
        "base-uri 'self'",
        "form-action 'self'",
    ]
)

HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Permissions-Policy": "geolocation=(), microphone=(), camera=(self)",
    "Cross-Origin-Opener-Policy": "same-origin",
}


API_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",  # tips, tokens: never kept by a browser or a proxy
}


def _add_headers(response: Response) -> Response:
    headers = API_HEADERS if response.mimetype == "application/json" else HEADERS
    for name, value in headers.items():
        response.headers.setdefault(name, value)
    return response


def init_app(app: Flask) -> None:
    app.after_request(_add_headers)
