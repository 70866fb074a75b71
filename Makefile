# The two set-up commands of the README. Both make a virtual environment of
# their own (.venv): HIPS autograd also installs as `autograd`, so circuitgrad
# is not meant to share an environment with it.
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin
FASHION_MNIST := /usr/share/datasets/fashion-mnist
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: demo test fashion-mnist

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Train the notes' MLP on Fashion-MNIST (from the Debian package, installed here
# if apt can); without it, train on the notes' spiral and say so.
demo: $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[train]'
	@if [ -d $(FASHION_MNIST) ] || $(MAKE) -s fashion-mnist; then \
	  $(BIN)/circuitgrad train --data fashion-mnist --model mlp --optim nesterov --lr 0.05 \
	    --epochs 10 --out runs/demo; \
	else \
	  echo "Fashion-MNIST is not installed and apt could not install it" \
	       "(apt-get install dataset-fashion-mnist): training on the spiral instead."; \
	  $(BIN)/circuitgrad train --data spiral --epochs 30 --lr 0.01 --out runs/demo; \
	fi

fashion-mnist:
	@command -v apt-get >/dev/null 2>&1 && \
	  ($(SUDO) apt-get install -y -qq dataset-fashion-mnist >/dev/null 2>&1 || \
	   ($(SUDO) apt-get update -qq >/dev/null 2>&1 && \
	    $(SUDO) apt-get install -y -qq dataset-fashion-mnist >/dev/null 2>&1))

test: $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[test,notebooks]'
	$(BIN)/python -m pytest
