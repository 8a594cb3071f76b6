"""``flask --app wsgi commune-keys recovery-key FILE | recover COMMUNE_CODE --recovery-key FILE``: the province's
side of the commune keys. The recovery key's private half is made and kept off the servers (an offline machine at
the province police); the servers get only its public half (``PROVINCE_RECOVERY_KEY``)."""

from __future__ import annotations

import os
from pathlib import Path

import click
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select

from ..audit import operations as audit
from ..communes.models import Commune
from ..extensions import db
from ..mailbox.sealing import b64url, public_point
from . import operations, wrapping
from .models import CommuneKey

commune_keys_cli = AppGroup("commune-keys", help="The province's recovery key for the communes' tip keys.")


def write_recovery_key(path: Path) -> str:
    """A new recovery key pair: the private half to ``path`` (PEM, mode 0600), the public half returned."""
    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(pem)
    return b64url(public_point(key))


def demo_recovery_key() -> Path:
    """The demo's recovery key (seed-demo): the private half in instance/ beside a ``.pub`` the server reads when
    ``PROVINCE_RECOVERY_KEY`` is unset. Made once; in production the private half never touches a server."""
    private = Path(current_app.instance_path) / "province-recovery.pem"
    public = private.with_suffix(".pub")
    if not private.exists():
        private.parent.mkdir(parents=True, exist_ok=True)
        public.write_text(write_recovery_key(private) + "\n")
    return private


@commune_keys_cli.command("recovery-key")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
def recovery_key_command(path: Path) -> None:
    """Make the province's recovery key: its private half to PATH (keep it offline), its public half printed."""
    if path.exists():
        raise click.UsageError(f"{path} exists: a recovery key is never overwritten.")
    click.echo(f"Private half written to {path}: keep it offline, it opens every commune's tip key.")
    click.echo("Set on every app server:")
    click.echo(f"PROVINCE_RECOVERY_KEY={write_recovery_key(path)}")


@commune_keys_cli.command("recover")
@click.argument("commune_code")
@click.option("--recovery-key", "key_path", required=True, type=click.Path(exists=True, dir_okay=False))
@click.password_option("--passphrase", prompt="New passphrase for the commune's tip key", help="The new passphrase.")
def recover_command(commune_code: str, key_path: str, passphrase: str) -> None:
    """Give COMMUNE_CODE's tip key (every version) a new passphrase, after the old one was lost."""
    if len(passphrase) < wrapping.MIN_PASSPHRASE:
        raise click.UsageError(f"The passphrase needs at least {wrapping.MIN_PASSPHRASE} characters.")
    commune = db.session.scalar(select(Commune).where(Commune.code == commune_code.strip().upper()))
    if commune is None:
        raise click.UsageError(f"No commune has the code {commune_code}.")
    province = serialization.load_pem_private_key(Path(key_path).read_bytes(), password=None)
    if not isinstance(province, ec.EllipticCurvePrivateKey):
        raise click.UsageError("The recovery key file is not a P-256 private key.")
    versions = operations.keys(commune.id)
    if not versions:
        raise click.UsageError(f"{commune.name} has no tip key yet.")
    for key in versions:
        _rewrap(key, province, passphrase)
    audit.record("commune_key.recovered", commune_id=commune.id, target_type="commune_key", versions=len(versions))
    db.session.commit()
    click.echo(f"{commune.name}: {len(versions)} key version(s) now open with the new passphrase.")


def _rewrap(key: CommuneKey, province: ec.EllipticCurvePrivateKey, passphrase: str) -> None:
    try:
        private = wrapping.open_recovery(key.recovery_wrap, province)
    except (InvalidTag, ValueError) as exc:
        raise click.ClickException(f"Version {key.version} was not sealed to this recovery key.") from exc
    if public_point(private) != key.public_key:
        raise click.ClickException(f"Version {key.version}'s recovery copy is not its key: nothing changed.")
    key.passphrase_wrap = wrapping.wrap_with_passphrase(private, passphrase)
