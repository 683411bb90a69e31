"""Every bundled module against a real snmpd serving a device recording.

Real-device recordings from ../shared/snmprec where one exists, otherwise a recording written
from the MIB (tests/exporters/data). Expected values are read off the recordings by hand.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from snmp_testlib import Agents, parse_series, series_value

from exporters.snmp.config import load

# (recording, module, [(metric, labels, value)]) - labels are a subset of the series' labels.
CASES: list[tuple[str, str, list[tuple[str, dict[str, str], float]]]] = [
    (
        "linux-net-snmp-slackware.snmprec",
        "system",
        [
            ("sysUpTime", {}, 233425120),
            ("sysName", {"sysName": "tt"}, 1),
            ("sysObjectID", {"sysObjectID": "1.3.6.1.4.1.8072.3.2.10"}, 1),
            ("sysLocation", {"sysLocation": "KK12 (edit /etc/snmp/snmpd.conf)"}, 1),
        ],
    ),
    (
        "linux-net-snmp-slackware.snmprec",
        "host_resources",
        [
            ("hrSystemProcesses", {}, 165),
            ("hrMemorySize", {}, 1021976),
            ("hrStorageSize", {"hrStorageIndex": "31", "hrStorageDescr": "/"}, 2164327),
            ("hrStorageUsed", {"hrStorageIndex": "31", "hrStorageDescr": "/"}, 1667935),
            ("hrStorageAllocationUnits", {"hrStorageDescr": "/"}, 4096),
            (
                "hrStorageType",
                {"hrStorageDescr": "Physical memory", "hrStorageType": "1.3.6.1.2.1.25.2.1.2"},
                1,
            ),
            ("hrProcessorLoad", {"hrDeviceIndex": "768"}, 13),
            ("hrProcessorLoad", {"hrDeviceIndex": "769"}, 9),
        ],
    ),
    (
        "ups-mib-rfc1628.snmprec",
        "ups_mib",
        [
            ("upsBatteryStatus", {"upsBatteryStatus": "batteryLow"}, 1),
            ("upsBatteryStatus", {"upsBatteryStatus": "batteryNormal"}, 0),
            ("upsOutputSource", {"upsOutputSource": "battery"}, 1),
            ("upsOutputSource", {"upsOutputSource": "normal"}, 0),
            ("upsSecondsOnBattery", {}, 420),
            ("upsEstimatedChargeRemaining", {}, 40),
            ("upsEstimatedMinutesRemaining", {}, 12),
            ("upsBatteryCurrent", {}, -153),
            ("upsInputVoltage", {"upsInputLineIndex": "2"}, 0),
            ("upsOutputVoltage", {"upsOutputLineIndex": "1"}, 230),
            ("upsOutputPercentLoad", {"upsOutputLineIndex": "1"}, 48),
            ("upsInputLineBads", {}, 17),
            ("upsIdentModel", {"upsIdentModel": "EP-UPS 10kVA"}, 1),
        ],
    ),
    (
        "apc-smart-ups-rt3000xl.snmprec",
        "apc_ups",
        [
            ("upsBasicIdentModel", {"upsBasicIdentModel": "Smart-UPS RT 3000 XL"}, 1),
            ("upsBasicOutputStatus", {"upsBasicOutputStatus": "onLine"}, 1),
            ("upsBasicOutputStatus", {"upsBasicOutputStatus": "onBattery"}, 0),
            ("upsAdvBatteryRunTimeRemaining", {}, 1952600),
            (
                "upsAdvBatteryReplaceIndicator",
                {"upsAdvBatteryReplaceIndicator": "noBatteryNeedsReplacing"},
                1,
            ),
            ("upsHighPrecBatteryCapacity", {}, 100.0),
            ("upsHighPrecBatteryTemperature", {}, 21.0),
            ("upsHighPrecInputLineVoltage", {}, 223.0),
            ("upsHighPrecOutputVoltage", {}, 230.0),
            ("upsHighPrecOutputCurrent", {}, 4.0),
            ("upsAdvInputLineFailCause_info", {"upsAdvInputLineFailCause": "selfTest"}, 1),
        ],
    ),
    (
        "apc-rack-pdu-ap8853.snmprec",
        "pdu",
        [
            ("rPDU2DeviceStatusLoadState", {"rPDU2DeviceStatusLoadState": "normal"}, 1),
            ("rPDU2DeviceStatusPower", {"rPDU2DeviceStatusName": "dc-np2-pdu_1a_03_04_a"}, 1.14),
            ("rPDU2DeviceStatusEnergy", {"rPDU2DeviceStatusIndex": "1"}, 3512.8),
            ("rPDU2PhaseStatusCurrent", {"rPDU2PhaseStatusNumber": "1"}, 4.9),
            ("rPDU2PhaseStatusVoltage", {"rPDU2PhaseStatusNumber": "1"}, 242),
            ("rPDULoadStatusLoad", {"rPDULoadStatusIndex": "3", "rPDULoadStatusBankNumber": "2"}, 4.7),
        ],
    ),
    (
        "raritan-px2.snmprec",
        "pdu",
        [
            (
                "measurementsInletSensorValue",
                {"pduId": "1", "inletId": "1", "sensorType": "rmsCurrent"},
                7340,
            ),
            ("inletSensorDecimalDigits", {"sensorType": "rmsCurrent"}, 3),
            ("measurementsInletSensorValue", {"sensorType": "rmsVoltage"}, 229),
            (
                "measurementsInletSensorState",
                {"sensorType": "activePower", "measurementsInletSensorState": "aboveUpperWarning"},
                1,
            ),
        ],
    ),
    (
        "entity-sensor.snmprec",
        "entity_sensor",
        [
            ("entPhySensorValue", {"entPhysicalName": "Inlet Temperature"}, 243),
            ("entPhySensorPrecision", {"entPhysicalName": "Inlet Temperature"}, 1),
            (
                "entPhySensorType_info",
                {"entPhysicalName": "CPU Temperature", "entPhySensorType": "celsius"},
                1,
            ),
            (
                "entPhySensorOperStatus",
                {"entPhysicalName": "PSU1 12V", "entPhySensorOperStatus": "nonoperational"},
                1,
            ),
            ("entPhySensorUnitsDisplay", {"entPhysicalIndex": "2001", "entPhySensorUnitsDisplay": "rpm"}, 1),
        ],
    ),
    (
        "akcp-sensorprobe8-temp-humidity.snmprec",
        "akcp_sensorprobe",
        [
            ("sensorProbeTempDegree", {"sensorProbeTempDescription": "Temp.Sensor 1"}, 22),
            ("sensorProbeTempDegreeRaw", {"sensorProbeTempDescription": "Temp.Sensor 1"}, 22.1),
            ("sensorProbeTempStatus", {"sensorProbeTempIndex": "7", "sensorProbeTempStatus": "normal"}, 1),
            ("sensorProbeTempOnline", {"sensorProbeTempIndex": "1", "sensorProbeTempOnline": "offline"}, 1),
            ("sensorProbeHumidityPercent", {"sensorProbeHumidityDescription": "Custom Descr 1"}, 42),
            ("sensorProbeSwitchStatus", {"sensorProbeSwitchDescription": "USV Carrier 230V ausgefallen"}, 2),
        ],
    ),
    (
        "cisco-envmon.snmprec",
        "cisco_envmon",
        [
            ("ciscoEnvMonTemperatureStatusValue", {"ciscoEnvMonTemperatureStatusDescr": "CPU"}, 71),
            (
                "ciscoEnvMonTemperatureState",
                {"ciscoEnvMonTemperatureStatusDescr": "CPU", "ciscoEnvMonTemperatureState": "warning"},
                1,
            ),
            (
                "ciscoEnvMonSupplyState",
                {
                    "ciscoEnvMonSupplyStatusDescr": "Power Supply 2",
                    "ciscoEnvMonSupplyState": "notFunctioning",
                },
                1,
            ),
            (
                "ciscoEnvMonFanState",
                {"ciscoEnvMonFanStatusDescr": "Fan 1", "ciscoEnvMonFanState": "normal"},
                1,
            ),
            ("ciscoEnvMonVoltageStatusValue", {"ciscoEnvMonVoltageStatusDescr": "+3.3V"}, 3312),
        ],
    ),
    (
        "cisco-ios-catalyst3550.snmprec",
        "cisco_cpu",
        [
            ("cpmCPUTotal5sec", {"cpmCPUTotalIndex": "1"}, 96),
            ("cpmCPUTotal5min", {"cpmCPUTotalIndex": "1"}, 3),
            ("ciscoMemoryPoolUsed", {"ciscoMemoryPoolName": "Processor"}, 8335368),
            ("ciscoMemoryPoolFree", {"ciscoMemoryPoolName": "I/O"}, 7604636),
        ],
    ),
    (
        "huawei-vrp-s5720-36c-ei.snmprec",
        "huawei_entity",
        [
            ("hwEntityCpuUsage", {"entPhysicalIndex": "67108873", "entPhysicalName": "MPU Board 0"}, 38),
            ("hwEntityMemUsage", {"entPhysicalName": "MPU Board 0"}, 7),
            ("hwEntityTemperature", {"entPhysicalName": "MPU Board 0"}, 42),
        ],
    ),
    (
        "bgp4-frr.snmprec",
        "bgp4",
        [
            ("bgpLocalAs", {}, 65001),
            ("bgpPeerState", {"bgpPeerRemoteAddr": "10.0.12.2", "bgpPeerRemoteAs": "65002"}, 6),
            ("bgpPeerState", {"bgpPeerRemoteAddr": "10.0.13.2", "bgpPeerRemoteAs": "65003"}, 1),
            ("bgpPeerIdentifier", {"bgpPeerRemoteAddr": "10.0.12.2", "bgpPeerIdentifier": "10.255.0.2"}, 1),
            ("bgpPeerFsmEstablishedTransitions", {"bgpPeerRemoteAddr": "10.0.12.2"}, 1),
        ],
    ),
    (
        "ospf-frr.snmprec",
        "ospf",
        [
            ("ospfRouterId", {"ospfRouterId": "10.255.0.1"}, 1),
            (
                "ospfNbrState",
                {"ospfNbrIpAddr": "10.0.12.2", "ospfNbrAddressLessIndex": "0", "ospfNbrRtrId": "10.255.0.2"},
                8,
            ),
            ("ospfNbrState", {"ospfNbrIpAddr": "10.0.13.2", "ospfNbrRtrId": "10.255.0.3"}, 3),
            ("ospfNbrEvents", {"ospfNbrIpAddr": "10.0.13.2"}, 41),
        ],
    ),
]


@pytest.mark.parametrize(("recording", "module", "expected"), CASES, ids=[f"{c[1]}-{c[0]}" for c in CASES])
def test_module_against_recording(
    agents: Agents,
    scrape: Callable[..., str],
    recording: str,
    module: str,
    expected: list[tuple[str, dict[str, str], float]],
) -> None:
    agent = agents(recording)
    text = scrape(agent.target, module)
    series = parse_series(text, skip_prefix="")
    assert series_value(series, "snmp_scrape_error", module=module) == 0, text
    for name, labels, value in expected:
        assert series_value(series, name, **labels) == pytest.approx(value), (name, labels)


def test_every_bundled_module_is_tested() -> None:
    assert set(load().modules) - {"if_mib"} == {c[1] for c in CASES}


def test_no_total_suffix_and_counter_type(
    agents: Agents, scrape: Callable[..., str], switch48: object
) -> None:
    """Dashboards written for snmp_exporter query ifHCInOctets, a counter without _total."""
    agent = agents("cisco-ios-catalyst3550.snmprec")
    text = scrape(agent.target, "if_mib")
    assert "# TYPE ifHCInOctets counter" in text or "# TYPE ifInOctets counter" in text
    assert "_total" not in text
    series = parse_series(text)
    names = {name for name, _ in series}
    assert {"ifInOctets", "ifOperStatus", "ifType_info", "ifPhysAddress"} <= names
    labels = {k for (n, labs) in series if n == "ifInOctets" for k, _ in labs}
    assert labels == {"ifIndex", "ifName", "ifAlias", "ifDescr"}
