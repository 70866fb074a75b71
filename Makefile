# The two set-up commands of the README. Both make a virtual environment of
# their own (.venv): HIPS autograd also installs as `autograd`, so circuitgrad
# is not meant to share an environment with it.
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin
FASHION_MNIST := /usr/share/datasets/fashion-mnist
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: demo test fashion-mnist docs lessons chromium

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

# The site (README, "The lessons as a website"): Sphinx + myst-nb build it from this
# checkout into docs/_build/quick/html (the lessons at the test suite's small settings),
# or docs/_build/full/html with FULL=1 (the lessons at full size); lessons run again only
# when they changed (jupyter-cache). Any warning, a failing lesson, a broken link or a
# public name without a docstring fails the build; then headless Chromium checks the pages.
# One process (no -j): with two Sphinx workers each starting a kernel, a kernel once came
# up idle and its notebook client waited on it for good (seen here, 2026-12-02).
SITE := docs/_build/$(if $(FULL),full,quick)

docs: $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[notebooks,docs,test]'
	@command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1 || $(MAKE) -s chromium
	rm -rf $(SITE)/html
	CIRCUITGRAD_QUICK=$(if $(FULL),0,1) $(BIN)/sphinx-build -W --keep-going -q -b html docs $(SITE)/html
	CIRCUITGRAD_SITE=$(SITE)/html $(BIN)/python -m pytest -q docs/tests
	@echo "The site: $(SITE)/html/index.html"

chromium:
	@command -v apt-get >/dev/null 2>&1 && \
	  ($(SUDO) apt-get install -y -qq chromium chromium-driver >/dev/null 2>&1 || \
	   ($(SUDO) apt-get update -qq >/dev/null 2>&1 && \
	    $(SUDO) apt-get install -y -qq chromium chromium-driver >/dev/null 2>&1)) || \
	  (echo "The site's browser test needs Chromium and its driver: apt-get install chromium chromium-driver"; exit 1)

# The lessons live in the browser, sliders and all (Voila), at full size.
lessons: $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[notebooks]'
	$(BIN)/voila notebooks/ --VoilaConfiguration.extension_denylist=@jupyter-notebook/lab-extension
