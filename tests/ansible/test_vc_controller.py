"""The vc_controller role without the lab: the playbooks parse, and every template rendered by
Ansible from the province inventory (srv-vc-1, the `vc` topic) says what the call controller
must do. Kamailio itself checks the rendered configuration (`kamailio -c`) where it is
installed."""

from __future__ import annotations

import configparser
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import INVENTORY, VAULT_PASSWORD_FILE

ROOT = Path(__file__).resolve().parents[2]
ROLE = ROOT / "playbooks" / "roles" / "vc_controller"
BIN = Path(sys.executable).parent
HOST = "srv-vc-1"
ADDRESS = "10.94.20.16"  # srv-vc-1's service_address in the example province
MGMT = "10.127.0.69"  # and its management address
DOMAIN = "vc.lamvien.gov.vn"
TEMPLATES = {
    "kamailio.cfg.j2": "kamailio.cfg",
    "tls.cfg.j2": "tls.cfg",
    "rtpengine.conf.j2": "rtpengine.conf",
    "baresip-config.j2": "testroom/config",
    "baresip-accounts.j2": "testroom/accounts",
    "baresip-contacts.j2": "testroom/contacts",
}

# A headless caller (baresip) for the tests that place a call to the test room.
CALLER_CONFIG = """poll_method epoll
sip_listen {address}:5090
net_interface {address}
audio_source ausine,440
ausrc_srate 48000
ausrc_channels 2
audio_level no
video_source fakevideo,nil
video_display fakevideo,nil
video_size 320x240
video_fps 15.00
rtp_ports 22000-22099
rtcp_mux no
rtp_stats yes
module_path /usr/lib/baresip/modules
module g711.so
module opus.so
module ausine.so
module vp8.so
module fakevideo.so
module_tmp account.so
module_app menu.so
statmode_default off
"""


