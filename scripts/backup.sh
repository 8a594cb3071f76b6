#!/usr/bin/env bash
# Back up Bình An: the database, then the attachment store's files, into one new directory with checksums.
#
#   scripts/backup.sh [DEST]        DEST: where backup directories go (default: backups/); prints the new one
#
# Reads the same settings as the app: DATABASE_URL (default sqlite:///instance/binhan.db) and the attachment
# store's (ATTACHMENTS_STORE: ATTACHMENTS_DIR, default instance/attachments, or the S3_* bucket).
# PostgreSQL: pg_dump's custom format (restore with pg_restore, one table or all; consistent while the app
# runs). SQLite: the online backup API (consistent while the app writes).
# The database goes first: a photo is written to the store before the database says it is complete, so every
# photo the dumped database knows as complete is in the archive (an upload finishing in between leaves an
# extra file, never a missing one). Restore with scripts/restore.sh; schedule and drill: docs/deploy.md.
set -euo pipefail
dest="$(realpath -m "${1:-backups}")"
cd "$(dirname "$0")/.."

database_url="${DATABASE_URL:-sqlite:///instance/binhan.db}"
stamp="$(date -u +%Y%m%dT%H%M%SZ)"
out="$dest/binhan-$stamp"
mkdir -p "$out"
chmod 700 "$out"  # tips, names and (hashed) credentials: readable by the backup's owner only
started=$(date +%s.%N)
python=python3
[ -x .venv/bin/python ] && python=.venv/bin/python  # the app's own environment, as scripts/run.sh makes it

case "$database_url" in
  postgres://* | postgresql://* | postgresql+*://*)
    url="postgresql://${database_url#*://}"  # libpq does not know SQLAlchemy's driver suffix
    pg_dump --format=custom --compress=6 --no-owner --no-privileges --file="$out/database.pgdump" "$url"
    ;;
  sqlite:///*)
    db_path="${database_url#sqlite:///}"
    [ -f "$db_path" ] || { echo "backup: no SQLite database at $db_path" >&2; exit 1; }
    python3 - "$db_path" "$out/database.sqlite3" <<'PY'
import sqlite3, sys
source, target = sqlite3.connect(sys.argv[1]), sqlite3.connect(sys.argv[2])
with target:
    source.backup(target)  # page by page, consistent even while the app writes (WAL)
target.close()
source.close()
PY
    ;;
  *) echo "backup: unsupported DATABASE_URL scheme: ${database_url%%:*}" >&2; exit 2 ;;
esac

# The finished files, through the same store interface the app uses (a directory or an S3 bucket: the
# ATTACHMENTS_STORE and S3_* settings; server/attachments/archive.py).
"$python" -m flask --app wsgi attachments export "$out/attachments.tar"

(cd "$out" && sha256sum database.* attachments.tar > SHA256SUMS)
elapsed=$(python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.2f}')" "$started" "$(date +%s.%N)")
echo "backup: $(du -sh "$out" | cut -f1) in ${elapsed} s" >&2
echo "$out"
