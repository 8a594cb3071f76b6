"""Bình An server: the app factory, a readable list of what the application is made of."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask
from flask_smorest import Api
from werkzeug.middleware.proxy_fix import ProxyFix

from . import errors, logs, request_parsing
from .bodies import ChunkedBodyMiddleware
from .compression import GzipRequestMiddleware
from .config import load_config
from .extensions import compress, db, limiter, migrate

request_parsing.install()  # before any view module is imported: their @arguments bind the parser

MIGRATIONS_DIR = str(Path(__file__).resolve().parent.parent / "migrations")


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True, static_folder=None)
    app.config.from_mapping(load_config(Path(app.instance_path)))
    if test_config:
        app.config.update(test_config)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.json.ensure_ascii = False  # type: ignore[attr-defined]  # UTF-8 Vietnamese is ~3x smaller than \u escapes
    app.json.sort_keys = False  # type: ignore[attr-defined]
    logs.configure()  # JSON lines (server/logs.py), unless gunicorn's logconfig_dict set up logging already

    db.init_app(app)
    migrate.init_app(app, db, directory=MIGRATIONS_DIR)
    limiter.init_app(app)
    compress.init_app(app)
    api = Api(app)
    _register_security_schemes(api)
    _register_blueprints(api)
    errors.init_app(app)  # after flask-smorest, whose HTTPException handler ours replaces
    _register_web(app)
    _register_ops(app)
    _register_cli(app)
    _register_alerts(app)

    app.wsgi_app = GzipRequestMiddleware(  # type: ignore[method-assign]
        app.wsgi_app, app.config["MAX_CONTENT_LENGTH"], app.config["MAX_DECOMPRESSED_LENGTH"]
    )
    largest_body = max(app.config["MAX_CONTENT_LENGTH"], app.config["ANNOUNCEMENT_FILE_MAX_BYTES"])
    app.wsgi_app = ChunkedBodyMiddleware(app.wsgi_app, largest_body)  # type: ignore[method-assign]
    if app.config.get("TRUSTED_PROXIES"):
        hops = int(app.config["TRUSTED_PROXIES"])  # the proxy's scheme too: HTTPS turns on HSTS + Secure cookies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]
    from .ops.requests import RequestObserver

    app.wsgi_app = RequestObserver(app.wsgi_app)  # type: ignore[method-assign]  # outermost: every request counted
    return app


def _register_blueprints(api: Api) -> None:
    from .administration import views as administration
    from .alerts import views as alerts
    from .announcements import views as announcements
    from .appointments import views as appointments
    from .attachments import views as attachments
    from .commune_keys import views as commune_keys
    from .groups import views as groups
    from .households import views as households
    from .officers import views as officers
    from .reports import views as reports
    from .rules import views as rules
    from .sms import views as sms
    from .stats import views as stats
    from .sync import views as sync
    from .tips import views as tips

    sync.document_items(api)
    phones = (
        groups.blp,
        households.blp,
        sync.blp,
        attachments.blp,
        announcements.blp,
        rules.blp,
        tips.blp,
        sms.blp,
        alerts.phones,
    )
    phones_voice = (reports.phone_voice,)  # officers' spoken replies (issue 16)
    console = (
        officers.blp,
        reports.blp,
        officers.accounts,
        administration.blp,
        groups.officer_groups,
        households.officer_households,
        commune_keys.blp,
        announcements.officer_announcements,
        administration.audit_log,
        stats.blp,
        sms.officer_sms,
        alerts.blp,
        stats.audit_export,
        appointments.officer_appointments,
    )
    for blueprint in (*phones, *phones_voice, *console):
        api.register_blueprint(blueprint)


def _register_security_schemes(api: Api) -> None:  # what the gates (groups.auth, officers.auth) document
    api.spec.components.security_scheme("deviceToken", {"type": "http", "scheme": "bearer"})
    api.spec.components.security_scheme("officerSession", {"type": "apiKey", "in": "cookie", "name": "binhan_session"})


def _register_web(app: Flask) -> None:
    from .web import security, views

    security.init_app(app)
    views.init_app(app)


def _register_ops(app: Flask) -> None:
    from .ops import requests, views

    requests.init_app(app)
    app.register_blueprint(views.blp)


def _register_alerts(app: Flask) -> None:  # pushes after the commits that raise alerts or answer households
    from .alerts import operations
    from .alerts.cli import alerts_cli

    operations.init_app(app)
    app.cli.add_command(alerts_cli)


def _register_cli(app: Flask) -> None:
    from .cli import register
    from .ops.cli import after_restore_command

    register(app)
    app.cli.add_command(after_restore_command)
