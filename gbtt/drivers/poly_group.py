"""Driver of poly_group (work in progress, issue 11)."""

from __future__ import annotations

from typing import ClassVar

from gbtt.drivers.base import Driver


class PolyDriver(Driver):
    platform: ClassVar[str] = "poly_group"
    device_class: ClassVar[str] = "codec"
