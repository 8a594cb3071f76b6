"""``flask --app wsgi attachments export|import FILE``: the files' half of scripts/backup.sh and restore.sh."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

from . import archive

attachments_cli = AppGroup("attachments", help="Back up and restore the attachment store's finished files.")


@attachments_cli.command("export")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
def export_command(path: Path) -> None:
    """Write every complete attachment into a new tar file PATH (it must not exist)."""
    if path.exists():
        raise click.UsageError(f"{path} exists; an export never overwrites a file.")
    tally = archive.export(path)
    click.echo(f"attachments export: {tally}", err=True)


@attachments_cli.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_command(path: Path) -> None:
    """Put the files of the tar file PATH back into the configured store, which must be empty."""
    try:
        tally = archive.restore(path)
    except archive.StoreNotEmpty as refused:
        raise click.ClickException(str(refused)) from None
    click.echo(f"attachments import: {tally}", err=True)
