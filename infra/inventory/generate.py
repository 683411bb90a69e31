"""Write a province inventory: the example lab province, or a synthetic one of any size.

The example province in `inventory/` was written by this module and is kept by hand from then
on; `infra inventory generate` writes synthetic provinces for scale tests (thousands of hosts)
with the same shape and address plan. This module draws the province as plain data (hosts,
sites, links, tunnels, VLANs); `generate_files.py` writes it out, `generate_vc.py` adds the codecs.
"""

from __future__ import annotations

from dataclasses import dataclass
from ipaddress import IPv4Network
from pathlib import Path
from typing import Any

from infra.inventory.generate_files import write_province
from infra.inventory.generate_vc import vc_endpoints

DEPARTMENTS = [
    ("so-noi-vu", "Sở Nội vụ"),
    ("so-tai-chinh", "Sở Tài chính"),
    ("so-xay-dung", "Sở Xây dựng"),
    ("so-y-te", "Sở Y tế"),
    ("so-giao-duc", "Sở Giáo dục và Đào tạo"),
    ("so-cong-thuong", "Sở Công Thương"),
    ("so-nong-nghiep", "Sở Nông nghiệp và Môi trường"),
    ("so-khoa-hoc", "Sở Khoa học và Công nghệ"),
    ("so-tu-phap", "Sở Tư pháp"),
    ("so-van-hoa", "Sở Văn hóa, Thể thao và Du lịch"),
]
COMMUNES = [
    ("xa-lac-duong", "Xã Lạc Dương"),
    ("xa-da-huoai", "Xã Đạ Huoai"),
    ("xa-don-duong", "Xã Đơn Dương"),
    ("xa-lam-ha", "Xã Lâm Hà"),
    ("xa-di-linh", "Xã Di Linh"),
    ("xa-bao-lam", "Xã Bảo Lâm"),
    ("xa-cat-tien", "Xã Cát Tiên"),
    ("xa-dam-rong", "Xã Đam Rông"),
    ("xa-duc-trong", "Xã Đức Trọng"),
    ("xa-ta-nung", "Xã Tà Nung"),
]
CAMPUS_UNITS = [
    ("vp-ubnd", "Văn phòng UBND tỉnh"),
    ("vp-tinh-uy", "Văn phòng Tỉnh ủy"),
    ("vp-hdnd", "Văn phòng Đoàn ĐBQH và HĐND tỉnh"),
    ("so-ke-hoach", "Sở Kế hoạch và Đầu tư"),
    ("so-ngoai-vu", "Sở Ngoại vụ"),
    ("thanh-tra", "Thanh tra tỉnh"),
    ("ban-dan-toc", "Ban Dân tộc"),
    ("trung-tam-hcc", "Trung tâm Phục vụ hành chính công"),
]
SERVERS = [  # name, vlan, services
    (
        "srv-mail-1",
        10,
        [
            {"name": "smtp", "protocol": "smtp", "port": 25},
            {"name": "imaps", "protocol": "imaps", "port": 993},
        ],
    ),
    ("srv-portal-1", 10, [{"name": "portal", "protocol": "https", "port": 443, "path": "/healthz"}]),
    ("srv-onestop-1", 10, [{"name": "one-stop-shop", "protocol": "https", "port": 443, "path": "/healthz"}]),
    ("srv-lgsp-1", 10, [{"name": "lgsp", "protocol": "https", "port": 443, "path": "/healthz"}]),
    ("srv-monitor-1", 20, [{"name": "prometheus", "protocol": "http", "port": 9090, "path": "/-/healthy"}]),
    ("srv-log-1", 20, [{"name": "syslog", "protocol": "tcp", "port": 514}]),
    ("srv-log-2", 20, [{"name": "syslog", "protocol": "tcp", "port": 514}]),
    ("srv-infra-1", 20, [{"name": "ntp-aaa", "protocol": "tcp", "port": 49}]),
    ("srv-infra-2", 20, [{"name": "ntp-aaa", "protocol": "tcp", "port": 49}]),
    ("srv-vc-1", 20, [{"name": "sip", "protocol": "tcp", "port": 5060}]),
]
RECORDINGS = {
    "ups": "apc-smart-ups-rt3000xl.snmprec",
    "pdu": "apc-rack-pdu-ap8853.snmprec",
    "env_sensor": "akcp-sensorprobe8-temp-humidity.snmprec",
}
CPE_PLATFORMS = ["cisco_ios", "huawei_vrp", "frr"]
CPE_PORT = {"cisco_ios": "GigabitEthernet0/0/0", "huawei_vrp": "GigabitEthernet0/0/0", "frr": "eth1"}


