"""``HostKeys``: a device's own lines of a known_hosts file, plain or hashed, nothing else."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

import pytest

from gbtt.drivers.base import HostKeys

KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB5cw1d0yB1YwQnhS3l8bSVzS0i1v2lTtQp3bA0B6b0v"


def hashed(name: str, salt: bytes = b"0123456789abcdefghij") -> str:
    mac = hmac.new(salt, name.encode(), hashlib.sha1).digest()
    return f"|1|{base64.b64encode(salt).decode()}|{base64.b64encode(mac).decode()}"


def test_only_the_devices_lines(tmp_path):
    source = tmp_path / "known_hosts"
    source.write_text("\n".join([
        "# comment [127.0.0.1]:20001",
        f"[127.0.0.1]:20001 {KEY} a",
        f"[127.0.0.1]:20002 {KEY} b",
        f"other,[127.0.0.1]:20001 {KEY} c",
        f"{hashed('[127.0.0.1]:20001')} {KEY} d",
        f"{hashed('[127.0.0.1]:20003')} {KEY} e",
        f"@revoked [127.0.0.1]:20001 {KEY} f",
        f"127.0.0.1 {KEY} g",
        "",
    ]))
    keys = HostKeys(str(source), "127.0.0.1", 20001)
    try:
        lines = open(keys.path, encoding="utf-8").read().splitlines()
        assert [line.rsplit(" ", 1)[1] for line in lines] == ["a", "c", "d", "f"]
        assert oct(os.stat(keys.path).st_mode & 0o777) == "0o600"
    finally:
        keys.remove()
    assert not os.path.exists(keys.path)
    port22 = HostKeys(str(source), "127.0.0.1", 22)
    assert open(port22.path, encoding="utf-8").read().split()[-1] == "g"
    port22.remove()
    nothing = HostKeys(str(source), "127.0.0.9", 20001)
    assert open(nothing.path, encoding="utf-8").read() == ""   # nothing trusted
    nothing.remove()


def test_a_missing_file_is_an_error(tmp_path):
    with pytest.raises(OSError):
        HostKeys(str(tmp_path / "none"), "127.0.0.1", 22)
