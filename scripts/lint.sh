#!/usr/bin/env bash
# Every static check, in order, stopping at the first failure: ruff (lint, then format), mypy on server/, the
# import-direction contracts, ESLint on pwa/. `make lint` and `make test` (so CI) both run this file, and the
# pre-commit hooks run its steps. Works on a fresh clone: the venv comes from scripts/venv.sh with the test
# extras; mypy, import-linter and ESLint run once their configuration is in the tree.
# Usage: scripts/lint.sh [step…]  (steps: ruff format mypy imports eslint; all of them by default)
set -euo pipefail
cd "$(dirname "$0")/.."
BINHAN_EXTRAS=test . scripts/venv.sh

PYTHON_PATHS=(server tests benchmarks migrations)
steps=("$@")
[ ${#steps[@]} -gt 0 ] || steps=(ruff format mypy imports eslint)

for step in "${steps[@]}"; do
  case "$step" in
    ruff) ruff check "${PYTHON_PATHS[@]}" ;;
    format) ruff format --check "${PYTHON_PATHS[@]}" ;;
    mypy)
      if grep -q '^\[mypy\]' setup.cfg; then mypy server; fi ;;
    imports)
      if grep -qs '^\[importlinter\]' setup.cfg .importlinter || grep -qs '^\[tool\.importlinter\]' pyproject.toml; then
        lint-imports
      fi ;;
    eslint)
      if [ -f eslint.config.js ]; then
        [ -d node_modules ] || npm ci --no-audit --no-fund
        npx --no-install eslint pwa
      fi ;;
    *) echo "unknown lint step: $step (ruff format mypy imports eslint)" >&2; exit 2 ;;
  esac
done
