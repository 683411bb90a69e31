#!/usr/bin/env bash
# `make demo`: validate the example province, build it in network namespaces (converged: every
# router gets its rendered intent), and show what runs. Needs root. Stop it with `infra lab down`.
set -euo pipefail
cd "$(dirname "$0")/.."
export ANSIBLE_VAULT_PASSWORD_FILE=${ANSIBLE_VAULT_PASSWORD_FILE:-$PWD/lab/vault-password}
INFRA=.venv/bin/infra
$INFRA --inventory inventory inventory validate
if [[ $(id -u) -ne 0 ]]; then
  echo "demo: the lab builds network namespaces and needs root (sudo make demo)" >&2
  exit 2
fi
if ! $INFRA --inventory inventory lab up --converged --wait 120 >/dev/null; then
  echo "demo: converged bring-up failed; the lab is up with management configuration only" >&2
fi
$INFRA --inventory inventory lab status
cat <<'TXT'

The province is up. Try:
  .venv/bin/infra lab exec wan-hub-1 -- vtysh -c 'show ip ospf neighbor'
  ssh -i /var/lib/infra-lab/ssh/id_ed25519 admin@10.127.0.7        # lands in vtysh
  .venv/bin/infra lab exec unit-110-1 -- ping -c1 10.95.0.253
Stop it (removes every namespace, link, mount, route and process of the lab):
  .venv/bin/infra lab down
TXT
