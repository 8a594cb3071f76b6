"""Security headers on every response: a strict CSP (no inline script or style) and the usual hardening.

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


HSTS = "max-age=31536000; includeSubDomains"


class SessionInterface(SecureCookieSessionInterface):
    """The session cookie is Secure when configured (SESSION_COOKIE_SECURE) or when the request is HTTPS."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"]) or request.is_secure


def _add_headers(response: Response) -> Response:
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    if request.is_secure:
        response.headers.setdefault("Strict-Transport-Security", HSTS)
    if response.mimetype == "application/json":
        response.headers.setdefault("Cache-Control", "no-store")
    return response


def init_app(app: Flask) -> None:
    app.session_interface = SessionInterface()
    app.after_request(_add_headers)
