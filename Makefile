# make demo / make test create .venv from requirements.lock when it is missing or older than the
# lock file, then run. The stamp file makes a second run skip the install entirely.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test check deps lint typecheck pytest lock fmt clean

demo: $(STAMP)
	$(BIN)/dealpulse demo

test: check pytest

check: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(MAKE) --no-print-directory deps

# Declared dependencies are exactly the imported ones ([tool.deptry] in pyproject.toml). First the
# production packages; then tests/ and bench/, which may import the dev extra and need not use
# every dependency (DEP002, DEP004), but may not import an undeclared or only transitive package.
deps: $(STAMP)
	$(BIN)/deptry .
	$(BIN)/deptry tests bench --exclude '__pycache__' --ignore DEP002,DEP004

pytest: $(STAMP)
	$(BIN)/pytest -q

fmt: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --require-hashes --no-deps -r requirements.lock
	$(BIN)/pip install --quiet --no-deps --no-build-isolation -e .
	touch $(STAMP)

# Regenerate the lock after changing dependencies in pyproject.toml (needs uv on PATH).
lock:
	uv pip compile pyproject.toml --extra dev --python-version 3.11 --generate-hashes -o requirements.lock

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache
