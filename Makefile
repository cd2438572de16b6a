# gbtt: set up, check, test and measure the project. Every tool runs from .venv/bin; nothing
# needs an activated shell. `make help` lists the targets.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
.DELETE_ON_ERROR:

VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.stamp
# Candidate interpreters for the venv, first that is Python 3.11+ wins.
PYTHON_CANDIDATES ?= python3.11 python3
# Tools that spawn ansible-* (ansible-lint, molecule, the tests) find them on PATH.
VENV_PATH := PATH="$(CURDIR)/$(BIN):$$PATH"
# The project's ansible.cfg, whatever the current directory or its permissions.
export ANSIBLE_CONFIG ?= $(CURDIR)/ansible.cfg
# Extra arguments: make test PYTEST_ARGS='-k registry -x'; make bench BENCH_ARGS='--repeat 1'
PYTEST_ARGS ?=
# pytest-xdist workers (-n; at most 6: each worker runs its own labs on its own ports, see
# tests/conftest.py); empty runs the tests in one process.
PYTEST_WORKERS ?= auto
BENCH_ARGS ?=
# Folders yamllint checks (those that exist).
YAML_DIRS := playbooks roles inventory molecule

.PHONY: help setup quickstart test lint bench bench-peers clean constraints ee

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/^([a-z-]+):.*## /  make \1\t/' | expand -t 20

setup: $(STAMP) ## create .venv with the pinned dependencies and install requirements.yml
	$(VENV_PATH) $(BIN)/ansible-galaxy collection install -r requirements.yml --offline

# The venv is (re)built only when pyproject.toml or constraints.txt changed, or it is missing.
# The stamp is written last, so a failed install is retried on the next run.
$(STAMP): pyproject.toml constraints.txt
	@if [ -x $(BIN)/python ] && $(BIN)/python -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then \
	  echo "reusing $(VENV) ($$($(BIN)/python -V))"; \
	else \
	  py=""; \
	  for c in $(PYTHON_CANDIDATES); do \
	    if command -v "$$c" >/dev/null 2>&1 && "$$c" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then \
	      py="$$c"; break; \
	    fi; \
	  done; \
	  if [ -z "$$py" ]; then \
	    echo "error: gbtt needs Python 3.11 or newer; none of '$(PYTHON_CANDIDATES)' is" >&2; exit 1; \
	  fi; \
	  echo "creating $(VENV) with $$(command -v $$py) ($$("$$py" -V))"; \
	  rm -rf $(VENV); \
	  "$$py" -m venv $(VENV); \
	fi
	$(BIN)/python -m pip install --quiet --upgrade -c constraints.txt pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $@

quickstart: setup ## validate the province, start the lab, deploy the whole province to it (site.yml)
	$(BIN)/gbtt validate inventory/hagiang
	$(VENV_PATH) $(BIN)/gbtt lab up
	$(VENV_PATH) $(BIN)/ansible-playbook -i inventory/lab playbooks/site.yml
	@echo "The lab keeps running: run site.yml again (changed=0), try playbooks/drift.yml, or stop it with '.venv/bin/gbtt lab down'."

test: setup ## run the test suite (PYTEST_ARGS=..., PYTEST_WORKERS=auto|N|"")
	@workers=""; \
	if [ -n "$(PYTEST_WORKERS)" ] && $(BIN)/python -c 'import xdist' 2>/dev/null; then \
	  workers="-n $(PYTEST_WORKERS) --maxprocesses 6"; \
	fi; \
	echo "$(BIN)/pytest $$workers $(PYTEST_ARGS)"; \
	$(VENV_PATH) $(BIN)/pytest $$workers $(PYTEST_ARGS)

lint: setup ## yamllint and ansible-lint (production profile, offline)
	@dirs=""; for d in $(YAML_DIRS); do if [ -d "$$d" ]; then dirs="$$dirs $$d"; fi; done; \
	if [ -n "$$dirs" ]; then \
	  echo "$(BIN)/yamllint -c .yamllint -s$$dirs"; \
	  $(BIN)/yamllint -c .yamllint -s $$dirs; \
	fi
	$(VENV_PATH) $(BIN)/ansible-lint -c .ansible-lint --profile production --offline

bench: setup ## inventory load figures (BENCH_ARGS=...; see bench/README.md)
	$(VENV_PATH) $(BIN)/python bench/inventory_load.py $(BENCH_ARGS)

# The AWX execution environment's build context (ansible-builder v3; no container engine
# needed). Build the image from it with `podman build -t gbtt-ee .gbtt/ee` (docs/awx.md).
ee: setup ## write the AWX execution environment's build context to .gbtt/ee
	rm -rf .gbtt/ee
	$(VENV_PATH) $(BIN)/ansible-builder create -f execution-environment.yml -c .gbtt/ee --output-filename Containerfile

# The peers of bench/deploy.py (~30-40 min against the lab; not part of `make bench`):
# Nornir in .venv (the optional group "bench"), and bench/.venv-stock with the PyPI `ansible`
# package (cisco.ios, ansible.netcommon) on the same ansible-core, plus gbtt for the template's
# filters. Run it afterwards with `.venv/bin/python bench/deploy.py` (see bench/README.md).
STOCK_VENV := bench/.venv-stock
bench-peers: setup ## install the deploy benchmark's peers: Nornir, and the stock `ansible` in bench/.venv-stock
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev,bench]'
	@if [ ! -x $(STOCK_VENV)/bin/python ]; then \
	  base=$$($(BIN)/python -c 'import sys; print(getattr(sys, "_base_executable", sys.executable))'); \
	  echo "creating $(STOCK_VENV) with $$base"; \
	  "$$base" -m venv $(STOCK_VENV); \
	fi
	$(STOCK_VENV)/bin/python -m pip install --quiet -c constraints.txt --upgrade pip
	$(STOCK_VENV)/bin/python -m pip install --quiet -c constraints.txt -r bench/stock/requirements.txt -e .

# Re-resolve every pin from pyproject.toml in a throw-away venv (needs PyPI).
constraints: ## rewrite constraints.txt after a change of pyproject.toml
	@tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	py=""; for c in $(PYTHON_CANDIDATES); do \
	  if command -v "$$c" >/dev/null 2>&1 && "$$c" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then py="$$c"; break; fi; \
	done; [ -n "$$py" ] || { echo "error: no Python 3.11+" >&2; exit 1; }; \
	"$$py" -m venv "$$tmp/venv"; \
	"$$tmp/venv/bin/python" -m pip install --quiet --upgrade pip; \
	"$$tmp/venv/bin/python" -m pip install --quiet -e '.[dev,bench]'; \
	{ sed -n '/^#/p' constraints.txt; \
	  "$$tmp/venv/bin/python" -m pip freeze --all --exclude-editable | grep -E '^pip=='; \
	  "$$tmp/venv/bin/python" -m pip freeze --exclude-editable; } > "$$tmp/constraints.txt"; \
	mv "$$tmp/constraints.txt" constraints.txt; \
	git diff --stat -- constraints.txt 2>/dev/null || true

clean: ## remove the venv, installed collections and caches (keeps .lab/ and bench/results/)
	rm -rf $(VENV) collections .cache .ansible .pytest_cache .ruff_cache ./*.egg-info
	find . -path ./.git -prune -o -type d -name __pycache__ -prune -exec rm -rf {} +
