# The commands of the README: `make demo` and `make test`; then `make test-reference` (the
# cross-checks against PyTorch), `make notebooks`, `make bench`. All are idempotent: the
# venv and each install step are redone only when pyproject.toml changes.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip
# micrograd 0.1.0's source distribution: its test/test_engine.py is run by the reference tests
# and timed by benchmarks/micrograd_compat.py, read from the tarball
# (benchmarks/micrograd_material.py).
MICROGRAD_SDIST := $(VENV)/reference/micrograd-0.1.0.tar.gz

.PHONY: demo test test-reference notebooks bench lint regen dot browser clean
# A recipe that fails (a `python -m venv` whose pip upgrade fails) removes its target, so
# that the next make redoes it instead of taking a half-made venv for a finished one.
.DELETE_ON_ERROR:

demo: $(VENV)/.installed-demo dot
	$(BIN)/autograd-lite demo

# Everything that needs no torch: lint, types, the tests (browser tests included), the notebooks,
# in one pytest run spread over the cores (at most 4 workers; the tests that share the one
# JupyterLab server run on one of them: tests/conftest.py).
test: $(VENV)/.installed-test $(MICROGRAD_SDIST) dot browser
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/pytest -q -n auto --maxprocesses 4 --dist loadgroup --nbmake tests notebooks \
	  --ignore=tests/reference

# The cross-checks against PyTorch (its CPU build, about 750 MB more in the venv): micrograd's
# own test_engine.py, the torch comparisons, the PyTorch export. Under CI=true a missing
# torch fails the run instead of skipping it (tests/reference/conftest.py).
test-reference: $(VENV)/.installed-reference $(MICROGRAD_SDIST)
	$(BIN)/pytest -q tests/reference

# JupyterLab, in its own dependency group (`make test` runs the notebooks headless with
# nbmake and does not need it). Stop the server with Ctrl-C. Jupyter refuses to run as root
# unless told to; as root (a container, this project's machines) we tell it.
notebooks: $(VENV)/.installed-notebooks dot
	$(BIN)/jupyter lab notebooks/ $$([ "$$(id -u)" = 0 ] && echo --allow-root)

bench: $(VENV)/.installed-bench $(MICROGRAD_SDIST)
	$(BIN)/python benchmarks/bench.py
	$(BIN)/python benchmarks/forward_reverse.py
	$(BIN)/python benchmarks/training_view_bench.py

# core/_ops_generated.py, from the rule table engine.RULES. Run as a file, codegen.py imports
# core/ without the old generated file, which may be stale or broken.
regen: $(BIN)/python
	$(BIN)/python autograd_lite/core/codegen.py

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/mypy

# A new venv's pip is too old for `--group` (PEP 735), so it is upgraded first.
$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

$(VENV)/.installed-demo: pyproject.toml | $(BIN)/python
	$(PIP) install --quiet -e .
	@touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(PIP) install --quiet -e . --group test --group notebooks --group jupyter --group lint
	@touch $@

$(VENV)/.installed-reference: $(VENV)/.installed-test
	$(PIP) install --quiet -e . --group reference
	@touch $@

$(VENV)/.installed-notebooks: pyproject.toml | $(BIN)/python
	$(PIP) install --quiet -e . --group notebooks --group jupyter
	@touch $@

$(VENV)/.installed-bench: pyproject.toml | $(BIN)/python
	$(PIP) install --quiet -e . --group bench
	@touch $@

# Downloaded once (the file is its own stamp). micrograd_material.py checks its sha256 and says
# to delete it if it is not the published one.
$(MICROGRAD_SDIST): | $(BIN)/python
	$(PIP) download --quiet --no-deps --no-binary :all: --dest $(@D) micrograd==0.1.0

# Debian packages the commands need, installed with apt-get when missing and we are root or
# have passwordless sudo; otherwise one line says how. $(call apt_install,WHAT,PACKAGES,CHECK)
define apt_install
	@$(3) || { \
	  if command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then SUDO=; \
	  elif command -v apt-get >/dev/null 2>&1 && command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then SUDO="sudo -n"; \
	  else echo "$(1) is missing: install it with 'sudo apt-get install $(2)' (Debian/Ubuntu), then rerun make." >&2; exit 1; fi; \
	  echo "$(1) is missing: installing the Debian packages $(2)"; \
	  $$SUDO apt-get install -y -qq $(2) >/dev/null 2>&1 || \
	    { $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq $(2) >/dev/null; }; }
	@$(3) || { echo "$(1) is still missing after the install; install $(2) by hand." >&2; exit 1; }
endef

# Graphviz's `dot` renders the images (also: 'brew install graphviz' on macOS, or
# 'conda install -c conda-forge graphviz').
dot:
	$(call apt_install,Graphviz's dot,graphviz,command -v dot >/dev/null 2>&1)

# Headless Chromium for the browser tests: Debian's own build and its driver, never a
# browser downloaded by a test tool.
browser:
	$(call apt_install,Chromium or its driver,chromium chromium-driver,[ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ])

clean:
	rm -rf $(VENV) out .pytest_cache .mypy_cache .ruff_cache .hypothesis
