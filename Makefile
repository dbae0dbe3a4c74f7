# The course's commands. Each target installs what it needs into .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(abspath $(VENV))/bin
# nbgrader runs alembic as a subprocess, so the environment's bin/ must be on PATH.
export PATH := $(BIN):$(PATH)
LAB_PORT ?= 8888
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root)

.PHONY: install system postgres sync release demo grade report test benchmark lab clean-class

$(VENV)/installed: requirements.txt requirements-lock.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt -c requirements-lock.txt
	touch $@

install: $(VENV)/installed

## system: Debian packages the course uses, installed with apt-get when run as root: bubblewrap (the
## grading sandbox) and Chromium (the browser tests). Without root, it says what to install.
SYSTEM_PACKAGES := bwrap:bubblewrap chromium:chromium
system:
	@missing=""; for pair in $(SYSTEM_PACKAGES); do command -v $${pair%%:*} >/dev/null || missing="$$missing $${pair#*:}"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else echo "missing Debian packages:$$missing (sudo apt-get install$$missing); tests that need them are skipped"; fi; fi

## postgres: Debian's PostgreSQL on loopback for the gradebook tests (as root: installs and starts it and sets
## the password of the postgres role the tests use; otherwise those tests skip, or fail in CI)
TEST_POSTGRES_URL ?= postgresql://postgres:cnn-tests@127.0.0.1:5432/postgres
postgres:
	@if [ "$$(id -u)" = 0 ]; then \
	  dpkg -s postgresql >/dev/null 2>&1 || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null); \
	  service postgresql start >/dev/null && su postgres -c "psql -q -c \"ALTER USER postgres PASSWORD 'cnn-tests'\""; \
	else echo "not root: start PostgreSQL yourself and set TEST_POSTGRES_URL, or the PostgreSQL tests skip"; fi

## sync: bring source/cnn/cnn.ipynb and its .py twin together (the newer one wins)
sync: install
	jupytext --sync source/cnn/cnn.ipynb

## release: regenerate release/cnn from source/cnn (commit the result)
release: sync
	nbgrader generate_assignment cnn --force

## demo: the whole instructor -> students -> TA cycle on a sample class, then a score table
demo: install system
	$(BIN)/python -m coursetools.cycle .

## grade: the TA's command for the submissions in submitted/: intake, sandboxed autograde, feedback, grades.csv.
## JOBS=N grades N submissions at once (default: one per core); SCHEDULER=tcp://host:8786 grades on a Dask cluster.
grade: install system
	$(BIN)/python -m coursetools.grade . $(if $(JOBS),--jobs $(JOBS)) $(if $(SCHEDULER),--scheduler $(SCHEDULER))

## report: the instructor's report on the graded class in report/ (grades, per-cell table, histogram, flags)
report: install
	$(BIN)/python -m coursetools.report .

## test: the test suite, browser tests and the gradebook on PostgreSQL included
test: install system postgres
	CNN_TEST_POSTGRES_URL=$(TEST_POSTGRES_URL) $(BIN)/python -m pytest

## benchmark: seconds per autograded notebook for each kind of catalogue entry, determinism, sandbox cost, and a
## class of 60 graded by stock nbgrader, by make grade with 1 and 2 jobs, and bare nbclient (the floor)
benchmark: install system
	$(BIN)/python benchmarks/grading_speed.py
	$(BIN)/python benchmarks/sandbox_cost.py
	$(BIN)/python benchmarks/class_grading.py

## lab: JupyterLab with nbgrader's extensions for this course on http://127.0.0.1:$(LAB_PORT), the Formgrader's
## submission pages under the course's Content-Security-Policy (coursetools/csp.py)
lab: install
	PYTHONPATH=$(CURDIR) jupyter lab --ServerApp.ip=127.0.0.1 --ServerApp.port=$(LAB_PORT) --ServerApp.root_dir=. \
	  --ServerApp.jpserver_extensions=coursetools.csp=True --no-browser $(ROOT_FLAG)

## clean-class: remove student data and the gradebook made by the demo
clean-class:
	rm -rf submitted autograded feedback gradebook.db grades.csv .grading report
