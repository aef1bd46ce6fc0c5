# The two commands: `make run` (the product, embedded defaults) and `make test` (everything).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test services browser catalogs messages bench clean

run: $(STAMP) catalogs
	$(BIN)/havn db upgrade
	$(BIN)/havn demo load
	$(BIN)/havn serve

test: $(STAMP) catalogs services browser
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/python -m pytest

services:
	bash scripts/services.sh

# Debian's Chromium for the browser tests, and axe-core (npm) that they inject.
browser:
	bash scripts/browser.sh

# Compile the gettext catalogs the site reads (.mo files are not committed).
catalogs: $(STAMP)
	$(BIN)/pybabel -q compile -d web/translations -D messages

# Developers: re-extract the site's strings and merge them into every catalog.
messages: $(STAMP)
	$(BIN)/python scripts/catalogs.py

bench: $(STAMP) catalogs services
	command -v wrk >/dev/null || apt-get install -y -qq wrk
	$(BIN)/python benchmarks/search.py
	$(BIN)/python benchmarks/http.py

$(STAMP): pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Havn needs Python 3.11 or newer"'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[test]'
	touch $(STAMP)

clean:
	rm -rf $(VENV) data build *.egg-info
