# One obvious way to run things. Every target creates .venv and installs the project first.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
# Node packages the tests run, each folder pinned by its package-lock.json: Microsoft's parsers for the
# fidelity gate (tests/fidelity/node) and Mermaid's parser for the PR comment (tests/markdown/node).
NODE_DIRS := tests/fidelity/node tests/markdown/node
NODE_STAMPS := $(addsuffix /node_modules/.installed-stamp,$(NODE_DIRS))
STACK ?= dev

.PHONY: install preview test lint bench clean lock

# requirements.lock pins every Python package (pip-compile of pyproject.toml with the dev extra and the pack's
# requirements); refresh it with `make lock` after changing a dependency.
$(STAMP): pyproject.toml requirements.txt policies/requirements.txt requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -c requirements.lock \
		-e ".[dev]" -r requirements.txt -r policies/requirements.txt
	touch $(STAMP)

%/node_modules/.installed-stamp: %/package.json %/package-lock.json
	npm ci --prefix $* --no-audit --no-fund --loglevel=error
	touch $@

install: $(STAMP) $(NODE_STAMPS)

lock:
	$(PYTHON) -m venv .lock-venv && .lock-venv/bin/pip install --quiet pip-tools
	.lock-venv/bin/pip-compile --quiet --extra dev --strip-extras --allow-unsafe --no-emit-index-url \
		--no-emit-find-links --no-emit-trusted-host -o requirements.lock pyproject.toml policies/requirements.txt

## The main job on a fresh machine: preview the dev stack offline with the guardrail policy pack and Azure's schemas.
preview: $(STAMP)
	$(VENV)/bin/jit preview --stack $(STACK) --policy-pack policies --validate

test: $(STAMP) $(NODE_STAMPS)
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
	rm -rf $(VENV) .pytest_cache .ruff_cache *.egg-info $(addsuffix /node_modules,$(NODE_DIRS)) .lock-venv
