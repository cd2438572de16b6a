"""The approval gate of the interconnect job (Art. 4.2), decided from the inventory alone: every
way around it named by the issue is refused, with the reason in English and Vietnamese; a
valid approval is accepted.  (tests/interconnect/test_interconnect_lab.py runs the same cases
through the playbook against the lab and checks that no MCU is written to.)"""

from __future__ import annotations

import datetime as dt

import pytest

import linkkit as kit
from gbtt import interconnect as ic
from gbtt import approvals as ap


@pytest.fixture
def inv(tmp_path):
    return kit.lab_copy(tmp_path)


def codes(decision: ic.Decision) -> set[str]:
    return {p.code for problems in decision.problems.values() for p in problems}


def test_a_valid_approval_allows_the_link(inv):
    kit.approval(inv)
    d = ic.gate(inv, "tinh-vi-xuyen")
    assert d.allowed and d.approval == "a1" and d.config_sha256 == kit.config_hash(inv, "tinh-vi-xuyen")


def test_the_shipped_lab_approvals_are_valid():
    for link in ("tinh-vi-xuyen", "tinh-cac-huyen"):
        d = ic.gate(kit.LAB, link)
        assert d.allowed, d.message()


def test_missing_approval(inv):
    d = ic.gate(inv, "tinh-vi-xuyen")
    assert not d.allowed and codes(d) == {"missing"}
    msg = d.message()
    assert "Điều 4.2" in msg and "Art. 4.2" in msg and "không có văn bản chấp thuận" in msg
    assert "No device was changed" in msg and "Không thiết bị nào bị thay đổi" in msg


def test_expired(inv):
    kit.approval(inv, valid_from=kit.moment(-dt.timedelta(days=30)), valid_until=kit.moment(-dt.timedelta(hours=1)))
    d = ic.gate(inv, "tinh-vi-xuyen")
    assert codes(d) == {"expired"} and "hết hiệu lực" in d.message()


def test_expired_by_whole_days(inv):
    yesterday = (dt.date.today() - dt.timedelta(days=2)).isoformat()
    kit.approval(inv, valid_from="2026-01-01", valid_until=yesterday)
    assert codes(ic.gate(inv, "tinh-vi-xuyen")) == {"expired"}


def test_not_yet_valid(inv):
    kit.approval(inv, valid_from=kit.moment(dt.timedelta(days=1)))
    d = ic.gate(inv, "tinh-vi-xuyen")
    assert codes(d) == {"not-yet-valid"} and "chỉ có hiệu lực từ" in d.message()


@pytest.mark.parametrize("seconds, allowed", [(200, True), (400, False)])
def test_clock_skew_allowance_at_the_start(inv, seconds, allowed):
    """The province allows 300 s of clock skew (province.approval_clock_skew_seconds default)."""
    kit.approval(inv, valid_from=kit.moment(dt.timedelta(seconds=seconds)))
    d = ic.gate(inv, "tinh-vi-xuyen")
    assert d.allowed is allowed and (allowed or codes(d) == {"not-yet-valid"})


@pytest.mark.parametrize("seconds, allowed", [(200, True), (400, False)])
def test_clock_skew_allowance_at_the_end(inv, seconds, allowed):
    kit.approval(inv, valid_until=kit.moment(-dt.timedelta(seconds=seconds)),
                 valid_from=kit.moment(-dt.timedelta(days=1)))
    d = ic.gate(inv, "tinh-vi-xuyen")
    assert d.allowed is allowed and (allowed or codes(d) == {"expired"})


def test_the_skew_allowance_is_bounded(inv):
    """An inventory cannot widen the allowance past an hour: the registry refuses it, and the
    gate refuses anything from a registry that does not validate."""
    text = (kit.ROOT / "inventory" / "hagiang" / "registry" / "province.yml").read_text(encoding="utf-8")
    (inv / "registry" / "province.yml").write_text(
        text.replace("  approving_authority: so-tttt", "  approving_authority: so-tttt\n"
                     "  approval_clock_skew_seconds: 864000"), encoding="utf-8")
    kit.approval(inv, valid_from=kit.moment(dt.timedelta(days=5)))
    d = ic.gate(inv, "tinh-vi-xuyen")
    assert codes(d) == {"inventory"} and "does not validate" in d.message()


def test_approval_covering_other_systems(inv):
    kit.approval(inv, systems=["tinh", "bac-me"])
    d = ic.gate(inv, "tinh-vi-xuyen")
    assert codes(d) == {"systems"}


def test_signed_by_a_key_not_in_allowed_signers(inv, tmp_path):
    kit.approval(inv, key=kit.other_key(tmp_path))
    d = ic.gate(inv, "tinh-vi-xuyen")
    assert codes(d) == {"signature"} and "chữ ký số không hợp lệ" in d.message()


def test_unsigned(inv):
    kit.approval(inv, key=None)
    assert codes(ic.gate(inv, "tinh-vi-xuyen")) == {"signature"}


def test_no_allowed_signers_file_trusts_nobody(inv):
    kit.approval(inv)
    (inv / "trust" / "allowed_signers").unlink()
    assert codes(ic.gate(inv, "tinh-vi-xuyen")) == {"signature"}


@pytest.mark.parametrize("field, value", [("purpose", "Họp khác"), ("valid_until", "2099-12-31"),
                                          ("systems", ["tinh", "vi-xuyen", "bac-me"]),
                                          ("number", "124/STTTT-CNTT")])
def test_a_field_edited_after_signing(inv, field, value):
    kit.approval(inv, edit_after_signing={field: value})
    d = ic.gate(inv, "tinh-vi-xuyen")
    assert "signature" in codes(d) and not d.allowed


