#!/usr/bin/env bash
# Run Bình An locally: install, migrate a SQLite database under instance/, seed the demo, start gunicorn.
# Settings from the environment: DATABASE_URL, SECRET_KEY, ATTACHMENTS_DIR, REDIS_URL, HOST, PORT, WORKERS.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/venv.sh

HOST="${HOST:-127.0.0.1}"
PORT="${PORT:-8000}"
export FLASK_APP=wsgi

flask db upgrade
flask seed-demo
code=$(flask enrolment-code DONG-01 | tail -n 1)
cat <<TXT

Bình An is starting on http://${HOST}:${PORT}
  Household app (PWA):  http://${HOST}:${PORT}/
  Officer console:      http://${HOST}:${PORT}/officer/
  API spec (OpenAPI):   http://${HOST}:${PORT}/api/openapi.json
  Enrol a phone for group DONG-01 with the one-time code: ${code}
  (another code: flask --app wsgi enrolment-code DONG-01, with .venv/bin on PATH)
  Officer logins: demo / demo-officer, head truongcongan / demo-head, admin / demo-admin

  WARNING: this serves plain HTTP, without TLS. Passwords, session cookies and device tokens cross the
  network readable by anyone on the path. For anything but a demo on this machine, put a TLS reverse proxy
  in front and set TRUSTED_PROXIES=1: the server then sees HTTPS and turns on Secure cookies and HSTS.

TXT
# The access log names no client address (ADR 0004: an address would tie an anonymous tip to its phone's syncs).
exec gunicorn --bind "${HOST}:${PORT}" --workers "${WORKERS:-2}" --threads 4 --access-logfile - \
  --access-logformat '%(t)s "%(r)s" %(s)s %(b)s' wsgi:app
