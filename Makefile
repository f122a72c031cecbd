# Two entry points for a fresh machine with python3 and make:
#   make demo   create .venv, install wootwatch, start the simulated stack
#   make test   install the test tools and extras, run the whole suite (the
#               installed wheel included), then the linters
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

# pytest workers for `make test` (one per core); `make test TEST_WORKERS=0` runs in-process.
TEST_WORKERS ?= auto

# Programs the end-to-end, clock and Prometheus tests drive, as command:Debian-package.
TEST_TOOLS := tmux:tmux faketime:faketime promtool:prometheus amtool:prometheus-alertmanager

.PHONY: demo test test-tools bench lint clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

# One install with the extras, not the plain one first: each builds the editable wheel
# and resolves again. It also stands for the plain one, which it includes.
$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(VENV)/.installed $@

demo: $(VENV)/.installed
	$(BIN)/wootwatch --demo

# Installs the missing test programs where it can (root with apt-get); elsewhere
# the tests that need them say so and are skipped, except in CI.
test-tools:
	@missing=""; for pair in $(TEST_TOOLS); do \
		command -v $${pair%%:*} >/dev/null 2>&1 || missing="$$missing $${pair#*:}"; done; \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
			echo "installing$$missing"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
		else \
			echo "missing$$missing: the tests that need them are skipped (apt-get install$$missing)"; \
		fi; \
	fi

# Whole test files go to one worker (--dist loadfile), so a module's fixtures (the
# wheel, moto, a recorded demo) are built once, as in a serial run; in the order
# tests/conftest.py sorts them (files marked `long` first), not xdist's own.
test: $(VENV)/.installed-test test-tools
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder
	$(MAKE) --no-print-directory lint

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

bench: $(VENV)/.installed-test
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache .mypy_cache .ruff_cache
