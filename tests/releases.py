"""The releases in the field (migrations/releases.txt) and what a migration may do while one of them runs."""

from __future__ import annotations

import re
import subprocess
import tarfile
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
RELEASES = REPO_ROOT / "migrations" / "releases.txt"


@dataclass(frozen=True)
class Release:
    revision: str  # the Alembic head it shipped with
    commit: str


def previous_release() -> Release:
    """The last release listed: the code a rolling upgrade starts from."""
    lines = [line.split() for line in RELEASES.read_text().splitlines() if line.strip() and not line.startswith("#")]
    revision, commit, *_ = lines[-1]
    return Release(revision, commit)


def check_out(release: Release, into: Path) -> Path:
    """The release's source tree (``git archive`` of its commit) in ``into``; needs the repository's history."""
    into.mkdir(parents=True, exist_ok=True)
    archive = into / "release.tar"
    with open(archive, "wb") as out:
        subprocess.run(["git", "archive", release.commit], cwd=REPO_ROOT, stdout=out, check=True, timeout=120)
    with tarfile.open(archive) as tar:
        tar.extractall(into, filter="data")
    archive.unlink()
    return into


# What old code cannot survive, or what stops its writes while the migration runs (PostgreSQL's locks): each
# pattern, on one statement with its whitespace folded, and why it breaks a rolling upgrade.
_BREAKS = (
    (r"^DROP TABLE (?:IF EXISTS )?(?P<table>\w+)", "drops a table the running release uses"),
    (r"^ALTER TABLE (?P<table>\w+) .*\bDROP COLUMN\b", "drops a column the running release reads or writes"),
    (r"^ALTER TABLE (?P<table>\w+) .*\bRENAME\b", "renames what the running release names"),
    (r"^ALTER TABLE (?P<table>\w+) .*\bALTER COLUMN \w+ (?:SET DATA )?TYPE\b", "changes a column's type"),
    (r"^ALTER TABLE (?P<table>\w+) .*\bSET NOT NULL\b", "makes a column required that old code may leave empty"),
    (
        r"^ALTER TABLE (?P<table>\w+) ADD (?:COLUMN )?\w+ (?:(?!DEFAULT).)*\bNOT NULL\b(?:(?!DEFAULT).)*$",
        "adds a required column without a default: the running release's inserts fail",
    ),
    (r"^CREATE (?:UNIQUE )?INDEX (?!CONCURRENTLY)\S+ ON (?P<table>\w+)", "builds an index while blocking writes"),
    (
        r"^ALTER TABLE (?P<table>\w+) ADD CONSTRAINT \w+ FOREIGN KEY(?!.*\bNOT VALID\b)",
        "checks a foreign key over the whole table while blocking writes",
    ),
)


def rolling_upgrade_breaks(statement: str, released_tables: set[str]) -> str | None:
    """Why ``statement`` breaks a release still running on ``released_tables`` (None when it does not).

    Expand/contract: a release only adds (tables, nullable or defaulted columns, indexes built CONCURRENTLY);
    what it drops or tightens waits for the next release, once no running code reads it (docs/deploy.md).
    Statements on tables the same upgrade creates are free: no running code knows them.
    """
    folded = " ".join(statement.replace('"', "").split())
    for pattern, why in _BREAKS:
        match = re.search(pattern, folded, flags=re.IGNORECASE)
        if match and match.group("table").lower() in released_tables:
            return why
    return None
