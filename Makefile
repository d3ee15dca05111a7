# The README's two commands: `make samples` (the main job) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: install samples test bench lint

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,bench]'
	touch $@

install: $(VENV)/.installed

samples: install
	$(BIN)/jixiao inspect samples/*

test: install
	$(BIN)/pytest

bench: install
	$(BIN)/python bench/parse.py

lint: install
	$(BIN)/ruff check src tests bench
