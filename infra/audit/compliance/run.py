"""`run_compliance`: find the configurations (a directory, or the live devices), parse each, apply
the catalogue, and return one report. One device never stops the run: a file that cannot be
read or parsed becomes an AUDIT-UNPARSEABLE finding."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from infra.audit.compliance.catalogue import CATALOGUE_PLATFORMS, RULES_DIR, Rule, load_catalogue, rules_for
from infra.audit.compliance.checks import Evidence, Facts
from infra.audit.compliance.engine import PLACEHOLDERS, UNPARSEABLE, audit_device, unparseable
from infra.audit.compliance.linux import gather_linux_facts, is_server_tree, parse_linux, read_tree
from infra.audit.compliance.parse import (
    NETWORK,
    DeviceConfig,
    UnparseableConfig,
    decode,
    looks_binary,
    parse_cisco_tp,
    parse_network,
)
from infra.audit.compliance.platforms import guess_platform
from infra.audit.compliance.report import AppliedWaiver, ComplianceReport, DeviceReport, RuleResult, Status
from infra.inventory import Inventory
from infra.inventory.models import Host, Platform, Waiver
from infra.results import Result, on_each_host
from infra.safety import ready_to_contact

MAX_CONFIG_BYTES = 20_000_000
_SKIP = {".git", ".svn", "__pycache__"}
_SUFFIXES = (".cfg", ".conf", ".config", ".txt", ".running", ".log")


class UnsupportedPlatform(UnparseableConfig):
    """A configuration of a platform the catalogue has no rules for (Junos, FortiOS, ...)."""


class ComplianceInputError(Exception):
    """Bad input to the audit (a directory that does not exist, an unknown platform)."""


@dataclass
class Job:
    """One device to audit: where its configuration is and what the inventory knows of it."""

    name: str
    origin: str
    path: Path | None = None
    files: dict[str, str] | None = None  # server files gathered online
    text: str | None = None  # a configuration fetched online
    platform: str | None = None
    hint: str | None = None  # the inventory's platform, when the content does not tell
    site: str = "(unknown)"
    role: str | None = None
    facts: Facts = field(default_factory=Facts)
    waivers: tuple[Waiver, ...] = ()
    error: str | None = None
    parser: str = "indent"  # or "hier_config" (see parse.parse_network)
    platform_option: bool = False  # `platform` is the operator's --platform: warn if the file is unlike it
    warnings: list[str] = field(default_factory=list)


def baseline_context(inv: Inventory | None) -> dict[str, Any]:
    if inv is None:
        return dict(PLACEHOLDERS)
    from infra.render.codec import sip_proxy

    b, mgmt, vc = inv.baseline, inv.pools.management, inv.vc
    return {
        "sip_proxy": sip_proxy(inv) or PLACEHOLDERS["sip_proxy"],
        "sip_domain": vc.domain if vc is not None else PLACEHOLDERS["sip_domain"],
        "ntp_servers": [str(a) for a in b.ntp_servers],
        "syslog_servers": [str(a) for a in b.syslog_servers],
        "aaa_servers": [str(a) for a in b.aaa_servers],
        "banner": b.banner,
        "idle_timeout_minutes": b.idle_timeout_minutes,
        "login_max_failures": b.login_max_failures,
        "mgmt_network": str(mgmt.network_address),
        "mgmt_wildcard": str(mgmt.hostmask),
        "mgmt_prefix": mgmt.prefixlen,
        "mgmt_mask": str(mgmt.netmask),
    }


def _host_job(job: Job, host: Host | None, inv: Inventory | None) -> Job:
    if host is not None and inv is not None:
        job.site, job.role, job.waivers = host.site, host.role.value, host.compliance_waivers
        ifaces = inv.interfaces.get(host.name, ())  # production names, and the lab's (FRR stand-in)
        job.facts = Facts({**{i.lab_name: i.kind for i in ifaces}, **{i.name: i.kind for i in ifaces}})
        if host.platform.value in CATALOGUE_PLATFORMS:
            job.hint = inv.stand_in_platform(host).value
    return job


def _device_name(relative: Path) -> str:
    name = relative.as_posix()
    for suffix in _SUFFIXES:
        name = name.removesuffix(suffix)
    return name


def offline_jobs(
    directory: Path, inv: Inventory | None, limit: str | None, platform: str | None
) -> list[Job]:
    """One job per file (or server tree) under `directory`. A device is named by its file name
    without the folder it was found in, however the folder is spelled (`configs`, `./configs/`,
    an absolute path), so inventory host names, waivers and `--limit` match; the same name in
    two folders is named by its path below `directory` so neither hides the other."""
    if not directory.is_dir():
        raise ComplianceInputError(f"--offline {directory}: not a directory")
    wanted = {h.name for h in inv.select(limit)} if inv is not None and limit else None
    jobs: list[Job] = []
    paths = list(_walk(directory))
    stems = [_device_name(Path(p.name)) for p in paths]
    for path, name in zip(paths, stems, strict=True):
        if wanted is not None and name not in wanted:
            continue
        shown = name if stems.count(name) == 1 else _device_name(path.relative_to(directory))
        job = Job(shown, str(path), path=path, platform="linux" if path.is_dir() else platform)
        job.platform_option = platform is not None and not path.is_dir()
        jobs.append(_host_job(job, inv.hosts.get(name) if inv else None, inv))
    return jobs


def _walk(directory: Path) -> Iterator[Path]:
    for entry in sorted(directory.iterdir()):
        if entry.name in _SKIP or entry.name.startswith("."):
            continue
        if is_server_tree(entry):
            yield entry
        elif entry.is_dir() and not entry.is_symlink():  # a symlinked folder could loop
            yield from _walk(entry)
        elif entry.is_file():
            yield entry


def fetch_running_config(inv: Inventory, host: Host) -> str:
    """The running configuration of a network device or codec, through the platform's driver
    (`driver_for(platform)`, Netmiko). A codec is first tried with its factory login
    (audit/compliance/codec.py); the result is the last line of what is audited."""
    from infra.drivers.base import driver_for
    from infra.drivers.targets import target_for

    target = target_for(inv, host)
    if host.platform == Platform.CISCO_TP:
        from infra.audit.compliance.codec import factory_login, with_factory_login

        probe = factory_login(target)  # first: the managed login right after is a good one
        with driver_for(target.platform)(target) as driver:
            return with_factory_login(str(driver.get_running_config()), probe)
    with driver_for(target.platform)(target) as driver:
        return str(driver.get_running_config())


def online_jobs(
    inv: Inventory,
    limit: str | None,
    fetch_network: Callable[[Inventory, Host], str] | None = None,
    forks: int = 25,
) -> list[Job]:
    """Gather from the live devices, `forks` at a time: servers over SSH; network devices and
    codecs through `fetch_network` (default: the platform's driver). Hosts the audit has no rules
    for are left out. One unreachable host never stops the run."""
    hosts = [h for h in inv.select(limit) if h.platform.value in CATALOGUE_PLATFORMS]
    ready_to_contact(inv)  # a lab province only while its lab is up; every secret known to mask

    def gather(host: Host) -> Result:
        if host.is_server:
            v = host.ansible_vars
            files = gather_linux_facts(
                str(v.get("ansible_host", host.mgmt_address)),
                port=int(v.get("ansible_port", 22)),
                username=str(v.get("ansible_user", inv.credentials.server_username)),
                key_filename=v.get("ansible_ssh_private_key_file") or os.environ.get("INFRA_SSH_KEY"),
            )
            return Result(host.name, details={"files": files})
        return Result(host.name, details={"text": (fetch_network or fetch_running_config)(inv, host)})

    results = on_each_host(hosts, gather, forks=forks, name=lambda h: h.name, mask=inv.secrets.mask)
    jobs = []
    for host, r in zip(hosts, results, strict=True):
        job = _host_job(Job(host.name, "online"), host, inv)
        job.platform = inv.stand_in_platform(host).value
        if r.ok:
            job.files, job.text = r.details.get("files"), r.details.get("text")
        else:
            job.error = f"could not gather: {r.exception or r.message}"
        jobs.append(job)
    return jobs


def _parse(job: Job) -> DeviceConfig:
    if job.error:
        raise UnparseableConfig(job.error)
    if job.files is not None:
        return parse_linux(job.name, job.files, job.origin)
    if job.path is not None and job.path.is_dir():
        return parse_linux(job.name, read_tree(job.path), job.origin)
    if job.text is not None:
        text = job.text
    else:
        assert job.path is not None
        size = job.path.stat().st_size
        if size > MAX_CONFIG_BYTES:
            raise UnparseableConfig(f"the file is {size} bytes, more than a configuration can be")
        data = job.path.read_bytes()
        if looks_binary(data):
            raise UnparseableConfig("the file is binary, not configuration text")
        text = decode(data)
    if not text.strip():
        raise UnparseableConfig("the file is empty")
    if not any(ln.strip() and ln.strip()[0] not in "!#" for ln in text.splitlines()):
        raise UnparseableConfig("no configuration commands found (only comments)")
    job.platform = platform = _platform(job, text)
    if platform in NETWORK:
        return parse_network(job.name, platform, text, job.origin, parser=job.parser)
    if platform == "cisco_tp":
        return parse_cisco_tp(job.name, text, job.origin)
    if platform == "linux":
        return parse_linux(job.name, {"/etc/ssh/sshd_config": text}, job.origin)
    raise UnparseableConfig(f"no compliance rules for platform {platform}")


def _platform(job: Job, text: str) -> str:
    """The platform to audit a text as: the operator's --platform (with a warning when the content
    looks like another platform), else what the content looks like, else the inventory's."""
    guess = guess_platform(text)
    if job.platform is not None:
        if job.platform_option and guess.platform not in (None, job.platform):
            job.warnings.append(
                f"{job.origin}: --platform {job.platform}, but it looks like {guess.describe()}"
            )
        return job.platform
    if guess.platform in CATALOGUE_PLATFORMS:
        return guess.platform
    if guess.platform is not None:
        job.platform = guess.platform
        supported = ", ".join(CATALOGUE_PLATFORMS)
        raise UnsupportedPlatform(
            f"unsupported platform: {guess.describe()}; the audit has rules for {supported}"
        )
    if job.hint is not None:
        return job.hint
    raise UnparseableConfig("its platform cannot be told from the content (name it with --platform)")


