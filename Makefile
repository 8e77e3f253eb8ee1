# One place for setting up and checking lstm-shapes. `make help` lists the targets.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# The CPU build of torch, installed first so that `torch>=2.13` is already satisfied
# (an unpinned torch can resolve to a multi-GB CUDA build). Override on a GPU machine:
#   make TORCH_SPEC='torch' setup
TORCH_SPEC ?= torch==2.13.0
LINTED := lstm_shapes tests $(wildcard benchmarks/*.py)
EXAMPLE ?= explain -i 10 -H 20 -l 2 --batch-first --bidirectional -N 3 -L 7

.PHONY: help setup demo check test lint typecheck golden docs bench clean wheel-check

help:
	@echo "make demo       set up .venv and run: lstm-shapes $(EXAMPLE)"
	@echo "make check      set up .venv and run every check: tests, ruff, mypy"
	@echo "make golden     regenerate tests/golden and generated docs (review the diff)"
	@echo "make bench      run benchmarks/ and rewrite docs/performance.md"
	@echo "make wheel-check build the sdist and wheel, install the wheel in a fresh venv, run the docs"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml constraints.txt | $(BIN)/python
	$(BIN)/python -c "import torch" 2>/dev/null || $(BIN)/python -m pip install --quiet "$(TORCH_SPEC)"
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[test]"
	touch $@

setup: $(VENV)/.installed

demo: setup
	$(BIN)/lstm-shapes $(EXAMPLE)

test: setup
	$(BIN)/python -m pytest

lint: setup
	$(BIN)/python -m ruff check $(LINTED)
	$(BIN)/python -m ruff format --check $(LINTED)

typecheck: setup
	$(BIN)/python -m mypy

check: test lint typecheck

golden: setup
	$(BIN)/python -m pytest tests --update-golden -q

wheel-check: setup
	PYTHON=$(abspath $(BIN)/python) bash .ci/wheel-check

bench: setup
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
