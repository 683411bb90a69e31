# The two commands of the README: `make demo` and `make test`. Both set everything up first.
SHELL := /bin/bash
BIN := .venv/bin
export ANSIBLE_VAULT_PASSWORD_FILE ?= $(CURDIR)/lab/vault-password

.PHONY: setup demo test lint unit labtest bench clean

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

clean:
	rm -rf build .pytest_cache .mypy_cache .ruff_cache