def audit_job(job: Job, today: date, context: dict[str, Any], rules_dir: Path = RULES_DIR) -> DeviceReport:
    report = DeviceReport(job.name, job.platform, job.origin, job.site, job.role, warnings=job.warnings)
    try:
        device = _parse(job)
    except UnsupportedPlatform as exc:
        report.platform = job.platform
        fix = (
            f"Audit {job.platform} devices with that platform's own benchmark; `infra audit --compliance` "
            "has no rules for it (docs/compliance.md lists the platforms it has)."
        )
        return unparseable(report, str(exc), remediation=fix)
    except UnparseableConfig as exc:
        report.platform = job.platform
        return unparseable(report, str(exc), "server" if job.platform == "linux" else "network")
    except (OSError, RecursionError, ValueError) as exc:
        return unparseable(report, f"{type(exc).__name__}: {exc}")
    report.platform = device.platform
    return audit_device(
        device,
        report,
        rules_for(device.platform, rules_dir),
        facts=job.facts,
        waivers=job.waivers,
        today=today,
        context=context,
    )


Packed = tuple[
    str,
    str | None,
    str,
    str,
    str | None,
    list[tuple[str, str, list[Evidence], str, AppliedWaiver | None]],
    list[str],
]


def _audit_many(args: tuple[list[Job], date, dict[str, Any], Path]) -> list[Packed]:
    """Audit in a worker process; results travel back as plain tuples (rule ids, not pydantic
    models: pickling 27,000 rule objects cost more than the audit)."""
    jobs, today, context, rules_dir = args
    out: list[Packed] = []
    for job in jobs:
        d = audit_job(job, today, context, rules_dir)
        results = [(r.rule.id, r.status.value, r.evidence, r.remediation, r.waiver) for r in d.results]
        out.append((d.host, d.platform, d.origin, d.site, d.role, results, d.warnings))
    return out


