# The two set-up commands of the README. Both make a virtual environment of
# their own (.venv): HIPS autograd also installs as `autograd`, so circuitgrad
# is not meant to share an environment with it.
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin

.PHONY: demo test

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

demo: $(BIN)/python
	$(BIN)/python -m pip install -q -e .
	$(BIN)/circuitgrad demo

test: $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[test,notebooks]'
	$(BIN)/python -m pytest
