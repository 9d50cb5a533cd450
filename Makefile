# The README's two commands: `make run` (the whole stack locally) and `make test`.
# Both set up everything they need on a fresh machine: a virtualenv in .venv with the
# project and its tools.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# Two installs: `make run` needs only the runtime and the local extra (the embedded
# DynamoDB); `make test` the dev extra too (tools, CDK, Playwright), which includes local.
LOCAL_STAMP := $(VENV)/.local-stamp
STAMP := $(VENV)/.installed-stamp

export JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION := 1
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: install run test lint typecheck unit integration dates infra e2e bench synth clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(LOCAL_STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e '.[local]'
	touch $(LOCAL_STAMP)

# The dev extra includes the local one, so it makes both stamps.
$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(LOCAL_STAMP) $(STAMP)

install: $(STAMP)

run: $(LOCAL_STAMP)
	$(PY) -m infra.local

lint: install
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

typecheck: install
	$(PY) -m mypy

# Tests run on every core (pytest-xdist): none depends on another or on their order.
PYTEST_WORKERS ?= auto

test: lint typecheck
	$(PY) -m pytest -n $(PYTEST_WORKERS)
	$(MAKE) --no-print-directory dates

unit: install
	$(PY) -m pytest tests/unit

integration: install
	$(PY) -m pytest tests/integration

# The integration tests again with the functions' clock at a month's end, a year's end and
# a leap day (tests/fakes/clock.py), so that no date can turn the suite red.
TEST_MOMENTS := 2027-01-31T23:00:00Z 2026-12-31T23:00:00Z 2028-02-29T12:00:00Z

dates: install
	@for moment in $(TEST_MOMENTS); do \
		echo "integration tests at $$moment"; \
		JOBTRAIL_TEST_NOW=$$moment $(PY) -m pytest -q -n $(PYTEST_WORKERS) -p no:cacheprovider \
			tests/integration || exit 1; \
	done

infra: install
	$(PY) -m pytest tests/infra

e2e: install
	$(PY) -m pytest tests/e2e

bench: install
	$(PY) -m bench.redirect
	$(PY) -m bench.analytics
	$(PY) -m bench.poller
	$(PY) -m bench.local
	$(PY) -m bench.imports
	$(PY) -m bench.cost

synth: install
	npx --yes aws-cdk@2 synth

clean:
	rm -rf $(VENV) cdk.out .mypy_cache .ruff_cache .pytest_cache
