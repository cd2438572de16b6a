"""A socket-free stand-in for the lab core, for unit tests of the device simulators.

Timers run when the test calls ``advance(seconds)`` (or ``fire_all()``), never on their own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable


@dataclass
class _Timer:
    due: float
    callback: Callable[[], None]
    cancelled: bool = False

    def cancel(self) -> None:
        self.cancelled = True


@dataclass
class FakeLab:
    seconds_per_minute: float = 60.0
    now: float = 0.0
    devices: dict = field(default_factory=dict)      # host -> Device
    timers: list = field(default_factory=list)
    entries: list = field(default_factory=list)      # (host, event, detail)

    def call_later(self, seconds: float, callback: Callable[[], None]) -> _Timer:
        timer = _Timer(self.now + seconds, callback)
        self.timers.append(timer)
        return timer

    def advance(self, seconds: float) -> None:
        self.now += seconds
        for timer in sorted(self.timers, key=lambda t: t.due):
            if not timer.cancelled and timer.due <= self.now:
                timer.cancelled = True
                timer.callback()

    def fire_all(self) -> None:
        self.advance(float("inf"))

    def device(self, host: str):
        return self.devices.get(host)

    def device_by_address(self, address: str):
        for dev in self.devices.values():
            if address in (dev.facts.address, dev.facts.host):
                return dev
        return None

    def log(self, host: str, event: str, detail: str) -> None:
        self.entries.append((host, event, detail))
