# Two commands on a fresh machine: `make run` and `make test`. Both install what they need.
SHELL := /bin/bash
UV_VERSION := 0.13.9
UV := $(shell command -v uv 2>/dev/null || echo .tools/bin/uv)

.PHONY: install node-tools run test lint typecheck asyncapi k8s-tools k8s-validate browser-tools bench bench-inbox chaos fuzz

.tools/bin/uv:
	python3 -m venv .tools
	.tools/bin/pip install --quiet "uv==$(UV_VERSION)"

# Bytecode compiled once at install, as the image does: services neither compile their ~1,400 modules at
# every start nor carry the compiler's memory peak (≈ 25 MB of RSS per service; see docs/performance.md).
install: $(UV) node-tools
	$(UV) sync --frozen --compile-bytecode
	npm ci --prefix services/intake/web --no-audit --no-fund --loglevel=error
	npm ci --prefix services/workspace/web --no-audit --no-fund --loglevel=error
	npm ci --prefix services/audit/web --no-audit --no-fund --loglevel=error

run: install
	$(UV) run --frozen python -m devtools dev

# Two workers, one test file at a time each (module-scoped servers stay in one process); every test has its
# own databases, topics and ports, so the workers share nothing but the machine. PYTEST_WORKERS=0 runs serially.
PYTEST_WORKERS ?= 2
test: install k8s-tools browser-tools
	PATH="$(CURDIR)/.tools/bin:$$PATH" $(UV) run --frozen pytest -n $(PYTEST_WORKERS) --dist loadfile

lint: install
	$(UV) run --frozen ruff check .

typecheck: install
	$(UV) run --frozen mypy infohus contracts rules services devtools

asyncapi: install
	$(UV) run --frozen infohus asyncapi --output docs/asyncapi.json

# Node.js with npm fetches the design system for the web front ends and runs the tests' OpenID Connect provider.
node-tools:
	command -v npm >/dev/null || (apt-get update -qq && apt-get install -y -qq --no-install-recommends nodejs npm)

browser-tools:
	command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium)

k8s-tools: $(UV)
	PATH="$(CURDIR)/.tools/bin:$$PATH" bash deploy/k8s/install-tools.sh

k8s-validate: install k8s-tools
	$(UV) run --frozen bash deploy/k8s/validate.sh

# Load and fault runs: minutes, not part of `make test` (a short chaos run is).
bench: install
	$(UV) run --frozen python -m devtools.bench

# The staff inbox and case view with 100,000 cases on PostgreSQL: p50/p95 per request kind.
bench-inbox: install
	$(UV) run --frozen python -m devtools.bench.inbox --cases 100000

CHAOS_ARGS ?= --rate 15 --seconds-per-fault 20
chaos: install
	$(UV) run --frozen python -m devtools.chaos $(CHAOS_ARGS)

# 10,000 malformed and hostile inputs against intake's API and forms (a short run is part of `make test`).
fuzz: install
	$(UV) run --frozen python -m tests.fuzz --examples 10000
