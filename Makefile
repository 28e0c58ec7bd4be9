# Each target creates .venv on first use. Python 3.11+ required.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
export FLASK_APP := wsgi.py

.PHONY: run test bench lint translations db messages

$(BIN)/flask: pyproject.toml
	test -d $(VENV) || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(BIN)/flask

MO := market/translations/zh_Hans/LC_MESSAGES/messages.mo
$(MO): market/translations/zh_Hans/LC_MESSAGES/messages.po $(BIN)/flask
	$(BIN)/pybabel -q compile -d market/translations

translations: $(MO)

db: $(BIN)/flask $(MO)
	mkdir -p instance
	$(BIN)/flask db upgrade
	$(BIN)/flask ledger keygen --if-missing

run: db
	$(BIN)/flask demo seed
	$(BIN)/flask search reindex
	@# The web server and one job worker (the queue: instance/jobs.sqlite3); Ctrl-C stops both.
	$(BIN)/flask worker & worker=$$!; trap 'kill $$worker 2>/dev/null; wait $$worker' EXIT INT TERM; \
	$(BIN)/flask run --host 127.0.0.1 --port $${PORT:-5000}

# The suite runs on every core (pytest-xdist), each worker with its own database. PYTEST_ARGS
# comes last and wins: `make test PYTEST_ARGS="-n 0 -k race"` runs serially; TEST_WORKERS=4 sets
# the number of workers. --dist loadgroup: tests marked with one xdist_group (the two-server
# test's checks, which share their servers) run on one worker, in order.
TEST_WORKERS ?= auto
test: $(BIN)/flask $(MO)
	$(BIN)/pytest -n $(TEST_WORKERS) --dist loadgroup $(PYTEST_ARGS)

bench: $(BIN)/flask $(MO)
	$(BIN)/python -m bench $(BENCH)

lint: $(BIN)/flask
	$(BIN)/ruff check .

# After changing user-visible text: refresh the catalog, then translate the new entries.
messages: $(BIN)/flask
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -o /tmp/market-messages.pot .
	$(BIN)/pybabel update -i /tmp/market-messages.pot -d market/translations -l zh_Hans --ignore-obsolete
