"""Lab simulator of poly_group (work in progress, issue 11)."""

from __future__ import annotations

from typing import ClassVar

from gbtt.lab.device import Device


class PolyCodec(Device):
    platform: ClassVar[str] = "poly_group"
    protocol: ClassVar[str] = "https"
