"""The loader and validator: YAML dialect, schema, rules, overlays, caching, positions."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest

from gbtt import registry, schema, yamlio
from gbtt.yamlio import YamlProblem, fast_load

from conftest import MINI, ROOT, run


# Plain scalars of every kind the YAML 1.2 core schema resolves, and the look-alikes it does not.
_SCALARS = [
    "NO", "no", "yes", "Yes", "on", "off", "y", "n", "true", "True", "TRUE", "false", "FALSE", "tRue",
    "null", "Null", "NULL", "~", "", "nil", "0", "-0", "+0", "7", "-12", "+5", "0243", "-007", "0243 3866",
    "1_000", "0x1F", "0X1F", "0o17", "0o19", "017", "1.5", "1.10", "9.10", "-.5", "+.5", ".5", "1.", "1e3",
    "1E3", "1.5e-3", "12e", ".inf", "-.Inf", "+.INF", ".nan", ".NaN", "inf", "nan", "22:30", "190:20:30",
    "2017-03-02", "2001-12-14t21:59:43.10-05:00", "10.23.1.2", "010.001.001.001", "10.23.0.0/16", "3a",
    "ce11.17.1.5", "17.09.05", "Hà Giang", "a b", "-x", "x@",
]


@pytest.mark.parametrize("value", _SCALARS)
def test_fast_reader_resolves_like_the_safe_loader(value: str):
    """The libyaml-based reader every load uses and ruamel.yaml's loader agree on every scalar."""
    text = f"plain: {value}\nquoted: '{value}'\nnested:\n  k: {value}\nlist:\n  - {value}\n"
    # repr: tells 1 from 1.0 and True, and NaN equals itself
    assert repr(yamlio.fast_load(text, "f.yml")) == repr(yamlio._safe_load(text, "f.yml"))
    if ":" not in value:
        flow = f"list: [{value}]\nmap: {{k: {value}}}\n"
        assert repr(yamlio.fast_load(flow, "f.yml")) == repr(yamlio._safe_load(flow, "f.yml"))


@pytest.mark.parametrize("value", ["=", "0b101", "<<"])
def test_fast_reader_has_no_yaml_11_leftovers(value: str):
    """ruamel.yaml's safe loader still knows YAML 1.1's value key, binary numbers and merge key;
    the YAML 1.2 core schema does not: they are text."""
    assert yamlio.fast_load(f"a: {value}\n", "f.yml") == {"a": value}


def test_fast_reader_refuses_a_value_that_contains_itself():
    with pytest.raises(YamlProblem) as exc:
        yamlio.fast_load("a: 1\nb: &x\n  - *x\n", "f.yml")
    assert exc.value.line == 2 and "contains itself" in exc.value.message  # where the anchored list starts


@pytest.mark.parametrize("text", [
    "a: &x {b: 1, c: [1, 2]}\nd: *x\n", "- !!str 5\n- !!int '7'\n", "a: |\n  two\n  lines\n",
    "%YAML 1.2\n---\na: 1\n", "", "# only a comment\n", "? [1, 2]\n: x\n", "a: !custom 1\n",
    "a: 1\na: 2\n", "a: [1\n", "a:\n\tb: 1\n", "a: *nowhere\n", "a: 1\n---\nb: 2\n",
])
def test_fast_reader_matches_the_safe_loader_on_documents_and_errors(text: str):
    def outcome(read):
        try:
            return "ok", repr(read(text, "f.yml"))
        except yamlio.YamlProblem as exc:
            return "error", exc.kind, exc.line, exc.message
    assert outcome(yamlio.fast_load) == outcome(yamlio._safe_load)


def test_schema_fast_check_agrees_with_the_detailed_one():
    """A file the compiled validator passes has no jsonschema problem, and one it fails has some."""
    files = sorted((ROOT / "tests").rglob("*.yml")) + sorted((ROOT / "inventory").rglob("registry/**/*.yml"))
    checked = 0
    for path in files:
        try:
            data = yamlio.fast_load(path.read_text(encoding="utf-8"), str(path))
        except yamlio.YamlProblem:
            continue
        if not isinstance(data, dict) or not set(data) & set(schema.SECTION_NAMES):
            continue
        detailed = list(schema._VALIDATOR.iter_errors(data))
        assert schema.is_valid(data) == (not detailed), path
        checked += 1
    assert checked > 40
    for bad in ({"units": [{"id": "x"}]}, {"units": [{"id": True, "name": 1}]}, {"nope": 1}, {"units": "x"},
                {"systems": [{"id": "a", "kind": "provincial", "extra": 1}]}):
        assert not schema.is_valid(bad) and list(schema._VALIDATOR.iter_errors(bad))


