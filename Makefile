# The course's commands. Each target installs what it needs into .venv first.
PYTHON ?= python3
# The hub's instructor sets VENV to the users' environment (coursetools/hub/site.py).
VENV ?= .venv
BIN := $(abspath $(VENV))/bin
# nbgrader runs alembic as a subprocess, so the environment's bin/ must be on PATH.
export PATH := $(BIN):$(PATH)
LAB_PORT ?= 8888
# The assignments of the course: the folders of source/. ASSIGNMENT=id picks the one make grade grades.
ASSIGNMENTS := $(patsubst source/%/,%,$(wildcard source/*/))
ASSIGNMENT ?= cnn
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root)

.PHONY: install system postgres hub-install hub sync release demo collect grade regrade lms-grades similarity report test benchmark lab clean-class

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

## hub-install: what `make hub` and the hub's tests run on, as root (otherwise it says so and they skip): Node's
## configurable-http-proxy, pinned in hub/package-lock.json, into hub/node_modules (apt-get installs nodejs and npm
## when missing), and the users' Python environment in $(HUB_VENV) with JupyterHub (coursetools/hub/environment.py:
## the users may not read .venv, which is inside the repository; it runs on .venv's interpreter, copied beside it
## when the users cannot reach it, and apt-get installs patchelf for that copy when missing).
HUB_VENV ?= /opt/cnn-hub/venv
HUB_PROXY := hub/node_modules/.bin/configurable-http-proxy
HUB_ROOT ?= /srv/cnn-hub
HUB_PORT ?= 8000
hub-install: install
	@if [ "$$(id -u)" = 0 ]; then $(MAKE) --no-print-directory $(HUB_PROXY) $(HUB_VENV)/installed; \
	else echo "not root: make hub and its tests need root (real Linux accounts); those tests skip"; fi

$(HUB_PROXY): hub/package.json hub/package-lock.json
	command -v npm >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null)
	npm ci --prefix hub --no-audit --no-fund --silent
	touch $@

ifneq ($(abspath $(VENV)),$(abspath $(HUB_VENV)))  # not in the hub's course copy, whose VENV is $(HUB_VENV)
$(HUB_VENV)/installed: $(VENV)/installed hub/requirements.txt coursetools/hub/environment.py
	$(BIN)/python -m coursetools.hub.environment $(VENV) $(HUB_VENV)
	touch $@
endif

## hub: JupyterHub for this course on http://127.0.0.1:$(HUB_PORT), as root: the Linux accounts of hub/roster.csv
## with new passwords (printed, and kept in $(HUB_ROOT)/state/passwords, root only), the instructor's copy of the
## course in $(HUB_ROOT)/course, nbgrader's exchange in $(HUB_ROOT)/exchange (coursetools/hub). Ctrl-C stops it.
hub: hub-install system
	PYTHONPATH=$(CURDIR) $(BIN)/python -m coursetools.hub --root $(HUB_ROOT) --port $(HUB_PORT) --venv $(HUB_VENV)

## sync: bring each source/<assignment>/<assignment>.ipynb and its .py twin together (the newer one wins)
sync: install
	for a in $(ASSIGNMENTS); do jupytext --sync source/$$a/$$a.ipynb || exit 1; done

## release: regenerate release/<assignment> from source/<assignment> for every assignment (commit the result)
release: sync
	for a in $(ASSIGNMENTS); do nbgrader generate_assignment $$a --force || exit 1; done

## demo: the whole instructor -> students -> TA cycle for every assignment on its sample class, then the score
## tables and the course table
demo: install system
	$(BIN)/python -m coursetools.cycle .

## collect: the LMS's download of all submissions into submitted/<student>/<assignment>/, with nbgrader's zip_collect.
## ZIP=path/to/download.zip LMS=canvas|moodle; ROSTER=the LMS's roster export (default lms/<lms>-roster.csv);
## ASSIGNMENT=id (default cnn); FORCE=1 replaces submissions already in submitted/.
collect: install
	$(BIN)/python -m coursetools.lms.collect . --zip "$(ZIP)" --lms "$(LMS)" --assignment $(ASSIGNMENT) \
	  $(if $(ROSTER),--roster "$(ROSTER)") $(if $(FORCE),--force)

## grade: the TA's command for the submissions in submitted/: intake, sandboxed autograde, feedback, grades.csv.
## ASSIGNMENT=id (default cnn); JOBS=N grades N submissions at once (default: one per core);
## SCHEDULER=tcp://host:8786 grades on a Dask cluster.
grade: install system
	$(BIN)/python -m coursetools.grade . --assignment $(ASSIGNMENT) $(if $(JOBS),--jobs $(JOBS)) \
	  $(if $(SCHEDULER),--scheduler $(SCHEDULER))

## lms-grades: the assignment's scores after late penalties as the CSV the LMS's gradebook imports, in
## lms/<lms>-<assignment>-grades.csv. LMS=canvas|moodle; ROSTER=... (default lms/<lms>-roster.csv);
## ASSIGNMENT=id (default cnn); PARTS=1 adds a column per part.
lms-grades: install
	$(BIN)/python -m coursetools.lms.grades_csv . --lms "$(LMS)" --assignment $(ASSIGNMENT) \
	  $(if $(ROSTER),--roster "$(ROSTER)") $(if $(PARTS),--parts)

## regrade: grade every submission of ASSIGNMENT (or STUDENT=id) again against the current source, apply
## overrides.csv, and write report/regrade.csv: every grade cell whose score changed, before and after, and why
regrade: install system
	$(BIN)/python -m coursetools.regrade . --assignment $(ASSIGNMENT) $(if $(STUDENT),--student $(STUDENT)) \
	  $(if $(JOBS),--jobs $(JOBS))

## similarity: compare every pair of ASSIGNMENT's submissions part by part (copydetect): report/similarity.csv, .html
similarity: install
	$(BIN)/python -m coursetools.similarity . --assignment $(ASSIGNMENT)

## report: the instructor's report in report/: the course table, and per assignment the per-cell table, histogram, flags
report: install
	$(BIN)/python -m coursetools.report .

## test: the test suite, browser tests and the gradebook on PostgreSQL included
test: install system postgres hub-install
	CNN_TEST_POSTGRES_URL=$(TEST_POSTGRES_URL) $(BIN)/python -m pytest

## benchmark: seconds per submission of each assignment's full solution; per autograded notebook for each kind of
## catalogue entry, determinism, sandbox cost, and a
## class of 60 graded by stock nbgrader, by make grade with 1 and 2 jobs, and bare nbclient (the floor)
benchmark: install system
	$(BIN)/python benchmarks/assignments_speed.py
	$(BIN)/python benchmarks/grading_speed.py
	$(BIN)/python benchmarks/sandbox_cost.py
	$(BIN)/python benchmarks/class_grading.py

## lab: JupyterLab with nbgrader's extensions for this course on http://127.0.0.1:$(LAB_PORT), the Formgrader's
## submission pages under the course's Content-Security-Policy (coursetools/display/csp.py)
lab: install
	PYTHONPATH=$(CURDIR) jupyter lab --ServerApp.ip=127.0.0.1 --ServerApp.port=$(LAB_PORT) --ServerApp.root_dir=. \
	  --ServerApp.jpserver_extensions=coursetools.display.csp=True --no-browser $(ROOT_FLAG)

## clean-class: remove student data and the gradebook made by the demo
clean-class:
	rm -rf submitted autograded feedback gradebook.db grades.csv .grading report
