"""Driver of huawei_vrp (work in progress, issue 11)."""

from __future__ import annotations

from typing import ClassVar

from gbtt.drivers.base import Driver


class VrpDriver(Driver):
    platform: ClassVar[str] = "huawei_vrp"
    device_class: ClassVar[str] = "router"
