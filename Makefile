# The two commands (see README):  `make demo`  and  `make test`.
# Both create .venv with Python 3.11 and install everything the project needs; nothing else must be prepared.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 8501

.PHONY: demo test setup setup-dev browser lint ui clean

$(VENV)/.runtime: pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] in ((3, 11), (3, 12)), "claimdesk needs Python 3.11 or 3.12, found " + sys.version.split()[0]'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.dev: $(VENV)/.runtime pyproject.toml
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

setup: $(VENV)/.runtime
setup-dev: $(VENV)/.dev

# Main job: ingest the seed articles, extract claims with the embedded model (no key), open the workbench.
# A failed step prints its reason and the workbench still opens (the '-' prefix), so nothing already done is lost.
# The seed articles by name: a folder ingest would also list seeds/NOTICE (their provenance) as "skipped".
demo: setup
	-$(BIN)/claimdesk ingest seeds/*.txt
	-$(BIN)/claimdesk extract --all --skip-done
	$(BIN)/claimdesk ui --port $(PORT)

ui: setup
	$(BIN)/claimdesk ui --port $(PORT)

# Debian's chromium for the browser tests (Playwright drives it; its own browser download does not work offline).
browser:
	@if [ ! -x /usr/bin/chromium ]; then \
	  if [ "$$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium chromium-driver >/dev/null; \
	fi

lint: setup-dev
	$(BIN)/ruff check app retrieval prompts tests bench
	$(BIN)/ruff format --check app retrieval prompts
	$(BIN)/mypy

# Tests: lint, types, and the whole suite (slow, server and browser tests included).
test: setup-dev browser lint
	$(BIN)/pytest --timeout 1800

# Removes the environment and caches only: .claimdesk (the corpus, the review database with every verdict, the
# joined model) is your data and stays. Delete it yourself to start over.
clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
