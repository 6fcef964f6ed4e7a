# One way to run things. `make run` and `make test` are the README's two quick-start commands.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: run demo test test-fast lint bench clean

$(BIN)/livereview: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(BIN)/livereview

## set up, create the embedded SQLite store with the seed corpus, and run the monitor once (Prefect local mode)
run: $(BIN)/livereview
	$(BIN)/livereview init
	$(BIN)/livereview run

# test workers (pytest-xdist); each has its own PREFECT_HOME (tests/conftest.py), tmp_path and PostgreSQL schemas
TEST_WORKERS ?= 2

## try it offline: a loopback stand-in for the sources, a demo store of its own, the web app with a demo login
demo: $(BIN)/livereview
	$(BIN)/livereview demo

## set up and run the whole test suite (PostgreSQL tests run when LIVEREVIEW_TEST_POSTGRES_URL is set)
test: $(BIN)/livereview
	$(BIN)/pytest -n $(TEST_WORKERS)

## the tests a developer runs often: everything but the `slow` ones (those that start servers)
test-fast: $(BIN)/livereview
	$(BIN)/pytest -n $(TEST_WORKERS) -m "not slow"

lint: $(BIN)/livereview
	$(BIN)/ruff check .

bench: $(BIN)/livereview
	$(BIN)/python benchmarks/dedup_bench.py
	$(BIN)/python benchmarks/pubmed_requests.py
	$(BIN)/python benchmarks/api_requests.py
	$(BIN)/python benchmarks/digest_render.py
	$(BIN)/python benchmarks/chase_requests.py
	$(BIN)/python benchmarks/concept_filter_recall.py
	$(BIN)/python benchmarks/dashboard_pages.py
	$(BIN)/python benchmarks/web_pages.py
	$(BIN)/python benchmarks/ranking_speed.py
	$(BIN)/python benchmarks/import_bench.py

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info
