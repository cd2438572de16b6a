"""gbtt diff: each kind of change, in each format, against golden files; a template change and a
group_vars change through git; a secret change shown but redacted; a HEAD that does not
validate (exit 2).  Regenerate the golden files with GBTT_UPDATE_GOLDEN=1 and review their diff."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import MINI, ROOT, run, tool
from gbtt import diff as df
from gbtt import diff_cli

GOLDEN = Path(__file__).parent / "golden"
TODAY = __import__("datetime").date(2026, 11, 29)


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def contact_phone(head: Path) -> None:
    edit(head / "contacts.yml", 'phone: "0900 000 001"', 'phone: "0900 000 009"')


def endpoint_bandwidth(head: Path) -> None:
    text = (head / "endpoints" / "dong-van.yml").read_text(encoding="utf-8")
    bw = re.search(r"bandwidth_kbps: (\d+)", text).group(1)
    edit(head / "endpoints" / "dong-van.yml", f"bandwidth_kbps: {bw}", f"bandwidth_kbps: {int(bw) + 1024}")


def unit_renamed(head: Path) -> None:
    edit(head / "units.yml", "name: \"Ủy ban nhân dân thành phố Hà Giang\"", "name: \"UBND thành phố Hà Giang\"")


def contact_id_renamed(head: Path) -> None:
    edit(head / "contacts.yml", "{id: so-tttt-kt2,", "{id: so-tttt-kythuat-2,")


def breaks_validation(head: Path) -> None:
    edit(head / "units.yml", "kind: department", "kind: ministry")


CASES = {"contact_phone": contact_phone, "endpoint_bandwidth": endpoint_bandwidth, "unit_renamed": unit_renamed,
         "contact_id_renamed": contact_id_renamed, "breaks_validation": breaks_validation}
EXIT = {"breaks_validation": 2}


def sides(tmp_path: Path, change) -> tuple[df.Side, df.Side]:
    base, head = tmp_path / "base", tmp_path / "head"
    shutil.copytree(MINI, base)
    shutil.copytree(MINI, head)
    change(head)
    return df.from_folder(base, label="BASE"), df.from_folder(head, label="HEAD")


def render_all(r: df.Review) -> dict[str, str]:
    return {"txt": diff_cli.text(r, colour=False), "md": diff_cli.markdown(r), "json": diff_cli.as_json(r)}


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("fmt", ["txt", "md", "json"])
def test_golden(tmp_path, case, fmt):
    r = df.review(*sides(tmp_path, CASES[case]), today=TODAY)
    assert r.exit_code == EXIT.get(case, 1)
    check_golden(f"{case}.{fmt}", render_all(r)[fmt].replace(str(tmp_path), "<tmp>"))


def check_golden(name: str, actual: str) -> None:
    path = GOLDEN / name
    if os.environ.get("GBTT_UPDATE_GOLDEN"):
        path.write_text(actual, encoding="utf-8")
    assert actual == path.read_text(encoding="utf-8")


def test_no_change_is_exit_0(tmp_path):
    r = df.review(*sides(tmp_path, lambda head: None), today=TODAY)
    assert r.exit_code == 0 and not r.changes and not r.hosts


def test_a_contact_change_touches_no_device_and_a_bandwidth_change_renders(tmp_path):
    r = df.review(*sides(tmp_path, contact_phone), today=TODAY)
    assert [(c.kind, c.what, c.id) for c in r.changes] == [("changed", "contact", "tinh-uy-kt1")]
    assert r.changes[0].fields == [("phone", "0900 000 001", "0900 000 009")] and not r.hosts
    r = df.review(*sides(tmp_path / "b", endpoint_bandwidth), today=TODAY)
    assert r.hosts and all("router" in h or "codec" in h or "mcu" in h for h in r.hosts)
    assert any("bandwidth" in d for d in r.diffs.values())


def test_a_head_that_does_not_validate_is_exit_2_with_its_errors(tmp_path):
    r = df.review(*sides(tmp_path, lambda head: edit(head / "units.yml", "kind: department", "kind: ministry")),
                  today=TODAY)
    assert r.exit_code == 2 and any("HEAD" in e and "units.yml" in e for e in r.errors)
    assert "errors (exit 2)" in diff_cli.text(r, colour=False)


def test_an_endpoint_moved_to_another_system_is_a_finding(tmp_path):
    def move(head: Path) -> None:
        edit(head / "endpoints" / "dong-van.yml", "    system: dong-van\n", "    system: tinh\n")
    r = df.review(*sides(tmp_path, move), today=TODAY)
    assert any("moves from system 'dong-van' to 'tinh'" in f["message"] for f in r.introduced)
    assert r.exit_code == 2 and r.errors            # here the move also breaks the rules: both are shown


def test_limit_and_no_render(tmp_path):
    base, head = sides(tmp_path, endpoint_bandwidth)
    r = df.review(base, head, limit="*-router", render_configs=False, today=TODAY)
    assert r.hosts and all(h.endswith("-router") for h in r.hosts) and not r.diffs


# -- through git: templates, group_vars, secrets, approvals -------------------------------

@pytest.fixture
def repo(tmp_path):
    """A git repository holding the project's inventory/ and templates/, committed once."""
    dest = tmp_path / "repo"
    dest.mkdir()
    shutil.copytree(ROOT / "inventory", dest / "inventory", ignore=shutil.ignore_patterns(".lab"))
    shutil.copytree(ROOT / "templates", dest / "templates")
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@t"}
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-qm", "base"]):
        subprocess.run(["git", "-C", str(dest), *args], check=True, env=env)
    return dest


