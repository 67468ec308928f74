VENV  := .venv
PY    := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test lint bench clean

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

## Start the whole platform on the embedded default (SQLite under ./var/) with demo data.
run: $(STAMP)
	$(VENV)/bin/portevoix demo
	$(VENV)/bin/portevoix serve

## Install and run the whole suite (SQLite and PostgreSQL).
test: $(STAMP)
	npm ci --silent --prefix tests/interop/node
	$(PY) -m pytest -q

lint: $(STAMP)
	$(VENV)/bin/ruff check .

clean:
	rm -rf var .pytest_cache .hypothesis
