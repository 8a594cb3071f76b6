"""``flask --app wsgi after-restore``: what scripts/restore.sh runs once the database is back (docs/deploy.md)."""

from __future__ import annotations

import click
from sqlalchemy import select

from ..communes.models import Commune
from ..extensions import db
from ..feed import operations as feed


@click.command("after-restore")
def after_restore_command() -> None:
    """Number new feed changes past what phones may have seen after the backup (run once, right after a restore).

    Without it, a phone that synced between the backup and the disaster would skip new changes, an officer's
    reply included, until the numbering caught up with its cursor.
    """
    start = feed.skip_lost_positions(db.session.scalars(select(Commune.id)).all())
    db.session.commit()
    click.echo(f"after-restore: new feed changes start at position {start}", err=True)
