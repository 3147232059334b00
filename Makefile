# Two commands on a fresh machine: `make demo` and `make test`. Each installs what it needs.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
SEEDS  ?= 10
# test order: file order by default; ORDER=random (or ORDER="--randomly-seed=N") shuffles it
ORDER  ?= file
# parallel test workers (pytest-xdist; a test file stays in one worker): JOBS=1 runs in one process
JOBS   ?= 2
JOBS_FLAGS := $(if $(filter 1,$(JOBS)),,-n $(JOBS) --dist loadfile)
ORDER_FLAGS := $(if $(filter file,$(ORDER)),-p no:randomly,$(if $(filter random,$(ORDER)),,$(ORDER)))

.PHONY: install demo test chaos mutate bench lint lint-sql stop clean chromium

install: $(STAMP)

# worker and the sandbox (its own distribution, never in the worker wheel), both editable
$(STAMP): pyproject.toml setup.py sandbox/pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]' -e ./sandbox
	@touch $(STAMP)

demo: $(STAMP)
	$(BIN)/integrations demo

# the headless browser of the page tests (tests/serve/test_status_page_in_a_browser.py): Debian's
# chromium, installed when missing and apt-get can (root); without it those tests say so and skip
chromium:
	@command -v chromium >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 \
	    && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends chromium >/dev/null; } \
	    || echo "chromium not installed (needs root and apt-get): the browser tests will skip"

test: $(STAMP) chromium
	$(BIN)/python -m pytest -q -p no:cacheprovider $(ORDER_FLAGS) $(JOBS_FLAGS)

chaos: $(STAMP)
	CHAOS_SEEDS=$(SEEDS) $(BIN)/python -m pytest -q -p no:cacheprovider -m chaos tests

# the mutation gate (mutations/mutations.toml): every listed mutation must be killed by its tests
mutate: $(STAMP)
	$(BIN)/python mutations/run.py

bench: $(STAMP)
	$(BIN)/python bench/run

# sqlfluff (dbt templater, .sqlfluff) on the dbt models. dbt compiles against a database, and an
# incremental model's SQL depends on whether its table exists: lint once on a fresh database (the
# full-refresh branches) and once after `dbt run` (the incremental ones). scripts/dbt_dev_env.py
# starts this checkout's embedded test server when needed and sets the profile's variables.
# the gates CI runs before the tests: style (ruff), the layers and import contracts (import-linter,
# pyproject.toml), the models (sqlfluff)
lint: $(STAMP) lint-sql
	$(BIN)/ruff check .
	$(BIN)/lint-imports

lint-sql: $(STAMP)
	$(BIN)/python scripts/dbt_dev_env.py --fresh $(BIN)/sqlfluff lint dbt_project/models
	$(BIN)/python scripts/dbt_dev_env.py --built $(BIN)/sqlfluff lint dbt_project/models

# Stops every embedded PostgreSQL this checkout started (demo: .integrations/pg, tests:
# .integrations/test-pg, benches: .integrations/bench-pg). Plain shell: works without the venv.
stop:
	@for pid_file in .integrations/*/postmaster.pid; do \
	    [ -f "$$pid_file" ] || continue; \
	    pid=$$(head -n 1 "$$pid_file"); \
	    if kill -INT "$$pid" 2>/dev/null; then \
	        echo "stopping embedded PostgreSQL in $${pid_file%/postmaster.pid} (pid $$pid)"; \
	        while kill -0 "$$pid" 2>/dev/null; do sleep 0.2; done; \
	    fi; \
	done

clean: stop
	rm -rf $(VENV) .integrations
