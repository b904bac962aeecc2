# Two commands do everything on a fresh machine:  `make demo`  and  `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install samples demo test test-fast test-e2e lint docs bench clean

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test,lint,verify]'
	touch $(STAMP)

# Recorded Intel TDX quotes + collateral for the `models verify` tests (git-ignored cache).
samples:
	$(PYTHON) .ci/fetch-tee-samples

demo: install
	$(BIN)/genesis models list --offline

test: install samples
	$(BIN)/python -m pytest

# Under a minute: no end-to-end subprocess runs, browsers, pseudo-terminals or kill loops.
test-fast: install samples
	$(BIN)/python -m pytest -m "not slow and not e2e and not interop"

test-e2e: install
	$(BIN)/python -m pytest -m e2e tests/e2e

lint: install
	$(BIN)/ruff check genesis_cli tests bench/run scripts
	$(BIN)/ruff format --check genesis_cli tests bench/run scripts
	$(BIN)/mypy

# docs/reference.md from every command's --help (tests/test_reference_doc.py checks it).
docs: install
	$(BIN)/python scripts/gen_reference.py

bench: install
	bash .ci/with-secret-service $(BIN)/python bench/run --write bench/RESULTS.md

clean:
	rm -rf $(VENV) build dist .pytest_cache .mypy_cache .ruff_cache tests/.cache
