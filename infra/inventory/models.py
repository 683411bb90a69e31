"""Typed, frozen models of the province: what the operator wrote, checked key by key.

Province-wide topology (sites, links, WAN-VPN tunnels, VLANs, address pools) is written once
in `group_vars/all/`; both ends of every link and tunnel are derived from that one entry
(see `topology.py`). Unknown keys are rejected so a typo never silently does nothing.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from ipaddress import IPv4Address, IPv4Interface, IPv4Network
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from infra.inventory.secrets import SecretRef, parse_ref


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)


class Platform(StrEnum):
    FRR = "frr"
    CISCO_IOS = "cisco_ios"
    HUAWEI_VRP = "huawei_vrp"
    LINUX = "linux"
    CISCO_TP = "cisco_tp"
    SNMP = "snmp"


NETWORK_PLATFORMS = frozenset({Platform.FRR, Platform.CISCO_IOS, Platform.HUAWEI_VRP})


class Role(StrEnum):
    CORE_ROUTER = "core_router"
    DC_SWITCH = "dc_switch"
    FIREWALL = "firewall"
    WAN_HUB = "wan_hub"
    CARRIER_PE = "carrier_pe"
    CPE = "cpe"
    CAMPUS_CORE = "campus_core"
    ACCESS_SWITCH = "access_switch"
    SERVER = "server"
    VC_ENDPOINT = "vc_endpoint"
    UPS = "ups"
    PDU = "pdu"
    ENV_SENSOR = "env_sensor"


ROUTING_ROLES = frozenset(
    {
        Role.CORE_ROUTER,
        Role.DC_SWITCH,
        Role.FIREWALL,
        Role.WAN_HUB,
        Role.CARRIER_PE,
        Role.CPE,
        Role.CAMPUS_CORE,
    }
)
FACILITY_ROLES = frozenset({Role.UPS, Role.PDU, Role.ENV_SENSOR})


class SiteKind(StrEnum):
    DATA_CENTRE = "data_centre"
    CAMPUS = "campus"
    DEPARTMENT = "department"
    COMMUNE = "commune"
    CARRIER = "carrier"
    LEGACY_DISTRICT = "legacy_district"


class Site(Model):
    name: str
    kind: SiteKind
    agency: str | None = None  # the agency the site belongs to (departments and communes)


class Province(Model):
    name: str
    code: Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]{1,15}$")]
    domain: str
    lab: bool = False  # the province is played by `infra lab` on this machine


class AddressPools(Model):
    lab_space: IPv4Network  # every address the province uses; the lab blackholes it on the host
    management: IPv4Network
    loopbacks: IPv4Network
    p2p: IPv4Network
    wan_vpn: IPv4Network
    lans: IPv4Network


class LinkEnd(Model):
    host: str
    interface: str


def _parse_end(value: Any) -> Any:
    if isinstance(value, str):
        host, sep, iface = value.partition(":")
        if not sep or not host or not iface:
            raise ValueError("must be written HOST:INTERFACE")
        return {"host": host, "interface": iface}
    return value


class Link(Model):
    """One cable (or carrier circuit) and both its ends; addresses come from `subnet`."""

    id: str
    a: LinkEnd
    b: LinkEnd
    subnet: IPv4Network
    kind: Annotated[str, Field(pattern="^(p2p|carrier_access|campus_uplink)$")] = "p2p"
    ospf_area: int | None = None
    bgp: bool = False
    bandwidth_mbps: int = 1000
    description: str | None = None

    _split_a = field_validator("a", mode="before")(_parse_end)
    _split_b = field_validator("b", mode="before")(_parse_end)


class Tunnel(Model):
    """A WAN-VPN tunnel from the hub to one spoke, over the dedicated data network."""

    id: str
    number: Annotated[int, Field(ge=1, le=4095)]  # Tunnel<number> on the hub; never reuse or renumber
    spoke: str
    subnet: IPv4Network
    ospf_area: int
    bandwidth_mbps: int = 200


class WanVpn(Model):
    hub: str
    listen_port_base: int = 51820
    tunnels: list[Tunnel]


class Vlan(Model):
    id: Annotated[int, Field(ge=1, le=4094)]
    name: str
    site: str
    unit: str | None = None  # the administrative unit (or service) that lives on it
    subnet: IPv4Network
    gateway: str  # the L3 switch or router holding the SVI (first address of the subnet)
    access_switches: list[str] = []
    ospf_area: int = 0


class Baseline(Model):
    """The security baseline every device is rendered and audited against (DOMAIN.md)."""

    ntp_servers: Annotated[list[IPv4Address], Field(min_length=2)]
    syslog_servers: Annotated[list[IPv4Address], Field(min_length=2)]
    aaa_servers: Annotated[list[IPv4Address], Field(min_length=2)]
    dns_servers: list[IPv4Address] = []
    banner: str
    idle_timeout_minutes: Annotated[int, Field(ge=1, le=10)] = 10
    login_max_failures: Annotated[int, Field(ge=1, le=3)] = 3
    snmp_location: str = ""
    snmp_contact: str = ""


class Ospf(Model):
    hello_interval: Annotated[int, Field(ge=1, le=65535)] = 10
    dead_interval: Annotated[int, Field(ge=1, le=65535)] = 40


class StaticRoute(Model):
    """A static route a router holds; without `next_hop` the prefix is discarded (Null0/blackhole)."""

    prefix: IPv4Network
    next_hop: IPv4Address | None = None
    description: str | None = None


class Carrier(Model):
    name: str
    asn: Annotated[int, Field(ge=1, le=4294967295)]


SECRET_FIELDS = (
    "device_password",
    "enable_secret",
    "snmpv3_auth_password",
    "snmpv3_priv_password",
    "aaa_key",
    "ospf_key",
    "bgp_password",
    "ntp_key",
    "wan_vpn_psk",
    "codec_password",
)


class Credentials(Model):
    """Who infra logs in as, and references (never values) to the secrets it needs."""

    device_username: str
    server_username: str = "root"
    snmpv3_user: str
    device_password: SecretRef
    enable_secret: SecretRef
    snmpv3_auth_password: SecretRef
    snmpv3_priv_password: SecretRef
    aaa_key: SecretRef
    ospf_key: SecretRef
    bgp_password: SecretRef
    ntp_key: SecretRef
    wan_vpn_psk: SecretRef
    codec_username: str = "admin"  # the video-conference codecs' management account
    codec_password: SecretRef | None = None  # required as soon as the province has a codec

    @field_validator(*SECRET_FIELDS, mode="before")
    @classmethod
    def _must_be_reference(cls, value: Any) -> SecretRef | None:
        if isinstance(value, SecretRef) or value is None:
            return value
        ref = parse_ref(value)
        if ref is None:
            raise ValueError(
                'is written in plain text; use a vaulted variable ("{{ vault_NAME }}"), '
                "an inline !vault value, or \"{{ lookup('env', 'NAME') }}\""
            )
        return ref


class VcReadiness(Model):
    """What `infra vc check` accepts as ready for a meeting."""

    call_setup_s: Annotated[float, Field(gt=0, le=60)] = 5.0
    sample_s: Annotated[float, Field(gt=0, le=120)] = 6.0  # media sample length of the test call
    max_loss_pct: Annotated[float, Field(ge=0, le=100)] = 1.0
    max_jitter_ms: Annotated[float, Field(ge=0)] = 30.0
    min_mos: Annotated[float, Field(ge=1, le=5)] = 3.6


class Meeting(Model):
    """A recurring meeting the readiness check is run for."""

    name: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]*$")]
    endpoints: str = "vc_endpoints"  # an Ansible --limit pattern
    bitrate_kbps: Annotated[int, Field(ge=64, le=20000)] = 1920


class Vc(Model):
    """The province's video-conference system: one call controller (SIP registrar/proxy), a
    media relay and a test room in the data centre; the endpoints are hosts of role vc_endpoint."""

    domain: str  # SIP domain of every endpoint URI
    call_controller: str  # host running the registrar/proxy; endpoints register to its service address
    media_relay: str
    test_room: Annotated[str, Field(pattern=r"^[A-Za-z0-9._-]+$")] = "testroom"
    transport: Literal["udp", "tcp", "tls"] = "tls"
    sip_port: Annotated[int, Field(ge=1, le=65535)] = 5060
    sips_port: Annotated[int, Field(ge=1, le=65535)] = 5061
    h323: bool = False
    readiness: VcReadiness = VcReadiness()
    meetings: list[Meeting] = []

    @property
    def registrar_port(self) -> int:
        return self.sips_port if self.transport == "tls" else self.sip_port


class Service(Model):
    """A DC service a server offers, probed by monitoring."""

    name: str
    protocol: Annotated[str, Field(pattern="^(http|https|smtp|imaps|tcp)$")]
    port: Annotated[int, Field(ge=1, le=65535)]
    path: str = "/"


class Waiver(Model):
    """An accepted exception to a compliance rule, with a reason and an end."""

    rule: str
    reason: Annotated[str, Field(min_length=5)]
    expires: date


class HostVars(Model):
    """Variables a host may carry (from group_vars, host_vars or hosts.yml)."""

    role: Role
    site: str
    platform: Platform
    ansible_host: IPv4Address  # the management address
    description: str | None = None
    loopback: IPv4Interface | None = None
    bgp_asn: Annotated[int, Field(ge=1, le=4294967295)] | None = None
    lan: IPv4Network | None = None
    service_address: IPv4Interface | None = None
    service_vlan: int | None = None
    services: list[Service] = []
    snmp_recording: str | None = None
    snmp_community: str | None = None
    ospf: Ospf = Ospf()
    static_routes: list[StaticRoute] = []
    compliance_waivers: list[Waiver] = []
    model: str | None = None
    sip_uri: Annotated[str, Field(pattern=r"^sips?:[^@\s]+@[^@\s]+$")] | None = None


# Variables of group `all` that describe the province, not a host.
PROVINCE_KEYS = (
    "province",
    "sites",
    "address_pools",
    "links",
    "wan_vpn",
    "vlans",
    "baseline",
    "credentials",
    "carrier",
    "vc",
    "oncall",
    "backup",
    "server_backup",
)
# Playbook role variables pass through to Ansible untouched (role-prefixed, kolla/geerlingguy style).
ROLE_VAR_PREFIXES = (
    "baseline_",
    "snmpd_",
    "node_exporter_",
    "web_frontend_",
    "monitoring_server_",
    "server_backup_",
    "ansible_",
    "vault_",
)


class Host(Model):
    """One device or server of the province, as infra uses it."""

    name: str
    role: Role
    site: str
    platform: Platform
    mgmt_address: IPv4Address
    groups: tuple[str, ...]
    description: str | None = None
    loopback: IPv4Interface | None = None
    bgp_asn: int | None = None
    lan: IPv4Network | None = None
    service_address: IPv4Interface | None = None
    service_vlan: int | None = None
    services: tuple[Service, ...] = ()
    snmp_recording: str | None = None
    snmp_community: str | None = None
    ospf: Ospf = Ospf()
    static_routes: tuple[StaticRoute, ...] = ()
    compliance_waivers: tuple[Waiver, ...] = ()
    model: str | None = None
    sip_uri: str | None = None  # video-conference endpoints: the address it is called at
    ansible_vars: dict[str, Any] = {}

    @property
    def is_network_device(self) -> bool:
        return self.platform in NETWORK_PLATFORMS

    @property
    def is_server(self) -> bool:
        """A Linux host: converged by the Ansible playbooks (the one definition of "server")."""
        return self.platform == Platform.LINUX

    @property
    def is_router(self) -> bool:
        return self.role in ROUTING_ROLES
