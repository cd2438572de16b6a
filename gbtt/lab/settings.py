"""Where a lab lives and which port each device gets: shared by the lab and the inventory plugin.

A lab belongs to a lab inventory source (``inventory/lab/lab.gbtt.yml``, whose ``lab:`` key
marks it).  Its state folder (keys, CA, device state, request log, control socket) is
``<source folder>/.lab`` unless ``$GBTT_LAB_DIR`` says otherwise; device ports are
``base_port + i`` for the i-th host name in sorted order (``$GBTT_LAB_BASE_PORT`` overrides
the source's ``base_port``).  The mapping needs no running lab, so the inventory and the lab
agree without talking to each other, and a restarted lab serves every host on the same port.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

DEFAULT_BASE_PORT = 20000
LAB_ADDRESS = "127.0.0.1"


class LabSettingsError(ValueError):
    pass


@dataclass(frozen=True)
class LabSettings:
    state_dir: Path
    base_port: int
    address: str = LAB_ADDRESS

    @property
    def known_hosts(self) -> Path:
        return self.state_dir / "known_hosts"

    @property
    def ca_bundle(self) -> Path:
        return self.state_dir / "ca.pem"

    @property
    def control_socket(self) -> Path:
        return self.state_dir / "control.sock"

    @property
    def info_file(self) -> Path:
        return self.state_dir / "lab.json"

    @property
    def request_log(self) -> Path:
        return self.state_dir / "requests.log"

    def ports(self, hosts: list[str]) -> dict[str, int]:
        ports = {host: self.base_port + i for i, host in enumerate(sorted(hosts))}
        if ports and max(ports.values()) > 65535:
            raise LabSettingsError(f"{len(ports)} devices from port {self.base_port} go past 65535: "
                                   "lower lab.base_port")
        return ports


def settings_for(source_config: Path | None, options: dict | None) -> LabSettings:
    """The lab of an inventory source (``options`` is its ``lab:`` mapping)."""
    options = options or {}
    if not isinstance(options, dict):
        raise LabSettingsError("lab: must be a mapping, e.g. {base_port: 20000}")
    unknown = set(options) - {"base_port", "state_dir"}
    if unknown:
        raise LabSettingsError(f"lab: unknown key(s) {', '.join(sorted(unknown))} (allowed: base_port, state_dir)")
    base = os.environ.get("GBTT_LAB_BASE_PORT") or options.get("base_port", DEFAULT_BASE_PORT)
    try:
        base_port = int(base)
    except (TypeError, ValueError):
        raise LabSettingsError(f"lab base_port must be a port number, got {base!r}") from None
    if not 1024 <= base_port <= 65535:
        raise LabSettingsError(f"lab base_port {base_port}: use an unprivileged port, 1024-65535")
    folder = source_config.parent if source_config else Path.cwd()
    state = os.environ.get("GBTT_LAB_DIR") or options.get("state_dir") or ".lab"
    return LabSettings(state_dir=(folder / state).resolve(), base_port=base_port)
