# One obvious way to run things. Every target creates .venv and installs the project first.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
# Microsoft's parsers for the fidelity gate (tests/fidelity), pinned by package-lock.json.
NODE_DIR := tests/fidelity/node
NODE_STAMP := $(NODE_DIR)/node_modules/.installed-stamp
STACK ?= dev

.PHONY: install preview test lint bench clean

$(STAMP): pyproject.toml requirements.txt policies/requirements.txt tests/markdown/node/package-lock.json
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -e ".[dev]" -r requirements.txt -r policies/requirements.txt
	npm ci --prefix tests/markdown/node --no-audit --no-fund --loglevel=error
	touch $(STAMP)

$(NODE_STAMP): $(NODE_DIR)/package.json $(NODE_DIR)/package-lock.json
	npm ci --prefix $(NODE_DIR) --no-audit --no-fund --loglevel=error
	touch $(NODE_STAMP)

install: $(STAMP) $(NODE_STAMP)

## The main job on a fresh machine: preview the dev stack offline with the guardrail policy pack and Azure's schemas.
preview: $(STAMP)
	$(VENV)/bin/jit preview --stack $(STACK) --policy-pack policies --validate

test: $(STAMP) $(NODE_STAMP)
	$(PY) -m pytest

## ruff, then mypy over the installed package layout (scripts/typecheck.py: strict on the rules core and the pack).
lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) scripts/typecheck.py

bench: $(STAMP)
	$(PY) benchmarks/fleet.py
	$(PY) benchmarks/pack_scaling.py
	$(PY) benchmarks/pack.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache *.egg-info $(NODE_DIR)/node_modules