def gbtt_diff(repo: Path, *args: str):
    return run([tool("gbtt"), "diff", *args], cwd=repo)


def test_a_template_change_impacts_every_host_that_renders_it(repo):
    edit(repo / "templates" / "router" / "cisco_ios.j2", "{# ", "{# reviewed #}\n{# ")
    edit(repo / "templates" / "router" / "cisco_ios.j2", "\nhostname ", "\n! gbtt\nhostname ")
    proc = gbtt_diff(repo, "HEAD", "-i", "inventory/lab", "--format", "json", "--limit", "dong-van-*")
    assert proc.returncode == 1, proc.stderr
    import json
    doc = json.loads(proc.stdout)
    routers = [h for h in doc["hosts"] if h.startswith("dong-van-")]
    assert routers and all(h.endswith("-router") for h in routers)
    assert all(doc["hosts"][h] == ["template router/cisco_ios.j2"] for h in routers)
    assert all("+! gbtt" in doc["diffs"][h] for h in routers)


def test_group_vars_and_secret_changes(repo):
    creds = repo / "inventory" / "lab" / "group_vars" / "all"
    files = sorted(creds.glob("*.yml"))
    text = "\n".join(f.read_text(encoding="utf-8") for f in files)
    secret = re.search(r"^(lab_gbtt_codec_password|gbtt_codec_password): *\"?([^\"\n]+)\"?$", text, re.M)
    assert secret, text[:500]
    holder = next(f for f in files if secret.group(0) in f.read_text(encoding="utf-8"))
    edit(holder, secret.group(0), f"{secret.group(1)}: \"another-secret-value\"")
    proc = gbtt_diff(repo, "HEAD", "-i", "inventory/lab", "--no-render", "--color", "never")
    assert proc.returncode == 1, proc.stderr
    assert f"~ group_vars all" in proc.stdout and "<secret: changed>" in proc.stdout
    assert "another-secret-value" not in proc.stdout and secret.group(2).strip() not in proc.stdout
    assert "group_vars/all: " in proc.stdout and "(493 hosts)" in proc.stdout


def test_removing_an_approval_is_a_finding_in_markdown(repo):
    (repo / "inventory" / "lab" / "registry" / "approvals" / "lab-123-stttt-cntt.yml").unlink()
    proc = gbtt_diff(repo, "HEAD", "-i", "inventory/lab", "--format", "markdown", "--no-render")
    assert proc.returncode == 1, proc.stderr
    assert "| removed | approval `lab-123-stttt-cntt` |" in proc.stdout
    assert "| introduced | error | interconnect 'tinh-vi-xuyen' has no valid approval (Art. 4.2) |" in proc.stdout


def test_two_folders_and_a_bad_revision(repo, tmp_path):
    proc = run([tool("gbtt"), "diff", str(MINI), str(MINI)])
    assert proc.returncode == 0 and "0 added, 0 removed, 0 changed" in proc.stdout
    bad = gbtt_diff(repo, "no-such-rev")
    assert bad.returncode == 2 and "gbtt diff:" in bad.stderr


GIT_CASES = {
    # the router template gains a line: every router renders it (here: Đồng Văn's, --limit)
    "template_change": lambda repo: edit(repo / "templates" / "router" / "cisco_ios.j2", "\nhostname ",
                                         "\n! reviewed\nhostname "),
    # a credential of the lab's group_vars changes: shown as changed, never its value
    "secret_change": lambda repo: _change_secret(repo),
}


def _change_secret(repo: Path) -> None:
    folder = repo / "inventory" / "lab" / "group_vars" / "all"
    for f in sorted(folder.glob("*.yml")):
        text = f.read_text(encoding="utf-8")
        m = re.search(r"^(lab_gbtt_router_password|gbtt_router_password): *\"?([^\"\n]+)\"?$", text, re.M)
        if m:
            f.write_text(text.replace(m.group(0), f'{m.group(1)}: "changed-in-review"'), encoding="utf-8")
            return
    raise AssertionError("no router password in the lab's group_vars")


@pytest.mark.parametrize("case", sorted(GIT_CASES))
@pytest.mark.parametrize("fmt", ["txt", "md", "json"])
def test_golden_through_git(repo, case, fmt):
    GIT_CASES[case](repo)
    base = df.from_revision(repo, "HEAD", "inventory/lab")
    head = df.from_folder(repo / "inventory" / "lab", repo / "templates")
    base.label, head.label = "BASE", "HEAD"
    r = df.review(base, head, limit="dong-van-ubnd-*", today=TODAY)
    assert r.exit_code == 1
    actual = render_all(r)[fmt]
    assert "changed-in-review" not in actual
    check_golden(f"{case}.{fmt}", actual)
