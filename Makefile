# The course's commands. Each target installs what it needs into .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(abspath $(VENV))/bin
# nbgrader runs alembic as a subprocess, so the environment's bin/ must be on PATH.
export PATH := $(BIN):$(PATH)
LAB_PORT ?= 8888
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root)

.PHONY: install browser sync release demo test benchmark lab clean-class

$(VENV)/installed: requirements.txt requirements-lock.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt -c requirements-lock.txt
	touch $@

install: $(VENV)/installed

## browser: Debian's Chromium for the browser tests (installed with apt-get when run as root)
browser:
	@command -v chromium >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "browser tests need Chromium: sudo apt-get install chromium (they are skipped without it)"; fi; }

## sync: bring source/cnn/cnn.ipynb and its .py twin together (the newer one wins)
sync: install
	jupytext --sync source/cnn/cnn.ipynb

## release: regenerate release/cnn from source/cnn (commit the result)
release: sync
	nbgrader generate_assignment cnn --force

## demo: the whole instructor -> students -> TA cycle on a sample class, then a score table
demo: install
	$(BIN)/python -m coursetools.cycle .

## test: the test suite, browser tests included
test: install browser
	$(BIN)/python -m pytest

## benchmark: seconds per autograded notebook for each kind of catalogue entry, and determinism
benchmark: install
	$(BIN)/python benchmarks/grading_speed.py

## lab: JupyterLab with nbgrader's extensions for this course on http://127.0.0.1:$(LAB_PORT)
lab: install
	jupyter lab --ServerApp.ip=127.0.0.1 --ServerApp.port=$(LAB_PORT) --ServerApp.root_dir=. --no-browser $(ROOT_FLAG)

## clean-class: remove student data and the gradebook made by the demo
clean-class:
	rm -rf submitted autograded feedback gradebook.db grades.csv
