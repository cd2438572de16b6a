"""gbtt diff on a national inventory (one source per province): a province the same on both sides
is not loaded unless what every province shares changed, and the result is the one of a review
that loads everything; registries not in the cache are loaded by worker processes too."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT, run, tool
from gbtt import diff as df
from gbtt import registry as reg_mod


@pytest.fixture(scope="module")
def national(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("national") / "inv"
    subprocess.run([sys.executable, "-m", "gbtt.synth", "--provinces", "4", "--hosts-target", "400",
                    "--out", str(out)], check=True, capture_output=True)
    return out


def copies(national: Path, tmp_path: Path) -> tuple[Path, Path]:
    base, head = tmp_path / "base" / "inventory", tmp_path / "head" / "inventory"
    for side in (base, head):
        shutil.copytree(national, side)
        shutil.copytree(ROOT / "templates", side.parent / "templates")
    return base, head


def bandwidth(inv: Path, province: str) -> str:
    """Raise the line bandwidth of one endpoint of ``province``; its id."""
    f = sorted((inv / "registry" / province / "endpoints").glob("*.yml"))[1]
    text = f.read_text(encoding="utf-8")
    new = re.sub(r"bandwidth_kbps: (\d+)", lambda m: f"bandwidth_kbps: {int(m.group(1)) + 512}", text, count=1)
    assert new != text
    f.write_text(new, encoding="utf-8")
    return f.stem


def review(base: Path, head: Path, **kw) -> df.Review:
    return df.review(df.from_folder(base, base.parent / "templates", "BASE"),
                     df.from_folder(head, head.parent / "templates", "HEAD"), **kw)


def same_review(a: df.Review, b: df.Review) -> None:
    assert [(c.kind, c.what, c.id, c.fields, c.where) for c in a.changes] == \
        [(c.kind, c.what, c.id, c.fields, c.where) for c in b.changes]
    assert (a.hosts, a.diffs, a.introduced, a.fixed, a.errors) == (b.hosts, b.diffs, b.introduced, b.fixed, b.errors)


def test_only_the_changed_province_is_loaded_and_the_review_is_the_full_one(national, tmp_path):
    base, head = copies(national, tmp_path)
    bandwidth(head, "p02")
    lazy, full = review(base, head), review(base, head, every_source=True)
    assert lazy.unchanged_sources == ["p01", "p03", "p04"]
    assert full.unchanged_sources == []
    assert lazy.changes and all(c.where.startswith("p02: ") for c in lazy.changes)
    assert lazy.hosts and lazy.diffs
    same_review(lazy, full)


def test_no_change_in_a_national_inventory_loads_nothing(national, tmp_path):
    base, head = copies(national, tmp_path)
    r = review(base, head)
    assert r.unchanged_sources == ["p01", "p02", "p03", "p04"]
    assert r.exit_code == 0 and not r.errors


def test_a_finding_in_the_changed_province_is_named_by_its_province(national, tmp_path):
    base, head = copies(national, tmp_path)
    f = head / "registry" / "p03" / "contacts.yml"
    text = f.read_text(encoding="utf-8")
    first = re.search(r"\n  - id: p03-tinh-uy-kt1\n(    [^\n]*\n)*", text).group(0)
    f.write_text(text.replace(first, "\n", 1), encoding="utf-8")   # the unit keeps one technical contact
    lazy, full = review(base, head), review(base, head, every_source=True)
    assert lazy.unchanged_sources == ["p01", "p02", "p04"]
    assert any(c.what == "contact" and c.kind == "removed" and c.where.startswith("p03: ") for c in lazy.changes)
    assert [f["where"].split(":")[0] for f in lazy.introduced] == ["p03"], lazy.introduced
    same_review(lazy, full)


@pytest.mark.parametrize("shared", ["template", "group_vars", "other file", "source file"])
def test_a_change_every_province_shares_loads_them_all(national, tmp_path, shared):
    base, head = copies(national, tmp_path)
    bandwidth(head, "p02")
    if shared == "template":
        f = head.parent / "templates" / "router" / "cisco_ios.j2"
        f.write_text(f.read_text(encoding="utf-8").replace("\nhostname ", "\n! reviewed\nhostname ", 1), encoding="utf-8")
    elif shared == "group_vars":
        (head / "group_vars").mkdir()
        (head / "group_vars" / "all.yml").write_text("gbtt_banner: reviewed\n", encoding="utf-8")
    elif shared == "other file":
        (head / "trust").mkdir()
        (head / "trust" / "allowed_signers").write_text("# no authority yet\n", encoding="utf-8")
    else:
        with open(head / "p04.gbtt.yml", "a", encoding="utf-8") as fh:
            fh.write("# reviewed\n")
    lazy, full = review(base, head), review(base, head, every_source=True)
    expected = {"source file": ["p01", "p03"]}.get(shared, [])
    assert lazy.unchanged_sources == expected
    same_review(lazy, full)
    if shared == "template":
        provinces = {h.split("-")[0] for h in lazy.hosts}
        assert len(lazy.hosts) > 20 and len(provinces) > 1, provinces


def test_a_province_added_is_loaded_and_the_others_are_not(national, tmp_path):
    base, head = copies(national, tmp_path)
    (base / "p04.gbtt.yml").unlink()
    shutil.rmtree(base / "registry" / "p04")
    r = review(base, head)
    assert r.unchanged_sources == ["p01", "p02", "p03"]
    assert any(c.kind == "added" and c.what == "system" and c.where.startswith("p04: ") for c in r.changes)


def test_workers_load_what_is_not_in_the_cache(national, tmp_path, monkeypatch):
    monkeypatch.setenv("GBTT_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("GBTT_JOBS", "3")
    monkeypatch.setattr(reg_mod, "PARALLEL_MIN_BYTES", 0)
    started = []
    real_start = reg_mod._start_worker
    monkeypatch.setattr(reg_mod, "_start_worker", lambda folder: started.append(folder) or real_start(folder))
    sources = reg_mod.find_sources(national)
    results = reg_mod.load_all([(s, False) for s in sources])
    assert len(started) == 2
    for source, result in zip(sources, results):
        alone = reg_mod.load(source, use_cache=False)
        assert result.ok and result.registry == alone.registry, source.name
    assert len(list((tmp_path / "cache").glob("registry-*.pickle"))) == 4
    # every source in the cache: no worker is started
    started.clear()
    assert all(r.cached for r in reg_mod.load_all([(s, False) for s in sources]))
    assert started == []


def test_a_worker_that_fails_leaves_its_part_to_the_caller(national, tmp_path, monkeypatch):
    monkeypatch.setenv("GBTT_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("GBTT_JOBS", "2")
    monkeypatch.setattr(reg_mod, "PARALLEL_MIN_BYTES", 0)

    def crashing(folder: str) -> subprocess.Popen:   # takes a piece of work, then dies without doing it
        return subprocess.Popen([sys.executable, "-c", "import sys; from pathlib import Path; from gbtt.registry "
                                 "import _take; _take(Path(sys.argv[1]) / 'next'); sys.exit(3)", folder])
    monkeypatch.setattr(reg_mod, "_start_worker", crashing)
    sources = reg_mod.find_sources(national)
    results = reg_mod.load_all([(s, False) for s in sources])
    assert [r.ok for r in results] == [True] * 4
    assert [len(r.registry.endpoints) for r in results] == \
        [len(reg_mod.load(s, use_cache=False).registry.endpoints) for s in sources]


def test_the_program_through_git_cleans_up_and_says_what_it_did_not_load(national, tmp_path):
    repo = tmp_path / "repo"
    shutil.copytree(national, repo / "inventory" / "national")
    shutil.copytree(ROOT / "templates", repo / "templates")
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@t"}
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-qm", "base"]):
        subprocess.run(["git", "-C", str(repo), *args], check=True, env=env)
    bandwidth(repo / "inventory" / "national", "p01")
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    proc = run([tool("gbtt"), "diff", "main", "-i", "inventory/national", "--format", "markdown"], cwd=repo,
               TMPDIR=str(scratch), GBTT_CACHE_DIR=str(tmp_path / "cache"))
    assert proc.returncode == 1, proc.stderr
    assert "3 inventory source(s) unchanged, not loaded" in proc.stdout
    assert proc.stdout.rstrip().endswith("</details>")   # all of it written before the hard end
    assert list(scratch.iterdir()) == []    # the revision extracted is removed, though the program ends hard
