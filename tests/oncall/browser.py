"""A real browser for the board's tests: Debian's Chromium, headless, driven by Debian's chromedriver.

Nothing is downloaded at run time. Selenium Manager (which would fetch a driver and a browser from
the internet) never runs: the driver's path is given to `Service`, the browser's to the options, and
`SE_OFFLINE` is set in case a later Selenium asks it anyway (tests/oncall/test_browser.py checks).

Chromium runs as root here (the lab's machine), hence `--no-sandbox`; every profile is fresh (its own
`--user-data-dir`), and the background services that would reach the network (sync, component
updates, field trials, QUIC) are off. The console is logged (`goog:loggingPrefs`), so a test can assert
a page logged no error: a Content-Security-Policy violation (an inline script or style) lands there.

The board itself is served for real, `infra oncall serve` under uvicorn in a subprocess (`served_board`).
"""

from __future__ import annotations

import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.ports import BIND_RETRIES, free_port, port_in_use

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
ROOT = Path(__file__).resolve().parents[2]
CHROMIUM_FLAGS = (
    "--headless=new",
    "--no-sandbox",  # Chromium refuses to start as root with its sandbox
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--disable-features=Translate,OptimizationHints,MediaRouter",
    "--hide-scrollbars",
    "--force-device-scale-factor=1",
)
WIDTH = 1280  # the screenshots' width, and the window's


class BrowserMissing(RuntimeError):
    """Debian's chromium or chromium-driver is not installed (scripts/setup.sh installs them)."""


def browser_missing() -> str | None:
    """Why no browser test can run here, or None."""
    for path in (CHROMIUM, CHROMEDRIVER):
        if not os.access(path, os.X_OK):
            return f"{path} is not installed (apt-get install chromium chromium-driver)"
    return None


@contextmanager
def chromium(height: int = 900) -> Iterator[Any]:
    """A headless Chromium (a selenium WebDriver) with a fresh profile; quit on exit."""
    if why := browser_missing():
        raise BrowserMissing(why)
    os.environ["SE_OFFLINE"] = "true"  # Selenium Manager: never reach the network
    from selenium import webdriver
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    profile = Path(tempfile.mkdtemp(prefix="oncall-chromium-"))
    options = Options()
    options.binary_location = str(CHROMIUM)
    for flag in (*CHROMIUM_FLAGS, f"--user-data-dir={profile}", f"--window-size={WIDTH},{height}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    log = profile.with_suffix(".chromedriver.log")
    try:
        for attempt in range(1, BIND_RETRIES + 1):
            # chromedriver binds the port we give it: one from the suite's allocator, not
            # Selenium's bind-0-then-close; retried when something else took it meanwhile.
            service = Service(executable_path=str(CHROMEDRIVER), port=free_port(), log_output=str(log))
            try:
                driver = webdriver.Chrome(service=service, options=options)
                break
            except WebDriverException:
                said = log.read_text(errors="replace") if log.exists() else ""
                if attempt == BIND_RETRIES or not (port_in_use(said) or "bind() failed" in said):
                    raise
        try:
            yield driver
        finally:
            driver.quit()
    finally:
        shutil.rmtree(profile, ignore_errors=True)
        log.unlink(missing_ok=True)


def console_errors(driver: Any) -> list[str]:
    """The console's errors since the last call (the log is drained by reading it)."""
    return [e["message"] for e in driver.get_log("browser") if e.get("level") == "SEVERE"]


def screenshot(driver: Any, path: Path) -> None:
    """The whole page, WIDTH pixels wide, as a PNG at PATH."""
    height = int(driver.execute_script("return document.documentElement.scrollHeight"))
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": WIDTH, "height": max(height, 400), "deviceScaleFactor": 1, "mobile": False},
    )
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(driver.get_screenshot_as_png())
    finally:
        driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def png_size(path: Path) -> tuple[int, int]:
    """Width and height of a PNG, from its IHDR chunk."""
    head = path.read_bytes()[:24]
    if head[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError(f"{path} is not a PNG")
    width, height = struct.unpack(">II", head[16:24])
    return int(width), int(height)


@dataclass(frozen=True)
class ServedBoard:
    url: str
    process: subprocess.Popen[bytes]
    log: Path


def infra_command() -> list[str]:
    """This environment's `infra` (the console script beside the running Python)."""
    script = Path(sys.executable).parent / "infra"
    return [str(script)] if script.is_file() else [sys.executable, "-m", "infra.cli"]


@contextmanager
def served_board(
    prometheus: str, alertmanager: str, state: Path, inventory: Path = ROOT / "inventory", refresh: int = 1
) -> Iterator[ServedBoard]:
    """`infra oncall serve` in a subprocess on a loopback port (retried if another program binds it
    first); yields once /-/healthy answers, stops the server on exit."""
    env = dict(os.environ, INFRA_STATE_DIR=str(state))
    vault = ROOT / "lab" / "vault-password"
    if "ANSIBLE_VAULT_PASSWORD_FILE" not in env and vault.is_file():
        env["ANSIBLE_VAULT_PASSWORD_FILE"] = str(vault)  # the example inventory's (lab) vault
    state.mkdir(parents=True, exist_ok=True)
    log = state / "oncall-serve.log"
    for attempt in range(1, BIND_RETRIES + 1):
        port = free_port()
        argv = [
            *infra_command(),
            "--inventory",
            str(inventory),
            "oncall",
            "serve",
            f"--listen=127.0.0.1:{port}",
            f"--prometheus={prometheus}",
            f"--alertmanager={alertmanager}",
            f"--refresh={refresh}",
        ]
        with log.open("wb") as out:
            proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=state)
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while proc.poll() is None and time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"{url}/-/healthy", timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        if proc.poll() is None and time.monotonic() < deadline:
            break
        stop(proc)
        said = log.read_text(errors="replace")
        if attempt == BIND_RETRIES or not port_in_use(said):
            raise RuntimeError(f"infra oncall serve did not answer on {url}: {said[-2000:]}")
    try:
        yield ServedBoard(url, proc, log)
    finally:
        stop(proc)


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


def process_tree(root: int) -> set[int]:
    """ROOT and every process below it (from /proc)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue  # the process ended meanwhile
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    tree, todo = set(), [root]
    while todo:
        pid = todo.pop()
        tree.add(pid)
        todo += children.get(pid, [])
    return tree


def browser_peers(driver: Any) -> set[str]:
    """The remote addresses of every TCP/UDP socket chromedriver and Chromium hold right now."""
    pids = process_tree(driver.service.process.pid)
    listing = subprocess.run(["ss", "-tunapH"], capture_output=True, text=True, timeout=10, check=True).stdout
    peers = set()
    for line in listing.splitlines():
        owners = {int(p) for p in re.findall(r"pid=(\d+)", line)}
        fields = line.split()
        if owners & pids and len(fields) >= 6:
            host = fields[5].rsplit(":", 1)[0].strip("[]")
            if host not in ("*", "0.0.0.0", "::"):
                peers.add(host)
    return peers
