# The course's commands. Each target installs what it needs into .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(abspath $(VENV))/bin
# nbgrader runs alembic as a subprocess, so the environment's bin/ must be on PATH.
export PATH := $(BIN):$(PATH)

.PHONY: install release demo test clean-class

$(VENV)/installed: requirements.txt requirements-lock.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt -c requirements-lock.txt
	touch $@

install: $(VENV)/installed

## release: regenerate release/cnn from source/cnn (commit the result)
release: install
	nbgrader generate_assignment cnn --force

## demo: the whole instructor -> students -> TA cycle on a sample class, then a score table
demo: install
	$(BIN)/python -m coursetools.cycle .

## test: the test suite
test: install
	$(BIN)/python -m pytest

## clean-class: remove student data and the gradebook made by the demo
clean-class:
	rm -rf submitted autograded feedback gradebook.db grades.csv
