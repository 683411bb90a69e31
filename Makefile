# The two commands of the README: `make demo` and `make test`. Both set everything up first.
SHELL := /bin/bash
BIN := .venv/bin
export ANSIBLE_VAULT_PASSWORD_FILE ?= $(CURDIR)/lab/vault-password

.PHONY: setup demo test lint unit labtest bench screenshots clean

setup:
	@bash scripts/setup.sh

demo: setup
	@bash scripts/demo.sh

lint: setup
	$(BIN)/ruff check infra exporters tests bench
	$(BIN)/ruff format --check infra exporters tests bench
	$(BIN)/mypy

# unit tests only (no root, no lab)
unit: setup
	$(BIN)/pytest -m "not lab"

test: setup lint
	$(BIN)/pytest

bench: setup
	@for b in bench/*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

# The on-call board's pages in headless Chromium, 1280 px wide, into docs/oncall/ (docs/oncall.md shows
# them): against a real Prometheus and Alertmanager holding a few alerts, or with FROM=lab against the
# stack `infra monitoring up` runs (Prometheus 127.0.0.1:19090, Alertmanager 127.0.0.1:19093).
screenshots: setup
	$(if $(filter lab,$(FROM)),ONCALL_PROMETHEUS=http://127.0.0.1:19090 ONCALL_ALERTMANAGER=http://127.0.0.1:19093) \
	INFRA_SCREENSHOTS_DIR=$(CURDIR)/docs/oncall $(BIN)/pytest -q -p no:cacheprovider tests/oncall/test_screenshots.py

clean:
	rm -rf build .pytest_cache .mypy_cache .ruff_cache
