"""Lab simulator of huawei_vrp (work in progress, issue 11)."""

from __future__ import annotations

from typing import ClassVar

from gbtt.lab.device import Device


class VrpRouter(Device):
    platform: ClassVar[str] = "huawei_vrp"
    protocol: ClassVar[str] = "ssh"
