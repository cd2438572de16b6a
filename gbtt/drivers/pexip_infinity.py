"""Driver of pexip_infinity (work in progress, issue 11)."""

from __future__ import annotations

from typing import ClassVar

from gbtt.drivers.base import Driver


class PexipDriver(Driver):
    platform: ClassVar[str] = "pexip_infinity"
    device_class: ClassVar[str] = "mcu"
