# hippocore: two commands do all set-up on a fresh machine.
#   make demo   -> create .venv if missing, install hippocore with its extras, run the main job
#   make test   -> same set-up, then lint + the full test suite
# Override the interpreter or the torch build if you need to, e.g.
#   make test PYTHON=python3.12 TORCH="torch==2.13.0"
PYTHON ?= python3
VENV ?= .venv
# A CPU build of torch, installed before the extras so pip never pulls a multi-GB CUDA build.
TORCH ?= torch==2.13.0
PY := $(VENV)/bin/python
STAMP := $(VENV)/.hippocore-installed
DEMO_OUT ?= demo-output

.PHONY: demo test lint format bench train clean help

help:
	@echo "make demo    run the main job (installs into $(VENV) first)"
	@echo "make test    lint and run the test suite (installs into $(VENV) first)"
	@echo "make bench   run the benchmarks in benchmarks/"
	@echo "make train   retrain the shipped TEM-t checkpoint from scratch"

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet "$(TORCH)"
	$(PY) -m pip install --quiet -e ".[zoo,dev]"
	@touch $(STAMP)

demo: $(STAMP)
	$(PY) -m hippocore demo --out $(DEMO_OUT)

test: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m pytest

lint: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

format: $(STAMP)
	$(PY) -m ruff format .
	$(PY) -m ruff check --fix .

bench: $(STAMP)
	$(PY) benchmarks/run_all.py

train: $(STAMP)
	$(PY) -m hippocore train

clean:
	rm -rf $(VENV) $(DEMO_OUT) .pytest_cache .ruff_cache build dist
