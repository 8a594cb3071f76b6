"""``flask --app wsgi alerts tick``: what a systemd timer (or cron) runs every minute (docs/deploy.md)."""

from __future__ import annotations

import json
from datetime import datetime

import click
from flask.cli import AppGroup

from .. import database
from . import operations

alerts_cli = AppGroup("alerts", help="Urgent alerts: escalation and pushes left unsent.")


@alerts_cli.command("tick")
@click.option("--now", "now", default=None, help="ISO time to act at (tests and drills); default: the clock.")
def tick_command(now: str | None) -> None:
    """Close answered alerts, escalate overdue ones to the head, resend unsent pushes, purge old live events."""
    saved = database.clock
    if now:
        moment = datetime.fromisoformat(now)
        database.clock = lambda: moment
    try:
        click.echo(json.dumps(operations.tick()))
    finally:
        database.clock = saved
