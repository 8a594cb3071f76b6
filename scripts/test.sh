#!/usr/bin/env bash
# Run the whole test suite: the static checks (scripts/lint.sh), then unit and API tests on SQLite and PostgreSQL,
# browser tests in Chromium.
# Needs PostgreSQL on 127.0.0.1:5432 (trust auth, database "test"); installs Chromium from Debian if missing.
# Extra arguments go to pytest, e.g. scripts/test.sh -k sync -x
set -euo pipefail
cd "$(dirname "$0")/.."
BINHAN_EXTRAS=test . scripts/venv.sh

if [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "Chromium is missing: sudo apt-get install chromium" >&2
    exit 1
  fi
fi

scripts/lint.sh  # the same checks as `make lint`, so CI lints exactly like a developer does
exec python -m pytest "$@"
