#!/usr/bin/env bash
# Sets up everything infra needs on a fresh Debian 12 machine, as root. Safe to run twice:
# each step checks whether its work is already done.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
SHARED=${INFRA_SHARED:-$ROOT/../shared}

APT_PACKAGES=(
  # the lab: routers, SSH, SNMP, switches, tunnels
  frr frr-snmp openssh-server openssh-client snmpd snmp libsnmp-dev gcc make
  wireguard-tools wireguard-go openvswitch-switch iproute2 iputils-ping procps psmisc ethtool curl time
  # monitoring: the real tools the generated configuration is checked with and runs on
  prometheus prometheus-alertmanager prometheus-blackbox-exporter prometheus-snmp-exporter
  prometheus-node-exporter
  # video conference: call controller, media relay, the codecs' SIP user agent, probes
  # (installed behind the policy-rc.d below: the packaged units never start; the lab runs them in namespaces)
  kamailio kamailio-tls-modules kamailio-extra-modules baresip-core rtpengine-daemon sip-tester sipsak tcpdump
  # servers (Ansible roles): present on the host so the lab's overlay-root servers have them
  chrony rsyslog auditd nginx nftables ssl-cert python3-apt
  # server data backups (role server_backup): restic on every server and on this machine
  restic
  # misc: graphs, the Vagrant file check, state, venv, browser for the HTML report check
  graphviz vagrant git sqlite3 python3-venv python3-dev chromium chromium-driver
)

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  if [[ $(id -u) -ne 0 ]]; then
    echo "setup: these Debian packages are missing and installing them needs root: ${missing[*]}" >&2
    exit 2
  fi
  # Keep package scripts from starting daemons on the host: the lab starts its own, in namespaces.
  if [[ ! -f /usr/sbin/policy-rc.d ]] || ! grep -q "exit 101" /usr/sbin/policy-rc.d; then
    printf '#!/bin/sh\n# infra: no daemon starts on the host from package installs\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod 0755 /usr/sbin/policy-rc.d
  fi
  echo "setup: installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The C-speed snmprec agent (a net-snmp plug-in) that plays the DC facility devices.
mkdir -p build
agent_src=$SHARED/tools/snmprec-agent/snmprec_agent.c
if [[ -f $agent_src && ( ! -f build/snmprec_agent.so || $agent_src -nt build/snmprec_agent.so ) ]]; then
  # shellcheck disable=SC2046
  gcc -O2 -Wall -fPIC -shared -o build/snmprec_agent.so "$agent_src" \
    $(net-snmp-config --cflags) -lnetsnmpagent -lnetsnmp
fi

# The Python side: one virtualenv with the project installed editable.
PY=${PYTHON:-python3}
if [[ ! -x .venv/bin/python ]]; then
  "$PY" -m venv .venv
fi
stamp=.venv/.infra-installed
if [[ ! -f $stamp || pyproject.toml -nt $stamp ]]; then
  .venv/bin/pip install -q --upgrade pip
  .venv/bin/pip install -q -e '.[dev]'
  touch "$stamp"
fi
echo "setup: ready ($(.venv/bin/python --version), infra $(.venv/bin/infra --version 2>/dev/null | awk '{print $NF}'))"
