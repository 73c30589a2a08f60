# kinerja-bot: `make demo` and `make test` are all a newcomer needs; both create .venv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: demo run test lint format typecheck pytest bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,postgres]'
	touch $(STAMP)

demo: $(STAMP)  ## seed the demo organisation and open the web chat at http://127.0.0.1:8080/chat
	$(BIN)/kinerja demo

run: $(STAMP)  ## run the service with settings from the environment / .env
	$(BIN)/kinerja run

test: lint typecheck pytest  ## everything CI runs

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP)
	$(BIN)/pytest -q

bench: $(STAMP)  ## print performance figures (see bench/README.md)
	$(BIN)/python -m bench.roster_import
	$(BIN)/python -m bench.startup
	$(BIN)/python -m bench.chat_roundtrip
	$(BIN)/python -m bench.citizen
	$(BIN)/python -m bench.ingest
	$(BIN)/python -m bench.broadcast --recipients 3000
	$(BIN)/python -m bench.report
	$(BIN)/python -m bench.scale --soak 60

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache *.egg-info kinerja-demo.db*
