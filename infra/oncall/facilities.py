"""The data centre's power and cooling, as the Province page shows it: each UPS (mains or battery,
load, runtime), each PDU phase (load and the PDU's own load state), each inlet sensor against the
ASHRAE bands.

The readings are the series the facility alerts use (infra/monitoring/alerts.py): the MIB object
names the SNMP exporter exposes, enumerations as state sets, and the recorded
`infra:dc_temperature_celsius` / `infra:dc_humidity_percent` (online AKCP probes only). The
thresholds below are the alerts' thresholds; tests/oncall/test_province.py checks them against
the alert expressions so the page and the pager cannot disagree.

Rows come from the inventory (every UPS, PDU and environment sensor), readings from Prometheus:
with Prometheus down, or a device not reporting, the row is still there, grey.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from infra.inventory import Inventory, Role
from infra.oncall.sources import Sample

# One PromQL query per metric family (the state sets reduced to the state that holds).
UPS_QUERY = (
    '({__name__=~"upsBasicOutputStatus|upsOutputSource"} == 1) or {__name__=~"'
    "upsAdvOutputLoad|upsHighPrecOutputLoad|upsOutputPercentLoad|upsAdvBatteryRunTimeRemaining"
    '|upsEstimatedMinutesRemaining|upsAdvBatteryCapacity|upsHighPrecBatteryCapacity|upsEstimatedChargeRemaining"}'
)
PDU_QUERY = (
    '({__name__=~"rPDU2PhaseStatusLoadState|rPDULoadStatusLoadState"} == 1) '
    'or {__name__=~"rPDU2PhaseStatusCurrent|rPDULoadStatusLoad"}'
)
ENVIRONMENT_QUERY = '{__name__=~"infra:dc_temperature_celsius|infra:dc_humidity_percent"}'

# The alerts' thresholds (InfraUpsLowRuntime, InfraUpsOverload, InfraDc*Outside*).
UPS_MIN_RUNTIME_MINUTES = 10.0
UPS_MAX_LOAD_PERCENT = 90.0
TEMPERATURE_RECOMMENDED = (18.0, 27.0)  # °C, ASHRAE TC 9.9
TEMPERATURE_ALLOWABLE = (15.0, 32.0)
HUMIDITY_RECOMMENDED = (20.0, 60.0)  # % RH; below 20 is outside the allowable band already
HUMIDITY_ALLOWABLE = (20.0, 80.0)

RECOMMENDED, ALLOWABLE, OUTSIDE = "recommended", "allowable", "outside"
BAND_STATE = {RECOMMENDED: "ok", ALLOWABLE: "warning", OUTSIDE: "critical"}

# What a UPS's output status means to the operator: mains, battery, bypass or off.
UPS_SOURCE = {
    "onBattery": "battery",
    "battery": "battery",
    "onBatteryTest": "battery test",
    "onLine": "mains",
    "normal": "mains",
    "onSmartBoost": "mains",
    "onSmartTrim": "mains",
    "ecoMode": "mains",
    "eConversion": "mains",
    "hotStandby": "mains",
    "powerSavingMode": "mains",
    "spotMode": "mains",
    "booster": "mains",
    "reducer": "mains",
    "softwareBypass": "bypass",
    "switchedBypass": "bypass",
    "hardwareFailureBypass": "bypass",
    "emergencyStaticBypass": "bypass",
    "staticBypassStandby": "bypass",
    "bypass": "bypass",
    "off": "off",
    "none": "off",
    "timedSleeping": "off",
    "sleepingUntilPowerReturn": "off",
    "rebooting": "off",
}
SOURCE_STATE = {
    "mains": "ok",
    "battery": "critical",
    "battery test": "warning",
    "bypass": "warning",
    "off": "critical",
}

# A PDU phase's load state, as the PDU itself judges it against its configured thresholds (the
# same state sets InfraPduPhaseNearOverload / InfraPduPhaseOverload fire on).
PDU_LOAD_STATE = {
    "normal": ("normal", "ok"),
    "lowLoad": ("low load", "ok"),
    "phaseLoadNormal": ("normal", "ok"),
    "phaseLoadLow": ("low load", "ok"),
    "nearOverload": ("near overload", "warning"),
    "phaseLoadNearOverload": ("near overload", "warning"),
    "overload": ("overload", "critical"),
    "phaseLoadOverload": ("overload", "critical"),
}


@dataclass(frozen=True)
class UpsReading:
    host: str
    site: str
    source: str  # mains | battery | battery test | bypass | off | unknown
    load_percent: float | None
    runtime_minutes: float | None
    charge_percent: float | None
    state: str  # ok | warning | critical | unknown
    notes: tuple[str, ...] = ()  # why the state is not ok, in words


@dataclass(frozen=True)
class PhaseReading:
    host: str
    site: str
    phase: str  # "phase 1", "bank 2"
    current_amps: float | None
    load_state: str  # normal | low load | near overload | overload | unknown
    state: str


@dataclass(frozen=True)
class ClimateReading:
    host: str
    site: str
    sensor: str  # the probe's configured description
    measure: str  # temperature | humidity
    value: float | None
    unit: str
    band: str  # recommended | allowable | outside | unknown
    state: str


@dataclass(frozen=True)
class Facilities:
    ups: list[UpsReading]
    phases: list[PhaseReading]
    climate: list[ClimateReading]


def band(value: float, recommended: tuple[float, float], allowable: tuple[float, float]) -> str:
    if recommended[0] <= value <= recommended[1]:
        return RECOMMENDED
    if allowable[0] <= value <= allowable[1]:
        return ALLOWABLE
    return OUTSIDE


def temperature_band(celsius: float) -> str:
    return band(celsius, TEMPERATURE_RECOMMENDED, TEMPERATURE_ALLOWABLE)


def humidity_band(percent: float) -> str:
    return band(percent, HUMIDITY_RECOMMENDED, HUMIDITY_ALLOWABLE)


def _by_host(samples: Iterable[Sample]) -> dict[str, list[Sample]]:
    """The samples of each device; a NaN or infinite value counts as no reading (and could not be
    served as JSON)."""
    out: dict[str, list[Sample]] = defaultdict(list)
    for s in samples:
        if math.isfinite(s.value):
            out[s.labels.get("host", "")].append(s)
    return out


def _first(values: dict[str, float], *names: str) -> float | None:
    for n in names:
        if n in values:
            return values[n]
    return None


def ups_reading(host: str, site: str, samples: list[Sample] | None) -> UpsReading:
    if not samples:
        return UpsReading(host, site, "unknown", None, None, None, "unknown", ("no reading",))
    values: dict[str, float] = {}
    source = "unknown"
    for s in samples:
        name = s.labels.get("__name__", "")
        if name in ("upsBasicOutputStatus", "upsOutputSource"):
            source = UPS_SOURCE.get(s.labels.get(name, ""), "unknown")
        elif name == "upsOutputPercentLoad":  # per output line: the busiest line counts
            values[name] = max(values.get(name, s.value), s.value)
        else:
            values[name] = s.value
    load = _first(values, "upsAdvOutputLoad", "upsHighPrecOutputLoad", "upsOutputPercentLoad")
    hundredths = values.get("upsAdvBatteryRunTimeRemaining")
    runtime = hundredths / 6000 if hundredths is not None else values.get("upsEstimatedMinutesRemaining")
    charge = _first(
        values, "upsAdvBatteryCapacity", "upsHighPrecBatteryCapacity", "upsEstimatedChargeRemaining"
    )
    notes = []
    state = SOURCE_STATE.get(source, "unknown")
    if source != "mains":
        notes.append(f"on {source}" if source != "unknown" else "output status not reported")
    if runtime is not None and runtime < UPS_MIN_RUNTIME_MINUTES:
        notes.append(f"runtime under {UPS_MIN_RUNTIME_MINUTES:g} minutes")
        state = "critical"
    if load is not None and load > UPS_MAX_LOAD_PERCENT:
        notes.append(f"load above {UPS_MAX_LOAD_PERCENT:g} %")
        state = "critical"
    return UpsReading(host, site, source, load, runtime, charge, state, tuple(notes))


def pdu_phases(host: str, site: str, samples: list[Sample] | None) -> list[PhaseReading]:
    """The PDU's phases from the rPDU2 phase table; from the older rPDU load table (phases and
    banks) only when the PDU has no rPDU2 table."""
    if not samples:
        return [PhaseReading(host, site, "no reading", None, "unknown", "unknown")]
    rows: dict[tuple[str, str], dict[str, object]] = defaultdict(dict)
    for s in samples:
        name = s.labels.get("__name__", "")
        if name.startswith("rPDU2Phase"):
            key = ("rpdu2", s.labels.get("rPDU2PhaseStatusIndex", ""))
            rows[key]["label"] = f"phase {s.labels.get('rPDU2PhaseStatusNumber') or key[1]}"
        else:
            key = ("rpdu", s.labels.get("rPDULoadStatusIndex", ""))
            phase = s.labels.get("rPDULoadStatusPhaseNumber", "0")
            bank = s.labels.get("rPDULoadStatusBankNumber", "0")
            rows[key]["label"] = f"phase {phase}" if phase not in ("", "0") else f"bank {bank}"
        if name.endswith("LoadState"):
            rows[key]["state"] = s.labels.get(name, "")
        else:
            rows[key]["amps"] = s.value
    tables = {"rpdu2"} if any(k[0] == "rpdu2" for k in rows) else {"rpdu"}
    out = []
    for key in sorted(rows, key=lambda k: (k[0], int(k[1]) if k[1].isdigit() else 0, k[1])):
        if key[0] not in tables:
            continue
        row = rows[key]
        words, state = PDU_LOAD_STATE.get(str(row.get("state", "")), ("unknown", "unknown"))
        amps = row.get("amps")
        out.append(
            PhaseReading(
                host, site, str(row["label"]), float(amps) if isinstance(amps, float) else None, words, state
            )
        )
    return out


def climate_readings(host: str, site: str, samples: list[Sample] | None) -> list[ClimateReading]:
    if not samples:
        return [ClimateReading(host, site, "no reading", "temperature", None, "°C", "unknown", "unknown")]
    out = []
    for s in samples:
        if s.labels.get("__name__") == "infra:dc_temperature_celsius":
            sensor = (
                s.labels.get("sensorProbeTempDescription")
                or f"probe {s.labels.get('sensorProbeTempIndex', '?')}"
            )
            b = temperature_band(s.value)
            out.append(ClimateReading(host, site, sensor, "temperature", s.value, "°C", b, BAND_STATE[b]))
        else:
            sensor = s.labels.get("sensorProbeHumidityDescription") or (
                f"probe {s.labels.get('sensorProbeHumidityIndex', '?')}"
            )
            b = humidity_band(s.value)
            out.append(ClimateReading(host, site, sensor, "humidity", s.value, "% RH", b, BAND_STATE[b]))
    out.sort(key=lambda r: (r.measure != "temperature", r.sensor))
    return out


def facilities_view(
    inv: Inventory,
    ups: list[Sample] | None,
    pdu: list[Sample] | None,
    environment: list[Sample] | None,
) -> Facilities:
    """Every facility device of the inventory with its readings (None: Prometheus did not answer)."""
    ups_by, pdu_by, env_by = _by_host(ups or ()), _by_host(pdu or ()), _by_host(environment or ())
    view = Facilities([], [], [])
    devices = [h for h in inv.hosts.values() if h.role in (Role.UPS, Role.PDU, Role.ENV_SENSOR)]
    for h in sorted(devices, key=lambda h: (h.site, h.name)):
        if h.role == Role.UPS:
            view.ups.append(ups_reading(h.name, h.site, ups_by.get(h.name)))
        elif h.role == Role.PDU:
            view.phases.extend(pdu_phases(h.name, h.site, pdu_by.get(h.name)))
        elif h.role == Role.ENV_SENSOR:
            view.climate.extend(climate_readings(h.name, h.site, env_by.get(h.name)))
    return view
