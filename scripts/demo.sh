#!/usr/bin/env bash
# `make demo`: the main job on the example province, end to end, on this machine (root):
#   validate the inventory -> build the lab (routers with management config only) ->
#   `infra deploy` pushes every router's intent over SSH -> the VC call controller and codecs are
#   deployed and `infra vc check` says which endpoint is ready -> `infra audit` shows no drift and the
#   compliance report -> `infra backup` commits every device's config, `infra backup log` shows one
#   device's history -> Prometheus, Alertmanager and the exporters watch the converged lab.
# Stop everything with the two commands printed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
export ANSIBLE_VAULT_PASSWORD_FILE=${ANSIBLE_VAULT_PASSWORD_FILE:-$PWD/lab/vault-password}
export INFRA_STATE_DIR=${INFRA_STATE_DIR:-$PWD/state}
INFRA=".venv/bin/infra --inventory inventory"
REPORT=$INFRA_STATE_DIR/reports/compliance.html
step() { printf '\n== %s\n' "$*"; }

step "the province"
$INFRA inventory validate
if [[ $(id -u) -ne 0 ]]; then
  echo "demo: the lab builds network namespaces and needs root (sudo make demo)" >&2
  exit 2
fi

step "the lab: every router, server, switch, tunnel and SNMP agent in network namespaces"
$INFRA lab up --wait 120 >/dev/null
$INFRA lab status

step "infra deploy: back up, push only the remediation, verify OSPF/BGP, confirm (network devices)"
# Servers converge through Ansible with `infra deploy --only servers` (printed at the end).
deploy_rc=0
$INFRA deploy --only network --comment "make demo" || deploy_rc=$?
[[ $deploy_rc -eq 0 ]] || echo "demo: deploy exited $deploy_rc (see 'infra history')" >&2

step "video conference: the call controller (Ansible), then every codec (RoomOS xConfiguration over SSH)"
$INFRA deploy --only servers --limit srv-vc-1 --comment "make demo: call controller" >/dev/null ||
  echo "demo: the call controller's deploy failed (see 'infra history')" >&2
$INFRA deploy --only codecs --comment "make demo: codecs" || echo "demo: codec deploy failed" >&2

step "infra vc check: is every endpoint ready for the 08:30 meeting? (headroom needs Prometheus: skipped)"
$INFRA vc check --meeting giao-ban-ubnd --skip headroom --max-calls 5 || true

step "infra audit: drift (intended vs running) and the security baseline"
$INFRA audit --limit network || true
mkdir -p "$(dirname "$REPORT")"
$INFRA audit --compliance --limit network --offline --format html -o "$REPORT" >/dev/null || true
$INFRA audit --compliance --limit network --offline | tail -n 15 || true

step "infra backup: every device's running and startup config, masked, one git commit per run, pushed off-site"
# The off-site copy is a bare repository on the log server (role backup_target, in site.yml).
$INFRA deploy --only servers --limit srv-log-1 --comment "make demo: log server (off-site backups)" >/dev/null ||
  echo "demo: the log server's deploy failed (see 'infra history'); the off-site push will fail" >&2
backup_rc=0
$INFRA backup --comment "make demo: first backup" || backup_rc=$?
[[ $backup_rc -eq 0 ]] || echo "demo: backup exited $backup_rc (see 'infra history')" >&2
$INFRA backup log wan-hub-1

step "monitoring: Prometheus, Alertmanager, the exporters and the on-call board on loopback"
$INFRA monitoring up --out /run/infra-monitoring --fast-alerts

cat <<TXT

The province is up, deployed and watched. Most servers are not deployed yet, so their service
probes and clock alerts fire. See what Ansible would change on them (exit 3: changes pending),
then converge them (1-2 minutes; the monitoring server's configuration is rendered from the
inventory by the same run) and watch the alerts resolve:
  export ANSIBLE_VAULT_PASSWORD_FILE=$ANSIBLE_VAULT_PASSWORD_FILE INFRA_STATE_DIR=$INFRA_STATE_DIR
  .venv/bin/infra deploy --only servers --check
  .venv/bin/infra deploy --only servers
Look at:
  the board       http://127.0.0.1:19180/province   (alerts: http://127.0.0.1:19180/alerts,
                  silences: http://127.0.0.1:19180/silences)
  Prometheus      http://127.0.0.1:19090/classic/alerts   (targets: http://127.0.0.1:19090/classic/targets)
  Alertmanager    http://127.0.0.1:19093/api/v2/alerts   (its API; Debian ships no web UI: use the board)
  compliance      $REPORT
  history         .venv/bin/infra history
  backups         .venv/bin/infra backup log wan-hub-1; .venv/bin/infra backup diff wan-hub-1
                  .venv/bin/infra backup show wan-hub-1 --at "$(date +%F)"
  a router        .venv/bin/infra lab exec wan-hub-1 -- vtysh -c 'show ip ospf neighbor'
                  ssh -i /var/lib/infra-lab/ssh/id_ed25519 admin@10.127.0.7   (lands in vtysh)
  cut a WAN link  .venv/bin/infra lab exec wan-hub-1 -- ip link set wg4 down   (InfraWanLinkDown fires)
Stop it (monitoring first, then the lab: removes every namespace, link, mount, route, process):
  .venv/bin/infra monitoring down --out /run/infra-monitoring
  .venv/bin/infra lab down

The on-call board, live on the lab province (silencing needs a login: the lab's users are in
docs/oncall.md):
  http://127.0.0.1:19180/province
TXT
