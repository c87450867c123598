# Needs only Python 3.11+ and make. Everything else is installed into .venv by these targets.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: run stop demo test bench install chromium lint clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[local,dev]"
	touch $(STAMP)

install: $(STAMP)

run: install  ## web + Celery worker + beat on embedded PostgreSQL/Redis (or DATABASE_URL/REDIS_URL)
	$(BIN)/python -m softhelpers.run

stop: install  ## stop what make run started here (also after it was killed), embedded servers included
	$(BIN)/python -m softhelpers.run --stop

demo: install  ## make run, with a demo company to log in to (demo@example.com / demo-books-2-years)
	$(BIN)/python -m softhelpers.run --demo

# Browser tests drive the system Chromium; install it with apt when it is missing and we can.
chromium:
	@if [ ! -x /usr/bin/chromium ]; then \
	  if command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
	    echo "Installing system Chromium for the browser tests"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else \
	    echo "Chromium is missing at /usr/bin/chromium and cannot be installed here (need root and apt)"; \
	  fi; \
	fi

test: install chromium  ## lint and type-check, then every test, against real PostgreSQL and Redis
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: install
	$(BIN)/python -m bench

lint: install
	$(BIN)/ruff check .
	$(BIN)/mypy

clean:
	rm -rf $(VENV) staticfiles
