"""Shared fixtures: the repository root, a private registry cache, helpers to run commands."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
MINI = ROOT / "tests" / "fixtures" / "mini"
BIN = Path(sys.executable).parent


@pytest.fixture(autouse=True)
def _private_cache(tmp_path_factory, monkeypatch):
    """Every test gets its own registry cache, so no test sees another's cached result."""
    monkeypatch.setenv("GBTT_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))


@pytest.fixture
def mini(tmp_path) -> Path:
    """A writable copy of the miniature province."""
    dest = tmp_path / "mini"
    shutil.copytree(MINI, dest)
    return dest


def tool(name: str) -> str:
    """An executable installed beside the running Python (the project's venv)."""
    path = BIN / name
    return str(path) if path.exists() else (shutil.which(name) or name)


def run(args: list[str], cwd: Path = ROOT, input_text: str | None = None, **env: str) -> subprocess.CompletedProcess:
    full_env = {**os.environ, "NO_COLOR": "1", "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"),
                "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}", **env}
    return subprocess.run(args, cwd=cwd, env=full_env, capture_output=True, text=True, check=False,
                          input=input_text, stdin=None if input_text is not None else subprocess.DEVNULL)


# =========================================================================================
# The embedded lab, for integration tests: one per pytest worker, on its own ports
# =========================================================================================

LAB_INVENTORY = ROOT / "inventory" / "lab"


class Lab:
    """A running lab: ports, credentials and faults of its devices (see docs/lab.md)."""

    def __init__(self, state_dir: Path, base_port: int, seconds_per_minute: float):
        from gbtt import registry
        from gbtt.lab.settings import LabSettings
        self.settings = LabSettings(state_dir, base_port)
        self.env = {"GBTT_LAB_DIR": str(state_dir), "GBTT_LAB_BASE_PORT": str(base_port)}
        self.seconds_per_minute = seconds_per_minute
        reg = registry.load(LAB_INVENTORY).registry
        self.registry = reg
        self.ports = self.settings.ports([d.host for d in reg.devices()])
        self.address = {d.host: d.address for d in reg.devices()}

    def gbtt(self, *args: str) -> subprocess.CompletedProcess:
        return run([tool("gbtt"), "lab", *args, "-i", str(LAB_INVENTORY)] if args[0] != "fault" else
                   [tool("gbtt"), "lab", "fault", "-i", str(LAB_INVENTORY), *args[1:]], **self.env)

    def fault(self, host: str, kind: str, *args: str) -> str:
        proc = self.gbtt("fault", host, kind, *args)
        assert proc.returncode == 0, proc.stderr
        return proc.stdout

    def up(self, *extra: str) -> None:
        proc = self.gbtt("up", "--seconds-per-minute", str(self.seconds_per_minute), *extra)
        assert proc.returncode == 0, proc.stdout + proc.stderr

    def down(self) -> None:
        self.gbtt("down")

    def host_variables(self, *hosts: str, inventory: Path = LAB_INVENTORY) -> dict[str, dict]:
        """The variables of ``hosts`` as the playbooks see them, with this lab's ports and state
        folder (gbtt.hostvars, under the lab's environment)."""
        from gbtt import hostvars
        saved = {k: os.environ.get(k) for k in self.env}
        os.environ.update(self.env)
        try:
            every = hostvars.load_hosts(Path(inventory))
        finally:
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v
        return {h: every[h] for h in hosts}

    def log_entries(self, host: str) -> list[dict]:
        import json
        import time
        time.sleep(0.3)  # the lab flushes its request log every 0.2 s
        path = self.settings.request_log
        return [e for e in map(json.loads, path.read_text(encoding="utf-8").splitlines()) if e["host"] == host]

    def netmiko(self, host: str, device_type: str, **kw):
        from netmiko import ConnectHandler
        login = {"codec": ("gbtt", "lab-codec-only"), "router": ("gbtt", "lab-router-only")}[
            "codec" if host.endswith("-codec") else "router"]
        params = dict(device_type=device_type, host="127.0.0.1", port=self.ports[host], username=login[0],
                      password=login[1], ssh_strict=True, system_host_keys=False, alt_host_keys=True,
                      alt_key_file=str(self.settings.known_hosts), allow_agent=False, use_keys=False,
                      secret="lab-enable-only")
        params.update(kw)
        return ConnectHandler(**params)


def _worker_index() -> int:
    name = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    return int(name[2:]) if name[2:].isdigit() else 0


#: port blocks of 600 (the province has 493 devices) per pytest worker and purpose, from 21000
#: to 30000: the developer's own lab uses 20000-20599, the molecule scenarios 30000-32399, and
#: Linux hands 32768-60999 to outgoing connections (a lab port taken by one of them would make
#: ``gbtt lab up`` fail at random).
_LAB_PURPOSES = ("session", "lifecycle")


def lab_base_port(purpose: str) -> int:
    slot = _worker_index() * len(_LAB_PURPOSES) + _LAB_PURPOSES.index(purpose)
    port = 21000 + 600 * slot
    if port + 600 > 30000:
        raise RuntimeError(f"too many pytest workers for the lab port blocks 21000-30000 (worker {_worker_index()}): "
                           "run with fewer workers (-n 4 at most)")
    return port


@pytest.fixture(scope="session")
def lab(tmp_path_factory) -> Lab:
    """The whole lab province, up for the test session. Lab time: a device minute is 4 s, long
    enough for NAPALM to commit and confirm within a 1-minute revert timer, short enough to
    watch one expire."""
    handle = Lab(tmp_path_factory.mktemp("lab"), lab_base_port("session"), 4.0)
    # $GBTT_TEST_LAB_LIMIT: only these systems or host patterns (gbtt lab up --limit), for a
    # quick loop on one platform's tests; the full suite runs the whole province
    limit = os.environ.get("GBTT_TEST_LAB_LIMIT")
    handle.up(*(("--limit", limit) if limit else ()))
    yield handle
    handle.down()


# =========================================================================================
# Documents as a person sees them: headless Chromium (Debian's /usr/bin/chromium, .ci/run installs it)
# =========================================================================================

@contextlib.contextmanager
def browser():
    """A headless Chromium (Playwright), closed on exit; the test fails when none is installed."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.fail("Chromium is needed to look at the documents: apt-get install chromium (.ci/run does)")
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium, headless=True,
                              args=["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                                    "--disable-component-update", "--disable-sync"])
        try:
            yield b
        finally:
            b.close()
