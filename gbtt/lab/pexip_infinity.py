"""Lab simulator of pexip_infinity (work in progress, issue 11)."""

from __future__ import annotations

from typing import ClassVar

from gbtt.lab.device import Device


class PexipMcu(Device):
    platform: ClassVar[str] = "pexip_infinity"
    protocol: ClassVar[str] = "https"
