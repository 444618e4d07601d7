# The commands of the README: `make demo`, `make test` and `make notebooks`. All are
# idempotent: the venv and each install step are redone only when pyproject.toml changes.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip
# micrograd 0.1.0's source distribution: its test/test_engine.py is run by the tests and timed
# by benchmarks/micrograd_compat.py, read from the tarball (benchmarks/micrograd_material.py).
MICROGRAD_SDIST := $(VENV)/reference/micrograd-0.1.0.tar.gz

.PHONY: demo test notebooks bench lint dot clean
# A recipe that fails (a `python -m venv` whose pip upgrade fails) removes its target, so
# that the next make redoes it instead of taking a half-made venv for a finished one.
.DELETE_ON_ERROR:

demo: $(VENV)/.installed-demo dot
	$(BIN)/autograd-lite demo

test: $(VENV)/.installed-test $(MICROGRAD_SDIST) dot
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/pytest -q tests
	$(BIN)/pytest -q --nbmake notebooks

# JupyterLab, in its own dependency group (`make test` runs the notebooks headless with
# nbmake and does not need it). Stop the server with Ctrl-C. Jupyter refuses to run as root
# unless told to; as root (a container, this project's machines) we tell it.
notebooks: $(VENV)/.installed-notebooks dot
	$(BIN)/jupyter lab notebooks/ $$([ "$$(id -u)" = 0 ] && echo --allow-root)

bench: $(VENV)/.installed-bench $(MICROGRAD_SDIST)
	$(BIN)/python benchmarks/bench.py

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
	$(PIP) install --quiet -e . --group test --group notebooks --group lint --group reference
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

# Graphviz's `dot` renders the images. Installed from the system packages when we can;
# otherwise one line says how.
dot:
	@command -v dot >/dev/null 2>&1 || { \
	  if command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
	    echo "Graphviz's dot is missing: installing the Debian package graphviz"; \
	    apt-get update -qq && apt-get install -y -qq graphviz >/dev/null; \
	  elif command -v apt-get >/dev/null 2>&1 && command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then \
	    echo "Graphviz's dot is missing: installing the Debian package graphviz"; \
	    sudo -n apt-get update -qq && sudo -n apt-get install -y -qq graphviz >/dev/null; \
	  else \
	    echo "Graphviz's dot is missing: install it with 'sudo apt-get install graphviz' (Debian/Ubuntu), 'brew install graphviz' (macOS) or 'conda install -c conda-forge graphviz', then rerun make." >&2; \
	    exit 1; \
	  fi; }
	@command -v dot >/dev/null 2>&1 || { echo "Graphviz's dot is still missing after the install; install the graphviz package by hand." >&2; exit 1; }

clean:
	rm -rf $(VENV) out .pytest_cache .mypy_cache .ruff_cache .hypothesis