def _unpack(packed: Packed, rules: dict[str, Rule]) -> DeviceReport:
    host, platform, origin, site, role, results, warnings = packed
    report = DeviceReport(host, platform, origin, site or "(unknown)", role, warnings=warnings)
    report.results = [
        RuleResult(rules.get(rule_id, UNPARSEABLE), Status(status), evidence, remediation, waiver)
        for rule_id, status, evidence, remediation, waiver in results
    ]
    return report


def run_compliance(
    inv: Inventory | None,
    *,
    offline: Path | None = None,
    limit: str | None = None,
    platform: str | None = None,
    today: date | None = None,
    workers: int | None = None,
    rules_dir: Path = RULES_DIR,
    fetch_network: Callable[[Inventory, Host], str] | None = None,
    parser: str = "indent",
    forks: int = 25,
) -> ComplianceReport:
    """Audit a directory of configurations (`offline`) or the live devices of the inventory."""
    if platform is not None and platform not in CATALOGUE_PLATFORMS:
        raise ComplianceInputError(
            f"--platform {platform}: no rules for it (known: {', '.join(CATALOGUE_PLATFORMS)})"
        )
    today = today or date.today()
    context = baseline_context(inv)
    if offline is not None:
        jobs, mode = offline_jobs(offline, inv, limit, platform), f"offline {offline}"
    elif inv is not None:
        jobs, mode = online_jobs(inv, limit, fetch_network, forks), "online"
    else:
        raise ComplianceInputError("online audit needs an inventory; give --offline DIR to audit files")
    for job in jobs:
        job.parser = parser
    workers = workers if workers is not None else (os.cpu_count() or 1)
    if workers > 1 and len(jobs) >= 2000:  # below that, starting processes costs more than it saves
        chunks = [jobs[i::workers] for i in range(workers)]
        with ProcessPoolExecutor(max_workers=workers) as pool:
            parts = list(pool.map(_audit_many, [(c, today, context, rules_dir) for c in chunks]))
        rules = {r.id: r for r in load_catalogue(rules_dir)}
        devices = [_unpack(p, rules) for part in parts for p in part]
    else:
        devices = [audit_job(j, today, context, rules_dir) for j in jobs]
    devices.sort(key=lambda d: (d.site, d.host))
    return ComplianceReport(devices, datetime.now(UTC).isoformat(timespec="seconds"), mode)
