# Two commands on a fresh machine: `make demo` and `make test`. Each installs what it needs.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
# uv installs the locked set (uv.lock); it comes from the package index into a venv of its own,
# bootstrapped with the machine's python3 and pip (its binary ships inside the wheel)
UV_VERSION := 0.13.10
TOOLS  := .integrations/tools
UV     := $(TOOLS)/bin/uv
export UV_PROJECT_ENVIRONMENT := $(VENV)
export UV_PYTHON_DOWNLOADS := never
SEEDS  ?= 10
# test order: file order by default; ORDER=random (or ORDER="--randomly-seed=N") shuffles it
ORDER  ?= file
# parallel test workers (pytest-xdist; a test file stays in one worker): JOBS=1 runs in one process
JOBS   ?= 2
JOBS_FLAGS := $(if $(filter 1,$(JOBS)),,-n $(JOBS) --dist loadfile)
ORDER_FLAGS := $(if $(filter file,$(ORDER)),-p no:randomly,$(if $(filter random,$(ORDER)),,$(ORDER)))

.PHONY: install lock lock-check demo test chaos mutate bench lint lint-sql stop clean chromium

install: $(STAMP)

$(UV):
	@test -x $(TOOLS)/bin/python || $(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

# exactly uv.lock's set, with the test extra: worker and the sandbox (its own distribution, never in
# the worker wheel; the `dev` group of pyproject.toml) editable. Packages not in the lock are removed.
$(STAMP): pyproject.toml uv.lock setup.py sandbox/pyproject.toml | $(UV)
	@$(MAKE) --no-print-directory lock-check
	$(UV) sync --frozen --extra test --python $(PYTHON) --quiet
	@touch $(STAMP)

# uv.lock must match pyproject.toml (CI checks it first): a changed dependency needs `make lock`
lock-check: | $(UV)
	@$(UV) lock --check --python $(PYTHON) --quiet || { echo "uv.lock is out of date with pyproject.toml:" \
	    "run \`make lock\` and commit uv.lock" >&2; exit 1; }

# re-resolves uv.lock after a change to pyproject.toml, keeping every pin it can; UPGRADE=1 takes
# the newest releases the ranges allow
lock: | $(UV)
	$(UV) lock --python $(PYTHON) $(if $(UPGRADE),--upgrade)

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
