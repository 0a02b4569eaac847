# ironworks: the two-command quick start.
#
#   make demo   install what is missing, then run two regions and two racks in the foreground
#               (Ctrl-C stops them)
#   make test   install what is missing, then run the test suite
#
# Both are idempotent: a second run installs nothing and goes straight to the point.
# Stamp files inside the virtualenvs record what was installed (from which pyproject.toml).

SHELL := /bin/bash
PYTHON ?= python3

VENV := .venv
LIBMAAS_VENV := .venv-libmaas
LIBMAAS_VERSION := 0.6.8
LIBMAAS_REQUIREMENTS := python-libmaas==$(LIBMAAS_VERSION) aiohttp<4
LIBMAAS_STAMP := $(LIBMAAS_VENV)/.installed-$(LIBMAAS_VERSION)
PYTEST_ARGS ?=

.PHONY: demo test system-deps test-system-deps install install-test libmaas-venv clean-demo help

help:
	@echo "make demo   - two regions behind http://localhost:5240/MAAS/ and two racks (Ctrl-C stops them)"
	@echo "make test   - run the test suite (pytest -n 2)"
	@echo "make clean-demo - forget the demo's configuration and database (.demo/)"

demo: install
	@scripts/demo.sh

test: install-test libmaas-venv test-system-deps
	$(VENV)/bin/python -m pytest -n 2 --dist loadfile $(PYTEST_ARGS) tests/

# System packages (PostgreSQL server programs, python3-venv, haproxy, ip, unshare; for the tests
# also keepalived, ssh-keygen): checked every time, installed only when missing.
system-deps:
	@PYTHON=$(PYTHON) scripts/system-deps.sh

test-system-deps:
	@PYTHON=$(PYTHON) scripts/system-deps.sh --test

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test
libmaas-venv: $(LIBMAAS_STAMP)

$(VENV)/bin/python: | system-deps
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(VENV)/bin/python system-deps
	$(VENV)/bin/python -m pip install -q -e .
	@touch $@

# The test extra is a superset of the plain install, so it counts as both.
$(VENV)/.installed-test: pyproject.toml | $(VENV)/bin/python system-deps
	$(VENV)/bin/python -m pip install -q -e '.[test]'
	@touch $(VENV)/.installed $@

# python-libmaas lives in its own virtualenv: it installs a `maas` package and a `maas`
# console script, which must not meet ours.
$(LIBMAAS_STAMP): | system-deps
	$(PYTHON) -m venv $(LIBMAAS_VENV)
	$(LIBMAAS_VENV)/bin/python -m pip install -q $(foreach r,$(LIBMAAS_REQUIREMENTS),'$(r)')
	@touch $@

clean-demo:
	rm -rf .demo
