# warden — developer tasks. `make` (or `make help`) lists them.
# Long targets print what they run and how long it took (scripts/timed.sh).

SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-print-directory

TIMED := scripts/timed.sh
CARGO ?= cargo
# `make test-pg` and `make coverage`: an admin connection; the tests create and drop their own
# databases through it.
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/postgres
# `make smoke`: the instance to check.
BASE_URL ?= http://127.0.0.1:5500
# `make create-admin`
ADMIN_USERNAME ?= admin
ADMIN_EMAIL ?= admin@example.com
# Docker Compose: development stack, and the production override on top of it.
COMPOSE ?= docker compose
COMPOSE_PROD := $(COMPOSE) -f docker-compose.yml -f docker-compose.prod.yml
IMAGE ?= warden:latest

##@ Setup
.PHONY: help setup setup-hooks
help: ## Show this help
	@awk 'BEGIN { FS = ":.*## " } \
	  /^##@/ { printf "\n%s\n", substr($$0, 5) } \
	  /^[a-zA-Z0-9_-]+:.*## / { printf "  %-15s %s\n", $$1, $$2 }' $(MAKEFILE_LIST)
	@echo

setup: ## Install every tool the hooks, lint, coverage and CI use, then the git hooks
	@$(TIMED) "install tools" scripts/install-tools.sh
	@$(MAKE) setup-hooks

setup-hooks: ## Install the pre-commit and commit-msg git hooks (prek)
	@command -v prek >/dev/null || scripts/install-tools.sh python
	prek install --hook-type pre-commit --hook-type commit-msg

##@ Run
.PHONY: dev run openapi smoke
dev: ## Run the server in development mode (debug build, APP_ENV=development)
	APP_ENV=development $(CARGO) run -- serve

run: ## Run the server from a release build
	$(CARGO) run --release

openapi: ## Write the OpenAPI document to openapi.json
	@$(TIMED) "openapi" $(CARGO) run --release -- openapi --output openapi.json

smoke: ## Smoke-test a running instance: make smoke BASE_URL=https://staging.example.com
	$(CARGO) run --release -- smoke --base-url $(BASE_URL)

##@ Test and quality
.PHONY: test test-pg test-fast coverage lint format fmt-check security pre-commit check ci docs-check
test: ## Run the test suite on SQLite (scripts/test.sh sqlite; COVERAGE=1 instruments it)
	@$(TIMED) "tests (SQLite)" scripts/test.sh sqlite

test-pg: ## Run the test suite on PostgreSQL (TEST_DATABASE_URL=postgres://…/postgres)
	@$(TIMED) "tests (PostgreSQL)" env TEST_DATABASE_URL=$(TEST_DATABASE_URL) scripts/test.sh postgres

test-fast: ## Run the tests with cargo-nextest (SQLite), falling back to cargo test
	@if $(CARGO) nextest --version >/dev/null 2>&1; then \
	  $(TIMED) "tests (nextest)" $(CARGO) nextest run --locked; \
	else \
	  $(TIMED) "tests" $(CARGO) test --locked; \
	fi

coverage: ## Coverage on SQLite + PostgreSQL: coverage/html/index.html, coverage/lcov.info, floor 80 %
	@$(TIMED) "coverage" env TEST_DATABASE_URL=$(TEST_DATABASE_URL) scripts/coverage.sh sqlite postgres

lint: ## fmt check, clippy -D warnings, workflow/compose/Dockerfile lint, typos
	@$(TIMED) "cargo fmt --check" $(CARGO) fmt --all -- --check
	@$(TIMED) "clippy" $(CARGO) clippy --all-targets --locked -- -D warnings
	@$(TIMED) "config lint" scripts/lint-config.sh
	@$(TIMED) "typos" typos

format: ## Format the code (cargo fmt)
	$(CARGO) fmt --all

fmt-check: ## Check formatting without changing files
	$(CARGO) fmt --all -- --check

security: ## cargo-deny (advisories, licences, bans, sources) and zizmor
	@$(TIMED) "cargo deny" scripts/cargo-deny.sh
	@$(TIMED) "zizmor" zizmor --offline --no-progress .github/workflows

