#!/usr/bin/env bash
# Run the whole test suite: the static checks (scripts/lint.sh), then unit and API tests on SQLite and PostgreSQL,
# browser tests in Chromium.
# Needs PostgreSQL on 127.0.0.1:5432 (trust auth, database "test") and Redis on 127.0.0.1:6379; installs Chromium
# (browser tests), nginx (tests/cluster: two app servers behind it) and Caddy (the proxy benchmark's smoke run) from
# Debian if missing.
# Extra arguments go to pytest, e.g. scripts/test.sh -k sync -x
# Tests run in one pytest-xdist worker per core (TEST_WORKERS overrides; 0 runs them in this process). Each
# module stays on one worker (--dist loadscope), so a module's server and browser start once.
set -euo pipefail
cd "$(dirname "$0")/.."
BINHAN_EXTRAS=test . scripts/venv.sh

missing=""
[ -x /usr/bin/chromium ] || missing="chromium"
[ -x /usr/sbin/nginx ] || command -v nginx >/dev/null || missing="$missing nginx"
command -v caddy >/dev/null || missing="$missing caddy"
if [ -n "$missing" ]; then
  if [ "$(id -u)" = 0 ]; then
    # shellcheck disable=SC2086  # one word per package
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
  elif [ ! -x /usr/bin/chromium ]; then
    echo "Chromium is missing: sudo apt-get install chromium" >&2
    exit 1
  else
    echo "missing:$missing (sudo apt-get install$missing): the cluster test and the proxy benchmark's smoke run will be skipped" >&2
  fi
fi

scripts/lint.sh  # the same checks as `make lint`, so CI lints exactly like a developer does
exec python -m pytest -n "${TEST_WORKERS:-auto}" --dist loadscope "$@"