@dataclass(frozen=True)
class Shape:
    departments: int = 10
    communes: int = 10
    access_switches: int = 4
    campus_units: int = 8
    vc_endpoints: int = 20  # spread over the agencies' sites, one per site first
    ups: int = 2
    pdus: int = 2
    env_sensors: int = 2
    app_servers: int = 0  # application servers beyond the nine every province has (VLAN 10)


def _agencies(prefix: str, names: list[tuple[str, str]], n: int, label: str) -> list[tuple[str, str]]:
    if n <= len(names):
        return names[:n]
    return [(f"{prefix}-{i:04d}", f"{label} {i}") for i in range(1, n + 1)]


def generate(out: Path, shape: Shape = Shape(), name: str = "Tỉnh Lâm Viên (lab)", lab: bool = True) -> int:
    """Write a province into `out`; returns the number of hosts."""
    mgmt = iter(IPv4Network("10.127.0.0/16").hosts())
    next(mgmt)  # .0.1 is the lab's management bridge in the root namespace
    loop = iter(IPv4Network("10.126.0.0/16").hosts())
    p2p = IPv4Network("10.124.0.0/15").subnets(new_prefix=31)
    tun = IPv4Network("10.122.0.0/15").subnets(new_prefix=31)
    lans = IPv4Network("10.64.0.0/11").subnets(new_prefix=24)
    lan_of: dict[str, str] = {}  # agency site -> its CPE's LAN

    hosts: dict[str, dict[str, Any]] = {}  # group -> hosts
    host_vars: dict[str, dict[str, Any]] = {}
    sites: dict[str, Any] = {
        "dc": {"name": "Trung tâm dữ liệu tỉnh (provincial data centre)", "kind": "data_centre"},
        "campus": {"name": "Trung tâm hành chính tỉnh (administrative centre)", "kind": "campus"},
        "tslcd": {"name": "Mạng truyền số liệu chuyên dùng (carrier gateway)", "kind": "carrier"},
    }
    links: list[dict[str, Any]] = []
    tunnels: list[dict[str, Any]] = []
    vlans: list[dict[str, Any]] = []

    def host(group: str, hname: str, **hv: Any) -> None:
        hosts.setdefault(group, {})[hname] = None
        host_vars[hname] = {"ansible_host": str(next(mgmt)), **hv}

    def link(a: str, b: str, **kw: Any) -> None:
        lid = f"{a.split(':')[0]}--{b.split(':')[0]}"
        links.append({"id": lid, "a": a, "b": b, "subnet": str(next(p2p)), **kw})

    for i in (1, 2):
        host("core_routers", f"dc-core-{i}", loopback=f"{next(loop)}/32", model="Cisco ISR 4451")
    for i in (1, 2):
        host("dc_switches", f"dc-sw-{i}", loopback=f"{next(loop)}/32", model="Huawei CE6881")
    host("firewalls", "dc-fw-1", loopback=f"{next(loop)}/32", model="Huawei USG6555E")
    host("wan_hubs", "wan-hub-1", loopback=f"{next(loop)}/32", bgp_asn=65010, model="Cisco ISR 4451")
    host(
        "carrier_pe",
        "tslcd-pe-1",
        loopback=f"{next(loop)}/32",
        bgp_asn=64600,
        description="carrier PE of the dedicated data network (played by the lab; not pushed in production)",
    )
    host("campus_core", "campus-core-1", loopback=f"{next(loop)}/32", model="Cisco Catalyst 9500")

    gi = "GigabitEthernet0/0/{}"
    ge = "GigabitEthernet1/0/{}"
    link(f"dc-core-1:{gi.format(1)}", f"dc-core-2:{gi.format(1)}", ospf_area=0, bandwidth_mbps=10000)
    for c in (1, 2):
        link(f"dc-core-{c}:{gi.format(2)}", f"wan-hub-1:{gi.format(c)}", ospf_area=0)
        link(f"dc-core-{c}:{gi.format(3)}", f"dc-sw-1:{ge.format(c)}", ospf_area=0, bandwidth_mbps=10000)
        link(f"dc-core-{c}:{gi.format(4)}", f"dc-sw-2:{ge.format(c)}", ospf_area=0, bandwidth_mbps=10000)
        link(f"dc-core-{c}:{gi.format(5)}", f"dc-fw-1:{ge.format(c)}", ospf_area=0)
        link(
            f"dc-core-{c}:{gi.format(6)}",
            f"campus-core-1:TenGigabitEthernet1/1/{c}",
            ospf_area=0,
            bandwidth_mbps=10000,
        )
    links.append(
        {
            "id": "wan-hub-1--tslcd-pe-1",
            "a": "wan-hub-1:GigabitEthernet0/0/3",
            "b": f"tslcd-pe-1:eth{1}",
            "subnet": str(next(p2p)),
            "kind": "carrier_access",
            "bgp": True,
            "bandwidth_mbps": 1000,
            "description": "province gateway to the dedicated data network",
        }
    )

    agencies = [("department", a) for a in _agencies("dept", DEPARTMENTS, shape.departments, "Department")]
    agencies += [("commune", a) for a in _agencies("xa", COMMUNES, shape.communes, "Commune")]
    for n, (kind, (sid, sname)) in enumerate(agencies, start=1):
        sites[sid] = {"name": sname, "kind": kind, "agency": sname}
        platform = CPE_PLATFORMS[(n - 1) % 3]
        cpe = f"cpe-{sid}"
        host(
            f"cpe_{kind}s",
            cpe,
            site=sid,
            platform=platform,
            loopback=f"{next(loop)}/32",
            bgp_asn=65100 + n if n < 900 else 4200000000 + n,
            lan=lan_of.setdefault(sid, str(next(lans))),
        )
        links.append(
            {
                "id": f"{cpe}--tslcd-pe-1",
                "a": f"{cpe}:{CPE_PORT[platform]}",
                "b": f"tslcd-pe-1:eth{n + 1}",
                "subnet": str(next(p2p)),
                "kind": "carrier_access",
                "bgp": True,
                "bandwidth_mbps": 100 if kind == "department" else 200,
            }
        )
        tunnels.append(
            {
                "id": f"vpn-{sid}",
                "number": n,
                "spoke": cpe,
                "subnet": str(next(tun)),
                "ospf_area": 1 if kind == "department" else 2,
            }
        )

    units = _agencies("unit", CAMPUS_UNITS, shape.campus_units, "Unit")
    for i in range(1, shape.access_switches + 1):
        host("access_switches", f"campus-acc-{i}", model="Cisco Catalyst 9200")
    for u, (uid, uname) in enumerate(units):
        acc = f"campus-acc-{u % shape.access_switches + 1}" if shape.access_switches else None
        vid = 110 + u if u < 3900 else 100 + u
        vlans.append(
            {
                "id": vid,
                "name": uid,
                "site": "campus",
                "unit": uname,
                "subnet": f"10.95.{u % 256}.0/24" if u < 256 else f"10.93.{u % 256}.0/24",
                "gateway": "campus-core-1",
                "access_switches": [acc] if acc else [],
            }
        )
    vlans.append(
        {
            "id": 10,
            "name": "dc-services",
            "site": "dc",
            "unit": "public e-services",
            "subnet": "10.94.10.0/24",
            "gateway": "dc-sw-1",
        }
    )
    vlans.append(
        {
            "id": 20,
            "name": "dc-operations",
            "site": "dc",
            "unit": "operations and security",
            "subnet": "10.94.20.0/24",
            "gateway": "dc-sw-2",
        }
    )

    svc_ip = {10: 11, 20: 11}
    apps = [
        (f"srv-app-{i}", 10, [{"name": f"app-{i}", "protocol": "https", "port": 443, "path": "/healthz"}])
        for i in range(1, shape.app_servers + 1)
    ]
    for sname, vlan, services in [*SERVERS, *apps]:
        host(
            "servers_" + ("web" if "portal" in sname or "onestop" in sname else sname.split("-")[1]),
            sname,
            service_vlan=vlan,
            service_address=f"10.94.{vlan}.{svc_ip[vlan]}/24",
            services=services,
        )
        svc_ip[vlan] += 1

    for hname, hv in vc_endpoints(shape.vc_endpoints, lan_of):
        host("vc_endpoints", hname, **hv)
    for role, group, count in (
        ("ups", "ups", shape.ups),
        ("pdu", "pdus", shape.pdus),
        ("env_sensor", "env_sensors", shape.env_sensors),
    ):
        for i in range(1, count + 1):
            host(group, f"{role.replace('_sensor', '')}-dc-{i}", snmp_recording=RECORDINGS[role])

    write_province(
        out,
        name,
        lab,
        hosts=hosts,
        host_vars=host_vars,
        sites=sites,
        links=links,
        tunnels=tunnels,
        vlans=vlans,
    )
    return len(host_vars)


__all__ = ["Shape", "generate"]
