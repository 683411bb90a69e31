#!/usr/bin/env bash
# `make demo`: validate the example province and print its summary (later: bring the lab up).
set -euo pipefail
cd "$(dirname "$0")/.."
export ANSIBLE_VAULT_PASSWORD_FILE=${ANSIBLE_VAULT_PASSWORD_FILE:-$PWD/lab/vault-password}
.venv/bin/infra --inventory inventory inventory validate
