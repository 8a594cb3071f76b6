.PHONY: run test lint fmt bench

run:  ## start the app with SQLite and demo data on http://127.0.0.1:8000
	scripts/run.sh

test:  ## the whole suite (SQLite, PostgreSQL, Chromium)
	scripts/test.sh

lint:  ## ruff, mypy, import direction, ESLint: what CI runs (scripts/lint.sh)
	scripts/lint.sh

fmt:  ## rewrite Python files the way `make lint` wants them
	BINHAN_EXTRAS=test . scripts/venv.sh && ruff format server tests benchmarks migrations \
		&& ruff check --fix server tests benchmarks migrations

bench:  ## every benchmark but the 1M-report scale run (python benchmarks/scale.py); see README, Performance
	. .venv/bin/activate && for b in sync_push sync_peers round_trips pwa_weight pwa_2g load; do python benchmarks/$$b.py || exit 1; done