def ansible_playbook(*argv: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ANSIBLE_VAULT_PASSWORD_FILE": str(VAULT_PASSWORD_FILE), "ANSIBLE_NOCOLOR": "1"}
    return subprocess.run(
        [str(BIN / "ansible-playbook"), "-i", str(INVENTORY), *argv],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        check=False,
    )


def render_role(role: str, tmp: Path) -> Path:
    """A role made of `role`'s defaults and templates and one task file (written by the caller):
    its defaults keep their low precedence, so the inventory's values win as in a real run."""
    made = tmp / "roles" / f"render_{role}"
    (made / "tasks").mkdir(parents=True)
    for part in ("defaults", "templates"):
        (made / part).symlink_to(ROOT / "playbooks" / "roles" / role / part)
    return made


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every template of the role (and baseline's firewall) rendered by Ansible for srv-vc-1
    from the inventory, into a directory (the paths inside point there too)."""
    tmp = tmp_path_factory.mktemp("vc_controller")
    out = tmp / "out"
    (out / "testroom").mkdir(parents=True)
    paths = {
        "vc_controller_config_dir": str(out),
        "vc_controller_tls_dir": str(out / "tls"),
        "vc_controller_test_room_home": str(out / "testroom"),
        "vc_controller_run_dir": str(out / "run"),
        "vc_controller_service_manager": "systemd",
        "templates": TEMPLATES,
        "out": str(out),
    }
    (tmp / "paths.yml").write_text(yaml.safe_dump(paths))
    vc_tasks = [
        {
            "name": "Render a template",
            "ansible.builtin.template": {
                "src": "{{ item.key }}",
                "dest": "{{ out }}/{{ item.value }}",
                "mode": "0644",
            },
            "loop": "{{ templates | dict2items }}",
        },
        {
            "name": "Render the systemd units",
            "ansible.builtin.template": {
                "src": "daemon.service.j2",
                "dest": "{{ out }}/{{ item.name }}.service",
                "mode": "0644",
            },
            "loop": "{{ vc_controller_daemons }}",
        },
    ]
    nft_tasks = [
        {
            "name": "Render the host firewall",
            "ansible.builtin.template": {
                "src": "nftables.conf.j2",
                "dest": "{{ out }}/nftables.conf",
                "mode": "0644",
            },
        }
    ]
    (render_role("vc_controller", tmp) / "tasks" / "main.yml").write_text(yaml.safe_dump(vc_tasks))
    (render_role("baseline", tmp) / "tasks" / "main.yml").write_text(yaml.safe_dump(nft_tasks))
    play = [
        {
            "name": "Render the vc_controller templates and the firewall",
            "hosts": HOST,
            "connection": "local",
            "gather_facts": False,
            "roles": ["render_baseline", "render_vc_controller"],
        }
    ]
    playbook = tmp / "render.yml"
    playbook.write_text(yaml.safe_dump(play, sort_keys=False))
    p = ansible_playbook(str(playbook), "-e", f"@{tmp / 'paths.yml'}")
    assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-3000:]
    return out


def test_playbooks_pass_syntax_check() -> None:
    for playbook in ("playbooks/vc_controller.yml", "playbooks/site.yml"):
        p = ansible_playbook("--syntax-check", playbook)
        assert p.returncode == 0, p.stdout + p.stderr


def test_site_playbook_applies_the_role_to_the_vc_servers() -> None:
    plays = yaml.safe_load((ROOT / "playbooks" / "site.yml").read_text())
    vc = [p for p in plays if any(r["role"] == "vc_controller" for r in p.get("roles", []))]
    assert [(p["hosts"], p["roles"][0]["tags"]) for p in vc] == [("servers_vc", ["vc_controller"])]


def test_kamailio_listens_on_the_service_address_http_also_on_the_management_one(rendered: Path) -> None:
    cfg = (rendered / "kamailio.cfg").read_text()
    listens = re.findall(r"^listen=(\S+)", cfg, re.M)
    assert listens == [
        f"udp:{ADDRESS}:5060",
        f"tcp:{ADDRESS}:5060",
        f"tls:{ADDRESS}:5061",
        f"tcp:{MGMT}:8088",  # where monitoring scrapes (infra/monitoring/vc.py)
        f"tcp:{ADDRESS}:8088",
    ]
    assert f'alias="{DOMAIN}"' in cfg
    assert re.search(r"^alias=.*" + re.escape(ADDRESS), cfg, re.M) is None  # would break loose_route
    assert "tos=0x60" in cfg.splitlines()  # CS3 on signalling
    assert 'modparam("usrloc", "db_mode", 0)' in cfg  # the location table in memory


def test_kamailio_routes_every_call_through_the_relay_and_registers_only_the_domain(rendered: Path) -> None:
    cfg = (rendered / "kamailio.cfg").read_text()
    for call in ("record_route()", "loose_route()", 'save("location")', 'lookup("location")'):
        assert call in cfg
    assert 'rtpengine_sock", "udp:127.0.0.1:22222"' in cfg
    media = cfg[cfg.index("route[MEDIA]") :]
    media = media[: media.index("\n}\n")]
    assert media.count("rtpengine_manage(") == 3  # offer (test room / others), delete
    assert cfg.count("route(MEDIA)") == 3  # initial requests, in-dialog, CANCEL
    assert f'if ($td != "{DOMAIN}")' in cfg
    assert 'sl_send_reply("403", "Relaying denied")' in cfg


def test_kamailio_http_serves_metrics_and_only_read_only_rpc(rendered: Path) -> None:
    cfg = (rendered / "kamailio.cfg").read_text()
    assert "prom_dispatch()" in cfg and "jsonrpc_dispatch()" in cfg
    allowed = re.search(r'\$var\(method\) =~ "\^\((.*)\)\$"', cfg)
    assert allowed is not None
    methods = allowed.group(1).replace("\\.", ".").split("|")
    assert "ul.dump" in methods
    assert not [
        m
        for m in methods
        if not m.startswith(("ul.dump", "ul.lookup", "stats.", "core.uptime", "core.version", "tls.list"))
    ]


@pytest.mark.skipif(shutil.which("kamailio") is None, reason="kamailio is not installed (scripts/setup.sh)")
@pytest.mark.skipif(os.geteuid() != 0, reason="needs root for a private network namespace")
def test_kamailio_accepts_the_rendered_configuration_and_rejects_a_broken_one(rendered: Path) -> None:
    def check(path: Path) -> subprocess.CompletedProcess[str]:
        script = f"ip link set lo up && ip addr add {ADDRESS}/32 dev lo && kamailio -c -f {path}"
        return subprocess.run(
            ["unshare", "--net", "sh", "-c", script], capture_output=True, text=True, timeout=60
        )

    good = check(rendered / "kamailio.cfg")
    assert good.returncode == 0, good.stdout + good.stderr
    assert "config file ok" in good.stdout + good.stderr
    broken = rendered / "broken.cfg"
    broken.write_text(
        (rendered / "kamailio.cfg").read_text().replace("route(REGISTRAR);", "route(REGISTRAR)")
    )
    assert check(broken).returncode != 0


@pytest.mark.skipif(shutil.which("nft") is None, reason="nft is not installed")
@pytest.mark.skipif(os.geteuid() != 0, reason="needs root for a private network namespace")
def test_host_firewall_opens_sip_media_and_metrics_on_the_call_controller(rendered: Path) -> None:
    nft = (rendered / "nftables.conf").read_text()
    assert "udp dport 5060 accept" in nft
    assert "tcp dport { 5060, 5061 } accept" in nft
    assert "udp dport 30000-31999 accept" in nft
    assert "ip saddr { 10.127.0.0/16, 10.94.20.11 } tcp dport { 8088, 9901 } accept" in nft
    check = subprocess.run(
        ["unshare", "--net", "nft", "-c", "-f", str(rendered / "nftables.conf")],
        capture_output=True,
        text=True,
    )
    assert check.returncode == 0, check.stderr


def test_monitoring_scrapes_the_ports_the_role_serves() -> None:
    from infra.monitoring import vc as monitoring

    defaults = yaml.safe_load((ROLE / "defaults" / "main.yml").read_text())
    assert defaults["vc_controller_http_port"] == monitoring.KAMAILIO_HTTP_PORT
    assert defaults["vc_controller_rtpengine_http_port"] == monitoring.RTPENGINE_HTTP_PORT
    assert defaults["vc_controller_management_address"] == "{{ ansible_host }}"


def test_rtpengine_is_userspace_only_with_control_on_loopback(rendered: Path) -> None:
    text = (rendered / "rtpengine.conf").read_text()
    # A glib key file: a comment after a value would become part of it.
    assert not [line for line in text.splitlines() if "#" in line and not line.lstrip().startswith("#")]
    conf = configparser.ConfigParser()
    conf.read_string(text)
    r = conf["rtpengine"]
    assert r["table"] == "-1"
    assert r["interface"] == ADDRESS
    assert r["listen-ng"] == "127.0.0.1:22222"
    assert r["listen-cli"].startswith("127.0.0.1:")
    assert r["listen-http"] == f"{MGMT}:9901;{ADDRESS}:9901"
    assert r["tos"] == "136"  # AF41 on everything the relay forwards


def test_test_room_registers_its_uri_and_answers_with_audio_and_video(rendered: Path) -> None:
    accounts = [
        line
        for line in (rendered / "testroom" / "accounts").read_text().splitlines()
        if not line.startswith("#")
    ]
    assert len(accounts) == 1
    account = accounts[0]
    assert account.startswith(f"<sip:testroom@{DOMAIN}>;")
    assert f'outbound="sip:{ADDRESS}:5060"' in account
    assert ";answermode=auto;" in account
    assert "video_codecs=vp8" in account
    config = (rendered / "testroom" / "config").read_text()
    settings = [line.split()[:2] for line in config.splitlines() if line and not line.startswith("#")]
    assert ["audio_source", "ausine,440"] in settings
    assert ["video_source", "fakevideo,nil"] in settings
    assert ["net_interface", ADDRESS] in settings
    assert ["sip_listen", f"{ADDRESS}:5070"] in settings
    assert ["module", "fakevideo.so"] in settings and ["module", "vp8.so"] in settings


def test_systemd_units_start_the_daemons_in_order_never_the_packaged_ones(rendered: Path) -> None:
    kamailio = (rendered / "vc-kamailio.service").read_text()
    rtpengine = (rendered / "vc-rtpengine.service").read_text()
    testroom = (rendered / "vc-testroom.service").read_text()
    assert "After=network-online.target vc-rtpengine.service" in kamailio
    assert "-u kamailio -g kamailio" in kamailio
    assert "User=rtpengine" in rtpengine and f"--config-file={rendered}/rtpengine.conf" in rtpengine
    assert "PartOf=vc-kamailio.service" in testroom and "User=vc-testroom" in testroom
    defaults = yaml.safe_load((ROLE / "defaults" / "main.yml").read_text())
    assert "rtpengine-daemon" in defaults["vc_controller_packaged_units"]
