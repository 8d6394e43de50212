# Two commands do all the set-up on a fresh machine with python3 and make:
#   make run   - create .venv, install nqpf, run the bundled default study
#   make test  - install the test extras too, lint, run the whole suite
#   make app   - the workbench: a local web page over the same library (after make run)
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
OUT    ?= out

.PHONY: run app test lint bench docs clean sysdeps

# System packages the report and docs tests use: Chromium (headless browser checks) and a CJK font
# (Chinese labels in PNG figures). Installed with apt-get when missing and we are root; otherwise the
# browser tests skip locally (they fail under CI=true).
sysdeps:
	@if command -v chromium >/dev/null 2>&1 && fc-list :lang=zh 2>/dev/null | grep -q .; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "installing chromium and a CJK font (apt-get)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-zenhei >/dev/null; \
	else echo "warning: chromium or a CJK font is missing and apt-get is not available as root"; fi

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

# the workbench in the browser (http://127.0.0.1:8050, local only)
app: $(VENV)/.installed
	$(BIN)/nqpf app

test: $(VENV)/.installed-test sysdeps
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
