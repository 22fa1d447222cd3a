# BizKit: `make run` starts the app with demo data, `make test` runs every test.
# Both install what they need first (Python packages in .venv, htmx in
# static/vendor/, compiled translations) and start an embedded PostgreSQL and
# Redis under instance/ unless DATABASE_URL / REDIS_URL (TEST_* for tests) are set.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
UV_VERSION := 0.13.8
PO_FILES := $(wildcard translations/*/LC_MESSAGES/messages.po)
MO_FILES := $(PO_FILES:.po=.mo)

.PHONY: run test lint format deps lock vendor translations extract-messages chromium clean

run: deps
	$(BIN)/python -m bizkit.embedded run

test: deps chromium
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint:
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format:
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

deps: $(VENV)/.installed vendor translations

# The lock file pins every package; uv installs exactly that set.
$(VENV)/.installed: requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q "uv==$(UV_VERSION)"
	$(BIN)/uv pip sync -q --python $(BIN)/python requirements.lock
	touch $@

# Re-resolve the lock file after changing dependencies in pyproject.toml.
lock: $(VENV)/.installed
	$(BIN)/uv pip compile -q --python $(BIN)/python pyproject.toml --extra dev -o requirements.lock

vendor: static/vendor/htmx.min.js static/vendor/sse.min.js

static/vendor/htmx.min.js static/vendor/sse.min.js &: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	mkdir -p static/vendor
	cp node_modules/htmx.org/dist/htmx.min.js static/vendor/htmx.min.js
	cp node_modules/htmx-ext-sse/dist/sse.min.js static/vendor/sse.min.js

translations: $(MO_FILES)

translations/%/LC_MESSAGES/messages.mo: translations/%/LC_MESSAGES/messages.po $(VENV)/.installed
	$(BIN)/pybabel compile --statistics -i $< -o $@

# Collect new strings from code and templates into every catalog.
extract-messages: $(VENV)/.installed
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -o translations/messages.pot .
	$(BIN)/pybabel update -i translations/messages.pot -d translations --no-fuzzy-matching

# Browser tests drive Debian's Chromium; install it when missing (root or sudo).
chromium:
	@command -v chromium >/dev/null 2>&1 || test -x /usr/lib/chromium/chromium || { \
	  echo "Installing Debian's chromium for the browser tests"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq chromium >/dev/null; }

clean:
	rm -rf $(VENV) node_modules static/vendor .pytest_cache .ruff_cache

# Benchmarks (bench/): a separate database (BENCH_DATABASE_URL, else embedded under
# instance/bench-postgres) with 1,000,000 customers, 200,000 variants and 1,000,000 orders.
.PHONY: bench-data bench
bench-data: deps
	$(BIN)/python -m bench.seed
	$(BIN)/python -m bench.seed_orders
	$(BIN)/python -m bench.seed_history
	$(BIN)/python -m bench.seed_messages

# Locust (the p95 at 4 users, beside wrk) in a venv of its own: it brings pytest, pyzmq
# and socketio, which the app's venv does not need.
BENCH_VENV := .venv-bench
LOCUST_VERSION := 2.47.0
$(BENCH_VENV)/bin/locust:
	$(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/pip install -q locust==$(LOCUST_VERSION)

bench: deps $(BENCH_VENV)/bin/locust
	@command -v wrk >/dev/null 2>&1 || { SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq wrk >/dev/null; }
	$(BIN)/python -m bench.seed
	$(BIN)/python -m bench.seed_orders
	$(BIN)/python -m bench.seed_history
	$(BIN)/python -m bench.seed_messages
	$(BIN)/python -m bench.run

# Notifications: 10,000 e-mails through two RQ workers to a local SMTP sink, against a
# plain smtplib loop (bench/notifications.py); writes bench/results/notifications.json.
.PHONY: bench-notifications mail-sink
bench-notifications: deps
	$(BIN)/python -m bench.notifications

# A local SMTP server that prints every message (development: MAIL_HOST=127.0.0.1 MAIL_PORT=8025).
mail-sink: deps
	$(BIN)/python -m aiosmtpd -n -l 127.0.0.1:8025
