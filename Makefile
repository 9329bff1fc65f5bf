# The two commands: `make demo` and `make test`. Everything else is a step of theirs.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test install messages lint typecheck bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev,sandbox]'
	touch $(STAMP)

install: $(STAMP) messages

messages: $(STAMP)
	$(PY) -m salestio.compile_messages

demo: install
	DEBUG=1 DEMO_MODE=1 $(PY) manage.py rundemo

test: install lint typecheck
	$(PY) -m salestio.test_env $(PY) -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: $(STAMP)
	DEBUG=1 $(VENV)/bin/mypy .

bench: install
	$(PY) -m salestio.test_env $(PY) -m bench $(BENCH)

clean:
	rm -rf $(VENV) .demo db.sqlite3