def test_yaml_12_keeps_norway_times_and_leading_zeros_as_text():
    data = fast_load("country: NO\nstart: 22:30\nphone: 02193866123\nflag: yes\nn: 12\n", "x.yml")
    assert data == {"country": "NO", "start": "22:30", "phone": "02193866123", "flag": "yes", "n": 12}


def test_duplicate_key_is_an_error_with_both_lines():
    with pytest.raises(YamlProblem) as exc:
        fast_load("a: 1\nb: 2\na: 3\n", "x.yml")
    assert exc.value.line == 3 and exc.value.kind == "duplicate key" and "line 1" in exc.value.message


def test_mini_province_is_valid_with_counted_warnings():
    res = registry.load(MINI)
    assert res.ok, res.report.format_text()
    counts = res.registry.counts()
    assert counts["systems"] == 4 and counts["endpoints"] == 14 and counts["devices"] == 32
    kinds = {d.kind for d in res.report.warnings}
    assert {"contact details to fill in", "line circuit to fill in", "Art. 13.2 technical staff",
            "Art. 16.3 line staff"} <= kinds


def test_all_errors_are_reported_in_one_run(mini: Path):
    units = mini / "units.yml"
    units.write_text(units.read_text().replace("kind: department, level: province}",
                                               "kind: departement, level: province}", 1))
    eps = mini / "endpoints" / "dong-van.yml"
    eps.write_text(eps.read_text().replace("address: 10.23.12.133", "address: 10.23.12.132"))
    systems = mini / "systems.yml"
    systems.write_text(systems.read_text().replace("operating_agency: ubnd-ha-giang", "operating_agency: ubnd-hagiang"))
    res = registry.load(mini)
    kinds = sorted(d.kind for d in res.report.errors)
    # the schema error stops the rules for this load; fix it and the rule errors all show at once
    assert kinds == ["invalid value"]
    units.write_text(units.read_text().replace("departement", "department"))
    res = registry.load(mini)
    assert sorted(d.kind for d in res.report.errors) == ["dangling reference", "duplicate address"]
    located = {d.kind: (d.file, d.line) for d in res.report.located()}
    assert located["duplicate address"][0] == "endpoints/dong-van.yml"
    line = located["duplicate address"][1]
    assert "10.23.12.132" in eps.read_text().splitlines()[line - 1]
    assert located["dangling reference"] == ("systems.yml", systems.read_text().splitlines().index(
        "    operating_agency: ubnd-hagiang") + 1)


def test_schema_errors_in_several_files_are_all_reported(mini: Path):
    (mini / "a.yml").write_text("---\nunits:\n  - {id: Bad_Id, name: x, kind: other, level: province}\n")
    (mini / "b.yml").write_text("---\nsites:\n  - {id: s1, name: x, unit: tinh-uy, district: ha-giang, floor: 2}\n")
    res = registry.load(mini)
    assert sorted((d.file, d.kind) for d in res.report.errors) == [("a.yml", "invalid value"),
                                                                   ("b.yml", "unknown key")]


def test_overlay_replaces_a_file_by_relative_name(mini: Path, tmp_path: Path):
    overlay = tmp_path / "overlay"
    overlay.mkdir()
    contacts = (mini / "contacts.yml").read_text().replace("name: null, phone: null, email: null",
                                                           'name: "Lê Thị Thử", phone: "0900 000 999", '
                                                           "email: t@lab.invalid")
    (overlay / "contacts.yml").write_text(contacts)
    src = tmp_path / "lab.gbtt.yml"
    src.write_text(f"plugin: gbtt\nsecrets: plain\nregistry:\n  - {mini}\n  - overlay\n")
    res = registry.load(src)
    assert res.ok
    assert all(c.complete for c in res.registry.contacts.values())
    assert not [d for d in res.report.warnings if d.kind == "contact details to fill in"]


