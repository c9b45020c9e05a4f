# Minis: `make demo` to try it, `make test` to check it. `make help` lists the rest.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
# Where `make demo` serves and keeps its data: `make demo PORT=8080 DB=/tmp/try.db`
# (HOST=0.0.0.0 to reach it from another device). Plain assignments, so only the command
# line changes them, not a PORT or DB that happens to be in the environment. No DB: the
# demo's own default, ./minis.db (or MINIS_DATABASE_URL).
HOST = 127.0.0.1
PORT = 8000
DB =

.PHONY: help demo test lint format bench fuzz faults lighthouse i18n clean

help:  ## this list
	@grep -E '^[a-z]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# ical.js, the second calendar parser of the email tests (tests/support/calendars.py).
ICALJS := tests/support/icaljs/node_modules/.package-lock.json
$(ICALJS): tests/support/icaljs/package-lock.json
	cd tests/support/icaljs && npm ci --no-audit --no-fund --silent

demo: $(STAMP)  ## demo data on SQLite at http://127.0.0.1:8000 (PORT=, DB=, HOST= to change)
	$(BIN)/minis demo --host '$(HOST)' --port '$(PORT)' $(if $(DB),--db '$(DB)')

test: $(STAMP) $(ICALJS)  ## every test: unit, HTTP, concurrency, e2e in Chromium; lint and type check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/pytest -n auto --durations=30

bench: $(STAMP)  ## benchmarks, printed as ratios (see bench/README.md)
	$(BIN)/python -m bench

fuzz: $(STAMP)  ## 10,000 seeded hostile requests per database; any 5xx fails (bench/README.md)
	$(BIN)/python -m bench.fuzz $(FUZZ_ARGS)

faults: $(STAMP)  ## cuts, a freeze and SIGKILLs under booking traffic, invariants checked (PostgreSQL, 1.5-7 min)
	$(BIN)/python -m bench.faults

# Lighthouse 12 from npm (bench/lighthouse/package-lock.json), run in Debian's Chromium.
LIGHTHOUSE := bench/lighthouse/node_modules/.package-lock.json
$(LIGHTHOUSE): bench/lighthouse/package-lock.json
	cd bench/lighthouse && npm ci --no-audit --no-fund --silent

lighthouse: $(STAMP) $(LIGHTHOUSE)  ## Lighthouse scores of every client page, phone and desktop (about 10 min)
	$(BIN)/python -m bench.lighthouse $(LIGHTHOUSE_ARGS)

lint: $(STAMP)  ## ruff check and format check, mypy
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(STAMP)  ## apply ruff's formatting and safe fixes
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# The client's languages (widget_server/i18n/): gettext catalogues, compiled .mo committed.
LOCALES := widget_server/i18n/locale
POT := widget_server/i18n/messages.pot
LANGS := es fr de pt_BR it nl
i18n: $(STAMP)  ## re-extract the words to translate, update every language's catalogue, compile
	$(BIN)/pybabel -q extract -F babel.cfg -k lazy_gettext -c Translators: --add-location=file --sort-output \
		--no-wrap --project=Minis -o $(POT) widget_server
	for lang in $(LANGS); do \
		if [ -f $(LOCALES)/$$lang/LC_MESSAGES/messages.po ]; then \
			$(BIN)/pybabel -q update -i $(POT) -d $(LOCALES) -l $$lang --no-wrap \
				--ignore-obsolete --no-fuzzy-matching; \
		else $(BIN)/pybabel -q init -i $(POT) -d $(LOCALES) -l $$lang --no-wrap; fi; \
	done
	$(BIN)/pybabel compile -d $(LOCALES) --statistics
	$(BIN)/pybabel -q extract -F admin-babel.cfg -k lazy_gettext -c Translators: --add-location=file \
		--sort-output --no-wrap --project=Minis -o widget_server/i18n/admin.pot widget_server

clean:  ## remove the venv and caches (keeps minis.db)
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache
