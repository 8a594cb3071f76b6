"""Security headers on every response: the full page policy on what a browser renders, a minimal one on JSON.

A page (HTML, its scripts, styles, images, the worker) gets the strict CSP (no inline script or style) and the
usual hardening. A JSON answer is never rendered or framed, so most of that policy means nothing there; it only
costs bytes on every sync a phone makes over 2G (about 600 B an answer). JSON gets what an API needs: no
sniffing, no caching, and a CSP that allows nothing should a browser ever be tricked into rendering it.

Over HTTPS (as the request arrives, or as a trusted reverse proxy reports it with X-Forwarded-Proto, see
TRUSTED_PROXIES) the answer also carries HSTS and the session cookie is Secure, without any setting: a
production behind TLS gets both by default, and the plain-HTTP demo still works.
"""

from __future__ import annotations

from flask import Flask, Response, request
from flask.sessions import SecureCookieSessionInterface

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' blob: data:",
        # Recordings play from the phone's own bytes (blob:) and the console's downloads (issue 16).
        "media-src 'self' blob:",
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
    "Permissions-Policy": "geolocation=(), microphone=(self), camera=(self)",  # microphone: voice reports
    "Cross-Origin-Opener-Policy": "same-origin",
}


API_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",  # tips, tokens: never kept by a browser or a proxy
}
HSTS = "max-age=31536000; includeSubDomains"


class SessionInterface(SecureCookieSessionInterface):
    """The session cookie is Secure when configured (SESSION_COOKIE_SECURE) or when the request is HTTPS."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"]) or request.is_secure


def _add_headers(response: Response) -> Response:
    headers = API_HEADERS if response.mimetype == "application/json" else HEADERS
    for name, value in headers.items():
        response.headers.setdefault(name, value)
    if request.is_secure:
        response.headers.setdefault("Strict-Transport-Security", HSTS)
    return response


def init_app(app: Flask) -> None:
    app.session_interface = SessionInterface()
    app.after_request(_add_headers)