pre-commit: ## Run every pre-commit hook on all files
	@$(TIMED) "pre-commit hooks" prek run --all-files --show-diff-on-failure

check: lint test ## Quick gate before pushing: fmt, clippy, config lint, typos, tests

docs-check: ## Docs gate: make targets, warden commands, env vars, links, Markdown lint (seconds)
	@$(TIMED) "docs gate" scripts/docs-gate.sh

ci: ## Run the full CI pipeline locally (exactly .ci/run)
	.ci/run

##@ Database (uses DATABASE_URL, default sqlite://data/warden.db)
.PHONY: db-migrate db-seed db-seed-rbac db-reset create-admin
db-migrate: ## Apply pending migrations
	$(CARGO) run --release -- migrate

db-seed: ## Create the development users (refused in production)
	$(CARGO) run --release -- seed

db-seed-rbac: ## Insert missing permissions and roles
	$(CARGO) run --release -- seed-rbac

db-reset: ## DESTRUCTIVE: drop everything, migrate and seed RBAC again
	$(CARGO) run --release -- reset --yes

create-admin: ## Create a super admin: make create-admin ADMIN_EMAIL=you@example.com (asks for the password)
	$(CARGO) run --release -- create-admin --username $(ADMIN_USERNAME) --email $(ADMIN_EMAIL)

##@ Docker
.PHONY: docker-up docker-down docker-build docker-logs docker-shell docker-test docker-prod docker-clean docker-smoke
docker-up: ## Start the development stack (web with hot reload, db, redis)
	@$(TIMED) "compose up" $(COMPOSE) up -d --wait

docker-down: ## Stop the development stack (volumes are kept)
	$(COMPOSE) down

docker-build: ## Build the production image (IMAGE=warden:latest, the tag the prod stack runs)
	@$(TIMED) "docker build" docker build --target production --tag $(IMAGE) .

docker-logs: ## Follow the web service's logs
	$(COMPOSE) logs -f web

docker-shell: ## Open a shell in the web container
	$(COMPOSE) exec web bash

docker-test: ## Run the test suite inside the development container
	@$(TIMED) "tests in the container" $(COMPOSE) run --rm web cargo test --locked

docker-prod: ## Start the production stack (needs SECRET_KEY etc., see docs/devops.md)
	@$(TIMED) "compose up (production)" $(COMPOSE_PROD) up -d --wait

docker-clean: ## Remove the stacks, their volumes and the local image
	$(COMPOSE_PROD) down -v --remove-orphans
	$(COMPOSE) down -v --remove-orphans
	-docker image rm $(IMAGE)

docker-smoke: ## Build the image, boot the production stack, run warden smoke, tear down
	@$(TIMED) "docker smoke" scripts/docker-smoke.sh

##@ Benchmarks
.PHONY: fuzz fuzz-quick test-attacks
fuzz: ## Long cargo-fuzz run of every target (FUZZ_SECONDS each, default 600; needs nightly)
	@FUZZ_SECONDS=$${FUZZ_SECONDS:-600} $(TIMED) "fuzz" scripts/fuzz.sh

fuzz-quick: ## Bounded cargo-fuzz run as in CI (20 s per target, quick build)
	@FUZZ_SECONDS=$${FUZZ_SECONDS:-20} FUZZ_QUICK_BUILD=1 FUZZ_BUILD_BUDGET_SECS=900 $(TIMED) "fuzz (quick)" scripts/fuzz.sh

test-attacks: ## The attack suite only (SQLite; set TEST_DATABASE_URL for PostgreSQL)
	@$(TIMED) "attack suite" cargo test --test api attacks:: -- --nocapture

.PHONY: bench bench-quick
bench: ## Load benchmark with report (bench/README.md)
	@$(TIMED) "benchmark" bench/run.sh

bench-quick: ## Short benchmark run (smoke-sized)
	@$(TIMED) "benchmark (quick)" bench/run.sh --quick

##@ Housekeeping
.PHONY: clean
clean: ## Remove build output and reports (target/, coverage/, lcov.info)
	$(CARGO) clean
	rm -rf coverage lcov.info
