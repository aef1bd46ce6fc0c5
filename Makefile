# The two commands: `make run` (the product, embedded defaults) and `make test` (everything).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Rasa Open Source 3.6 needs Python 3.10; pyenv provides it on these machines.
PYENV_ROOT ?= $(shell pyenv root 2>/dev/null || echo $(HOME)/.pyenv)
BOT_PYTHON ?= $(firstword $(wildcard $(PYENV_ROOT)/versions/3.10.*/bin/python3.10) \
	$(shell command -v python3.10 2>/dev/null))
BOT_STAMP := bot/.venv/.installed
BOT_MODEL := bot/models/havn.tar.gz

.PHONY: run test services browser catalogs messages bot bench clean

run: $(STAMP) catalogs bot
	$(BIN)/havn db upgrade
	$(BIN)/havn demo load
	bash scripts/run.sh

test: $(STAMP) catalogs services browser bot
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	bash bot/scripts/check.sh
	HAVN_TEST_BOT=required $(BIN)/python -m pytest --numprocesses=auto --maxprocesses=4 --dist=loadscope

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

# The bot: its own Python 3.10 environment and a trained model (retrained when inputs change).
bot: $(BOT_MODEL)

$(BOT_STAMP): bot/requirements.txt
	@test -n "$(BOT_PYTHON)" || { echo "Python 3.10 is needed for Rasa (pyenv install 3.10.13)"; exit 1; }
	test -x bot/.venv/bin/python || $(BOT_PYTHON) -m venv bot/.venv
	bot/.venv/bin/python -m pip install --quiet --upgrade pip
	bot/.venv/bin/python -m pip install --quiet -r bot/requirements.txt
	touch $(BOT_STAMP)

$(BOT_MODEL): $(BOT_STAMP) bot/config.yml $(shell find bot/domain bot/data -type f 2>/dev/null)
	cd bot && RASA_TELEMETRY_ENABLED=false .venv/bin/rasa train --domain domain --data data \
		--config config.yml --out models --fixed-model-name havn
	touch $(BOT_MODEL)

bench: $(STAMP) catalogs services bot
	command -v wrk >/dev/null || apt-get install -y -qq wrk
	$(BIN)/python -m benchmarks.search
	$(BIN)/python -m benchmarks.http_load
	$(BIN)/python -m benchmarks.live
	$(BIN)/python -m benchmarks.holds
	$(BIN)/python -m benchmarks.chat

$(STAMP): pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Havn needs Python 3.11 or newer"'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[test]'
	touch $(STAMP)

clean:
	rm -rf $(VENV) bot/.venv bot/models data build *.egg-info artifacts
