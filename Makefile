# The two commands of the README: `make demo` and `make test`. Both set everything up first.
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
export INFRA_INVENTORY ?= $(CURDIR)/inventory
export ANSIBLE_VAULT_PASSWORD_FILE ?= $(CURDIR)/inventory/lab-vault-password

.PHONY: setup demo test lint unit labtest bench clean

setup:
	@bash scripts/setup.sh

demo: setup
	@bash scripts/demo.sh

lint: setup
	$(BIN)/ruff check infra exporters tests bench
	$(BIN)/ruff format --check infra exporters tests bench
	$(BIN)/mypy

unit: setup
	$(BIN)/pytest -m "not lab" -q

labtest: setup
	$(BIN)/pytest -m lab -q

test: setup lint
	$(BIN)/pytest -q

bench: setup
	@for b in bench/*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

clean:
	rm -rf build .pytest_cache .mypy_cache .ruff_cache