def test_an_approval_of_one_link_replayed_for_another(inv):
    """The approval (and signature) of tinh-vi-xuyen, re-pointed at tinh-cac-huyen: the
    signature breaks; pinned as it is, it covers another link and other systems."""
    kit.approval(inv, "a1")
    reg = kit.registry.load(kit.source(inv)).registry
    kit.approval(inv, "a2", link="tinh-vi-xuyen", edit_after_signing={
        "interconnect": "tinh-cac-huyen", "systems": list(reg.interconnects["tinh-cac-huyen"].systems),
        "config_sha256": kit.config_hash(inv, "tinh-cac-huyen")})
    d = ic.gate(inv, "tinh-cac-huyen")
    assert not d.allowed and codes(d) == {"signature"}
    pinned = ic.gate(inv, "tinh-cac-huyen", pin="a1")
    assert not pinned.allowed and codes(pinned) == {"other-link", "systems", "stale-config"}


def test_configuration_changed_after_approval(inv):
    kit.approval(inv)
    path = inv / "registry" / "interconnects.yml"
    path.write_text(path.read_text(encoding="utf-8").replace("bandwidth_kbps: 4000", "bandwidth_kbps: 6000"),
                    encoding="utf-8")
    d = ic.gate(inv, "tinh-vi-xuyen")
    assert codes(d) == {"stale-config"} and "cần văn bản chấp thuận mới" in d.message()


def test_an_approval_without_a_configuration_hash(inv):
    kit.approval(inv, config_sha256=None)
    assert codes(ic.gate(inv, "tinh-vi-xuyen")) == {"unbound"}


def test_revoked(inv):
    kit.approval(inv)
    (inv / "registry" / "approvals" / "revocations.yml").write_text(
        "revocations:\n  - approval: a1\n    revoked: '2026-11-01'\n    reason: Thu hồi theo văn bản 130/STTTT\n",
        encoding="utf-8")
    d = ic.gate(inv, "tinh-vi-xuyen")
    assert codes(d) == {"revoked"} and "thu hồi" in d.message()


def test_a_revocation_dated_later_is_not_yet_effective(inv):
    kit.approval(inv)
    (inv / "registry" / "approvals" / "revocations.yml").write_text(
        f"revocations:\n  - approval: a1\n    revoked: '{kit.moment(dt.timedelta(days=2))}'\n    reason: hết cuộc họp\n",
        encoding="utf-8")
    assert ic.gate(inv, "tinh-vi-xuyen").allowed


@pytest.mark.parametrize("pin", ["yes", "true", "on", True, 1, "approved"])
def test_flags_in_place_of_an_approval(inv, pin):
    d = ic.gate(inv, "tinh-vi-xuyen", pin=pin)
    assert not d.allowed and codes(d) == {"pin"}


@pytest.mark.parametrize("signature", ["yes", "true", "approved", "-----BEGIN SSH SIGNATURE-----\nAAAA\n"
                                                                 "-----END SSH SIGNATURE-----\n"])
def test_flag_like_strings_in_place_of_a_signature(inv, signature):
    kit.approval(inv, key=None, extra={"signature": signature})
    d = ic.gate(inv, "tinh-vi-xuyen")
    assert codes(d) == {"signature"}


def test_an_approved_flag_in_the_approval_file_is_refused(inv):
    kit.approval(inv, key=None, extra={"approved": "yes"})
    d = ic.gate(inv, "tinh-vi-xuyen")
    assert codes(d) == {"inventory"}


@pytest.mark.parametrize("number", ["123/S\u0422TTT-CNTT", "123/STTTT\u2013CNTT", "\uff11\uff12\uff13/STTTT-CNTT",
                                    "45/Q\u00d0-STTTT"])
def test_unicode_look_alikes_in_the_document_number(inv, number):
    """Signed as it is, a number with letters of other alphabets is still refused: the registry
    names the character, and the gate refuses a registry that does not validate."""
    kit.approval(inv, number=number)
    d = ic.gate(inv, "tinh-vi-xuyen")
    assert not d.allowed and codes(d) == {"inventory"}
    reg_text = ap.number_problem(number)
    assert reg_text and "U+" in reg_text


def test_wrong_authority(inv):
    """Signed with the demo key as if by another unit: the registry's rule (and the gate) refuse it."""
    units = kit.registry.load(kit.source(inv)).registry.units
    other = next(u for u in units if u != "so-tttt")
    kit.approval(inv, authority=other)
    d = ic.gate(inv, "tinh-vi-xuyen")
    assert not d.allowed and codes(d) == {"inventory"}


def test_the_gate_fails_closed(inv, monkeypatch):
    kit.approval(inv)

    def broken(*args, **kwargs):
        raise RuntimeError("disk on fire")
    monkeypatch.setattr(ic, "intended", broken)
    d = ic.gate(inv, "tinh-vi-xuyen")
    assert not d.allowed and codes(d) == {"error"}


def test_unknown_interconnect(inv):
    assert codes(ic.gate(inv, "tinh-nowhere")) == {"unknown"}


def test_the_hash_ignores_comments_but_not_values(inv):
    reg = kit.registry.load(kit.source(inv)).registry
    link = reg.interconnects["tinh-vi-xuyen"]
    rendered, plan, digest = ic.intended(reg, link)
    commented = {h: "# a comment\n" + t for h, t in rendered.items()}
    assert ic.config_hash(link.id, commented, plan) == digest
    changed = {h: t.replace("priority: 100", "priority: 99") for h, t in rendered.items()}
    assert ic.config_hash(link.id, changed, plan) != digest
