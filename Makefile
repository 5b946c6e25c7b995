# Set-up is part of every target: a fresh machine needs only `make app` or `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
RUNS   ?= runs
PORT   ?= 8501

.PHONY: app test test-fast install install-app demo-model demo-ensemble bench screenshots docker-check clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip "setuptools>=77"

$(VENV)/.app-installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e ".[app]"
	touch $@

$(VENV)/.dev-installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e ".[dev]"
	touch $@ $(VENV)/.app-installed

install-app: $(VENV)/.app-installed
install: $(VENV)/.dev-installed

## make app: start the dashboard on the bundled demo run (http://localhost:8501)
app: $(VENV)/.app-installed
	PROMOTER_RUNS_DIR=$(RUNS) $(BIN)/streamlit run app/main.py --server.port $(PORT)

## make test: the whole suite (slow end-to-end and browser tests included), in
## $(TEST_WORKERS) worker processes, each test file on one worker (docs/testing.md);
## TEST_WORKERS=0 runs it in this process. The slowest 25 tests end the log.
TEST_WORKERS ?= 2
PYTEST := $(BIN)/python -m pytest -q -n $(TEST_WORKERS) --dist loadfile --durations=25

test: $(VENV)/.dev-installed
	$(BIN)/ruff check promoter_model app tests bench scripts
	$(PYTEST)

## make test-fast: the same without the tests marked slow
test-fast: $(VENV)/.dev-installed
	$(BIN)/ruff check promoter_model app tests bench scripts
	$(PYTEST) -m "not slow"

## make demo-model: rebuild assets/demo_model and the family-split assets/family_ensemble
## from the bundled DREAM measurements (hours on a CPU; see docs/training.md)
demo-model: $(VENV)/.dev-installed
	$(BIN)/python scripts/make_demo_model.py --out assets/demo_model
	$(BIN)/python scripts/make_demo_ensemble.py --out assets/family_ensemble

## make demo-ensemble: train the family-split ensemble's missing members (resumable, on the
## split recorded in assets/family_ensemble/split.tsv.gz), then finalise it
demo-ensemble: $(VENV)/.dev-installed
	$(BIN)/python scripts/make_demo_ensemble.py --out assets/family_ensemble

## make bench: run the benchmarks and rewrite docs/benchmarks.md
bench: $(VENV)/.dev-installed
	$(BIN)/python bench/bench_records.py
	$(BIN)/python bench/bench_interpret.py
	$(BIN)/python bench/bench_app.py

## make screenshots: refresh docs/screenshots from the running app (needs chromium)
screenshots: $(VENV)/.dev-installed
	$(BIN)/python bench/bench_app.py --screenshots docs/screenshots --screenshots-only

## make docker-check: build the Docker image with podman, run it and check it in chromium
docker-check: $(VENV)/.dev-installed
	$(BIN)/python scripts/docker_check.py

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info
