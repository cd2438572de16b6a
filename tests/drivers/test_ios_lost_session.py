"""A router whose SSH session dies part-way through a deploy ends with its intended configuration
or with the one it had, never in between (issue 10's chaos property, on one router): the lab
closes the session after N lines, for N spread over the whole deploy — login, reading, copying
the candidate, the replace, the health checks, the confirmation, a rollback. NAPALM turns on
``file prompt quiet`` for its file operations; a session that dies before turning it off again
must not leave it behind."""

from __future__ import annotations

import pytest

from conftest import Lab, lab_base_port
from gbtt import deploy
from gbtt.deploy import connection_params
from gbtt.drivers.base import driver_for

pytestmark = pytest.mark.lab

ROUTER = "tinh-so-tai-chinh-router"


@pytest.fixture(scope="module")
def rlab(tmp_path_factory):
    handle = Lab(tmp_path_factory.mktemp("rlab"), lab_base_port("lifecycle"), 4.0)
    handle.up("--limit", ROUTER)
    yield handle
    handle.down()


def running(variables: dict) -> str:
    params, _ = connection_params(variables)
    with driver_for("cisco_ios")(ROUTER, params) as driver:
        return driver.get_config()


@pytest.mark.parametrize("lines", range(22, 70, 8))
def test_a_session_lost_anywhere_leaves_the_router_intended_or_as_it_was(rlab, lines, tmp_path):
    assert rlab.gbtt("reset").returncode == 0
    variables = rlab.host_variables(ROUTER)[ROUTER]
    before = running(variables)
    rlab.fault(ROUTER, "drop", str(lines))
    out = deploy.deploy(ROUTER, variables, confirm_timeout=60, backup_dir=tmp_path)
    rlab.fault(ROUTER, "clear")
    rlab.fault(ROUTER, "expire")          # the router's own revert timer runs out
    after = running(variables)
    in_sync = not deploy.deploy(ROUTER, variables, check=True).changed
    assert "file prompt quiet" not in after
    if in_sync:
        return                                          # intended (whatever the run said)
    assert after == before, f"{lines} lines: neither intended nor as it was ({out.message})"
    assert out.failed, f"{lines} lines: the router was left as it was, but the run said {out.message!r}"
