#!/usr/bin/env bash
# Restore a backup made by scripts/backup.sh into a NEW, EMPTY database and attachment directory.
#
#   DATABASE_URL=… ATTACHMENTS_DIR=… scripts/restore.sh BACKUP_DIR
#
# PostgreSQL: the target database must exist and be empty (createdb binhan_restored); pg_restore runs in one
# transaction and stops at the first error. SQLite: the target file must not exist. The attachment
# store (a directory, or an S3 bucket with ATTACHMENTS_STORE=s3 and the S3_* settings) must be empty.
# Nothing is overwritten: restoring over live data is refused. Afterwards start the
# app on the restored settings and check /readyz; if this code is newer than the backup, run
# `flask --app wsgi db upgrade` first (readiness reports the pending migration).
set -euo pipefail
[ $# -eq 1 ] || { echo "usage: DATABASE_URL=… ATTACHMENTS_DIR=… $0 BACKUP_DIR" >&2; exit 2; }
backup="$(realpath "$1")"
cd "$(dirname "$0")/.."
database_url="${DATABASE_URL:?set DATABASE_URL to the new, empty database}"
python=python3
[ -x .venv/bin/python ] && python=.venv/bin/python
if [ "${ATTACHMENTS_STORE:-local}" = local ]; then
  attachments="${ATTACHMENTS_DIR:?set ATTACHMENTS_DIR to a new, empty directory}"
  if [ -d "$attachments" ] && [ -n "$(ls -A "$attachments")" ]; then
    echo "restore: $attachments is not empty" >&2; exit 1
  fi
fi
started=$(date +%s.%N)

(cd "$backup" && sha256sum --check --quiet SHA256SUMS) || { echo "restore: checksums do not match" >&2; exit 1; }
case "$database_url" in
  postgres://* | postgresql://* | postgresql+*://*)
    url="postgresql://${database_url#*://}"
    [ -f "$backup/database.pgdump" ] || { echo "restore: not a PostgreSQL backup" >&2; exit 1; }
    tables=$(psql --no-psqlrc --tuples-only --no-align --dbname="$url" \
      --command="SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
    [ "$tables" = "0" ] || { echo "restore: the target database is not empty ($tables tables)" >&2; exit 1; }
    pg_restore --no-owner --no-privileges --exit-on-error --single-transaction --dbname="$url" \
      "$backup/database.pgdump"
    ;;
  sqlite:///*)
    db_path="${database_url#sqlite:///}"
    [ -f "$backup/database.sqlite3" ] || { echo "restore: not a SQLite backup" >&2; exit 1; }
    [ ! -e "$db_path" ] || { echo "restore: $db_path exists" >&2; exit 1; }
    mkdir -p "$(dirname "$db_path")"
    cp "$backup/database.sqlite3" "$db_path.restoring"
    mv "$db_path.restoring" "$db_path"
    ;;
  *) echo "restore: unsupported DATABASE_URL scheme: ${database_url%%:*}" >&2; exit 2 ;;
esac

# Phones that synced after the backup hold cursors past its last change: new changes must be numbered beyond
# them, or those phones would skip them (server/feed/operations.py, skip_lost_positions).
"$python" -m flask --app wsgi after-restore
# The files go back through the store interface; it refuses a store that is not empty.
"$python" -m flask --app wsgi attachments import "$backup/attachments.tar"
elapsed=$(python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.2f}')" "$started" "$(date +%s.%N)")
echo "restore: done in ${elapsed} s; start the app on it and check /readyz" >&2