def test_valid_registry_is_cached_and_any_byte_change_invalidates(mini: Path):
    first = registry.load(mini)
    second = registry.load(mini)
    assert not first.cached and second.cached and first.key == second.key
    assert second.registry.counts() == first.registry.counts()
    p = mini / "endpoints" / "tinh.yml"
    p.write_text(p.read_text().replace("UBND tỉnh", "UBND tỉnh Hà Giang"))
    third = registry.load(mini)
    assert not third.cached and third.key != first.key
    assert third.registry.endpoints["tinh-ubnd"].name == "UBND tỉnh Hà Giang"


def test_cache_keeps_one_entry_per_source(mini: Path, tmp_path: Path):
    import os
    cache = Path(os.environ["GBTT_CACHE_DIR"])
    registry.load(mini)
    p = mini / "endpoints" / "tinh.yml"
    for i in range(3):  # every edit replaces the source's entry instead of adding one
        p.write_text(p.read_text() + f"# edit {i}\n")
        assert not registry.load(mini).cached
    assert len(list(cache.glob("registry-*.pickle"))) == 1
    other = tmp_path / "other"
    shutil.copytree(mini, other)
    assert not registry.load(other).cached and registry.load(mini).cached and registry.load(other).cached
    assert len(list(cache.glob("registry-*.pickle"))) == 2


def test_invalid_registry_is_never_cached(mini: Path):
    (mini / "bad.yml").write_text("---\nunits:\n  - {id: x}\n")
    assert not registry.load(mini).ok
    again = registry.load(mini)
    assert not again.ok and not again.cached


def test_cli_exit_codes_and_json(mini: Path, tmp_path: Path):
    ok = run([sys.executable, "-m", "gbtt", "validate", str(mini), "--format", "json"])
    assert ok.returncode == 0, ok.stderr
    doc = json.loads(ok.stdout)
    assert doc["valid"] and doc["errors"] == 0 and doc["warnings"] > 0 and doc["counts"]["endpoints"] == 14
    assert all(d["file"] and d["line"] for d in doc["diagnostics"])
    strict = run([sys.executable, "-m", "gbtt", "validate", str(mini), "--strict"])
    assert strict.returncode == 1 and "--strict" in strict.stdout
    (mini / "bad.yml").write_text("---\nunits:\n  - {id: x, name: y, kind: other, level: moon}\n")
    bad = run([sys.executable, "-m", "gbtt", "validate", str(mini)])
    assert bad.returncode == 1 and "bad.yml:3:" in bad.stdout and "'moon' is not an allowed value" in bad.stdout
    missing = run([sys.executable, "-m", "gbtt", "validate", str(tmp_path / "nowhere")])
    assert missing.returncode == 2 and "no such file or folder" in missing.stderr


def test_error_leaves_the_registry_files_untouched(mini: Path):
    before = {p: p.read_bytes() for p in mini.rglob("*.yml")}
    (mini / "bad.yml").write_text("---\nunits: [{id: x}]\n")
    registry.load(mini)
    assert all(p.read_bytes() == b for p, b in before.items())


def test_source_file_must_name_the_plugin(tmp_path: Path):
    src = tmp_path / "x.gbtt.yml"
    src.write_text("plugin: yaml\n")
    with pytest.raises(registry.SourceError, match="plugin: gbtt"):
        registry.find_sources(src)


def test_the_lab_overlays_differ_from_production_only_in_platforms():
    """inventory/lab/registry/systems.yml and endpoints/quan-ba.yml replace the production files
    in the lab to mix platforms (docs/drivers.md); apart from platform and model they must stay
    the production data, so that the lab still is the province."""
    import yaml
    prod, lab = ROOT / "inventory" / "hagiang" / "registry", ROOT / "inventory" / "lab" / "registry"

    def data(path, section):
        def strip(node):
            if isinstance(node, dict):
                return {k: strip(v) for k, v in node.items() if k not in ("platform", "model")}
            return [strip(v) for v in node] if isinstance(node, list) else node
        return strip(yaml.safe_load(path.read_text(encoding="utf-8"))[section])

    for rel, section in (("systems.yml", "systems"), ("endpoints/quan-ba.yml", "endpoints")):
        assert data(prod / rel, section) == data(lab / rel, section), rel
