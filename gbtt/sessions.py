"""Driver sessions of a job that reaches several devices from the controller (the interconnect
and meeting jobs): each device opened once, with the variables of its inventory host, and every
secret met kept so that messages and diffs can be redacted."""

from __future__ import annotations

from typing import Callable

from gbtt import model as m
from gbtt.deploy import connection_params
from gbtt.drivers.base import Driver, DriverError, driver_for, redact


class Sessions:
    def __init__(self, variables_of: Callable[[str], dict]):
        self.variables_of = variables_of
        self.drivers: dict[str, Driver] = {}
        self.secrets: list[str] = []

    def driver(self, dev: m.Device, scope: str | None = None) -> Driver:
        """The open driver of ``dev`` (opened on first use; ``scope``: the MCU ownership scope)."""
        if dev.host not in self.drivers:
            params, secrets = connection_params(self.variables_of(dev.host))
            if scope is not None:
                params.extra["scope"] = scope
            self.secrets += [s for s in secrets.values() if s] + list(params.extra["secrets"])
            driver = driver_for(dev.platform)(dev.host, params)
            driver.open()
            self.drivers[dev.host] = driver
        return self.drivers[dev.host]

    def close(self) -> None:
        for driver in self.drivers.values():
            try:
                driver.close()
            except DriverError:
                pass

    def redact(self, text: str) -> str:
        return redact(text, self.secrets)
