# The two commands of the README, and what they need. Each target creates the virtualenv on
# first use, so a fresh clone needs nothing but Python 3.11 and make.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: demo demo-web test test-large lint bench bench-quick lock smoke-wheel image clean browser contract-run

$(STAMP): pyproject.toml setup.py syncd/bankfiles/_camtflat.c
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install --quiet --upgrade pip
	@$(BIN)/python -m pip install --quiet -e '.[dev]'
	@rm -f $(VENV)/.installed-* && touch $(STAMP)

## demo: a full cycle on the built-in Bokio sandbox and the embedded SQLite default
demo: $(STAMP)
	$(BIN)/syncd demo

## demo-web: the demo, then its web page on http://127.0.0.1:8108/ until Ctrl-C (sign-in printed)
demo-web: $(STAMP)
	$(BIN)/syncd demo --web

## browser: Debian's chromium for tests/web (root; the tests skip without it, CI requires it)
browser:
	@test -x /usr/bin/chromium || { apt-get update && apt-get install -y chromium; }

## test: the whole suite (SQLite always; PostgreSQL too when SYNCD_TEST_DATABASE_URL is set)
test: $(STAMP)
	$(BIN)/python -m pytest -n auto $(PYTEST_ARGS)

## test-large: only the tests too long for every run (e.g. pull estimates on 5,000 invoices)
test-large: $(STAMP)
	$(BIN)/python -m pytest -n auto -m large $(PYTEST_ARGS)

## contract-run: bounded schemathesis run against `syncd sandbox serve` (not in the default suite);
## schemathesis gets its own virtualenv under var/ so .venv stays as pyproject.toml pins it
CONTRACT_VENV := var/contract-venv
CONTRACT_EXAMPLES ?= 20
CONTRACT_SEED ?= 1
contract-run: $(STAMP)
	@test -x $(CONTRACT_VENV)/bin/schemathesis || { $(PYTHON) -m venv $(CONTRACT_VENV) && \
		$(CONTRACT_VENV)/bin/python -m pip install --quiet 'schemathesis>=4.3,<5'; }
	bash tests/sandbox/contract_run.sh $(BIN)/python $(CONTRACT_VENV)/bin/schemathesis \
		$(CONTRACT_EXAMPLES) $(CONTRACT_SEED)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

## lock: requirements.lock (hashes, for the image) from pyproject's dependencies and build backend
lock: $(STAMP)
	@$(BIN)/python -m pip install --quiet 'pip-tools>=7.4'
	$(BIN)/pip-compile --quiet --generate-hashes --allow-unsafe --all-build-deps --strip-extras \
		--no-emit-find-links --no-emit-index-url --output-file requirements.lock pyproject.toml

## smoke-wheel: the wheel in a fresh virtualenv with no extras (demo, db upgrade on PostgreSQL)
smoke-wheel:
	bash deploy/smoke-wheel.sh

## image: build deploy/Dockerfile daemonless on a local Debian base and smoke-test it (root)
image:
	bash deploy/build-image.sh

bench: $(STAMP)
	$(BIN)/python -m tests.bench.run_all $(BENCH_ARGS)

## bench-quick: every benchmark at a small size (checks they run; not the targets' figures)
bench-quick: $(STAMP)
	$(BIN)/python -m tests.bench.run_all --quick $(BENCH_ARGS)

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
