# Two commands do all the set-up on a fresh machine with python3 and make:
#   make run   - create .venv, install nqpf, run the bundled default study
#   make test  - install the test extras too, lint, run the whole suite
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
OUT    ?= out

.PHONY: run test lint bench docs clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install -q -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(BIN)/python -m pip install -q -e '.[test,maps,docs]'
	touch $@

run: $(VENV)/.installed
	$(BIN)/nqpf run -o $(OUT)/default

test: $(VENV)/.installed-test
	$(BIN)/ruff check src tests bench
	$(BIN)/python -m pytest

lint: $(VENV)/.installed-test
	$(BIN)/ruff check src tests bench

bench: $(VENV)/.installed-test
	for b in bench/bench_*.py; do $(BIN)/python $$b || exit 1; done

docs: $(VENV)/.installed-test
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict

clean:
	rm -rf $(VENV) $(OUT) build *.egg-info src/*.egg-info
