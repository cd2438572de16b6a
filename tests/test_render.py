"""The renderer: every codec of the province renders, deterministically, within the codec's value
spaces; undefined variables and unknown hosts are clear errors; secrets are placeholders."""

from __future__ import annotations


import pytest

from gbtt import inventory, registry, render
from gbtt.drivers.cisco_ce import parse_candidate
from gbtt.lab.cisco_ce import config_schema, model_of
from gbtt.lab.device import Facts

from conftest import ROOT, run, tool


@pytest.fixture(scope="module")
def data():
    return inventory.build(registry.load(ROOT / "inventory" / "hagiang").registry)


def test_every_codec_renders_within_the_codec_value_spaces(data):
    codecs = sorted(h for h, hv in data.hostvars.items() if hv["gbtt_device_class"] == "codec")
    assert len(codecs) == 240
    accounts = data.groups["province_ha_giang"].vars["gbtt_province"]["codec_accounts"]
    assert [a["username"] for a in accounts] == ["kythuat", "vanhanh"]
    for host in codecs:
        text = render.render_host(data, host)
        schema = config_schema(model_of(Facts(host, "cisco_ce", "codec", "0.0.0.0",
                                              model=data.hostvars[host]["gbtt_model"])))
        settings, items = parse_candidate(text)   # the driver's parser: raises on a bad line
        for s in settings:
            assert s.path in schema, f"{host}: unknown path {s.path!r}"
            schema[s.path].space.parse(s.value)  # raises IllegalValue outside the value space
        presets = data.hostvars[host]["gbtt_endpoint"]["camera_presets"]   # Art. 8.2c
        assert [(i.key, i.fields) for i in items if i.kind.name == "Preset"] == [
            (str(p["id"]), {"CameraId": "1", "Name": p["name"]}) for p in presets]
        assert [(i.key, i.fields) for i in items if i.kind.name == "User"] == [
            (a["username"], {"Roles": ",".join(sorted(a["roles"])), "Active": str(a["active"]),
                             "ShellLogin": str(a["shell_login"]),
                             "Passphrase": f"<secret:{a['passphrase_secret']}>"})
            for a in accounts]
        assert "None" not in text


def test_rendering_is_deterministic_and_follows_the_registry(data):
    host = "tinh-ubnd-codec"
    a, b = render.render_host(data, host), render.render_host(data, host)
    assert a == b
    ep = data.hostvars[host]["gbtt_endpoint"]
    assert f'xConfiguration SystemUnit Name: "{ep["name"]}"' in a
    assert f"xConfiguration Conference DefaultCall Rate: {ep['line']['bandwidth_kbps']}" in a
    assert "xConfiguration Conference AutoAnswer Mute: On" in a  # Art. 9.2a


def test_unknown_host_and_undefined_variable_are_errors(data, tmp_path, monkeypatch):
    with pytest.raises(render.RenderError, match="did you mean: dong-van-lung-cu-codec"):
        render.render_host(data, "dong-van-lung-cu-codex")
    (tmp_path / "codec").mkdir()
    (tmp_path / "codec" / "cisco_ce.j2").write_text("x {{ gbtt_endpoint.no_such_thing }}\n")
    monkeypatch.setattr(render, "environment", lambda root=str(tmp_path): render.jinja2.Environment(
        loader=render.jinja2.FileSystemLoader(str(tmp_path)), undefined=render.jinja2.StrictUndefined))
    with pytest.raises(render.RenderError, match="no_such_thing"):
        render.render_host(data, "tinh-ubnd-codec")


def test_cli_render():
    proc = run([tool("gbtt"), "render", "dong-van-ubnd-codec"])
    assert proc.returncode == 0 and proc.stdout.startswith("# dong-van-ubnd-codec: UBND huyện Đồng Văn")
    bad = run([tool("gbtt"), "render", "nope-codec"])
    assert bad.returncode == 1 and "no host 'nope-codec'" in bad.stderr


def test_every_mcu_renders_one_space_per_meeting_scale(data):
    import yaml
    mcus = sorted(h for h, hv in data.hostvars.items() if hv["gbtt_device_class"] == "mcu")
    assert len(mcus) == 13
    for host in mcus:
        doc = yaml.safe_load(render.render_host(data, host))
        system = data.hostvars[host]["gbtt_system"] if "gbtt_system" in data.hostvars[host] else \
            render.context(data, host)["gbtt_system"]
        spaces = {s["name"]: s for s in doc["coSpaces"]}
        assert set(spaces) == {f"gbtt-{system['id']}-{scale}" for scale in system["chairs"]}
        participant = next(p for p in doc["callLegProfiles"] if p["name"] == "gbtt-participant")
        assert participant["rxAudioMute"] is True  # Art. 9.2a: participants join muted
        assert all(s["callLegProfile"] == "gbtt-participant" for s in spaces.values())
        assert doc["outboundDialPlanRules"][0]["sipProxy"] == system["mcu"]["address"]
