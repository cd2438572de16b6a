"""The AWX execution environment (execution-environment.yml, ansible-builder v3): its build
context is made as CI can make it, without a container engine, and pins what pyproject.toml
pins."""

from __future__ import annotations

import shutil
import tomllib

from conftest import ROOT, run, tool


def _pins() -> dict[str, str]:
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["dependencies"]
    return dict(d.split("==") for d in deps)


def test_the_image_gets_the_dependencies_pyproject_pins():
    lines = [x.strip() for x in (ROOT / "ee" / "requirements.txt").read_text(encoding="utf-8").splitlines()]
    listed = dict(x.split("==") for x in lines if x and not x.startswith("#"))
    pins = _pins()
    core = pins.pop("ansible-core")
    assert listed == pins, "ee/requirements.txt and pyproject.toml [project] dependencies must agree"
    assert f"package_pip: ansible-core=={core}" in (ROOT / "execution-environment.yml").read_text(encoding="utf-8")


def test_ansible_builder_creates_the_build_context(tmp_path):
    definition = tmp_path / "def"
    definition.mkdir()
    for name in ("execution-environment.yml", "requirements.yml"):
        shutil.copy(ROOT / name, definition / name)
    shutil.copytree(ROOT / "ee", definition / "ee")
    proc = run([tool("ansible-builder"), "create", "-f", "execution-environment.yml", "-c", str(tmp_path / "context"),
                "--output-filename", "Containerfile"], cwd=definition)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    containerfile = (tmp_path / "context" / "Containerfile").read_text(encoding="utf-8")
    assert 'ARG ANSIBLE_INSTALL_REFS="ansible-core==' + _pins()["ansible-core"] in containerfile
    assert "ENV PYTHONPATH=/runner/project" in containerfile
    assert 'ARG PYCMD="/usr/bin/python3.11"' in containerfile
    build = tmp_path / "context" / "_build"
    assert (build / "requirements.txt").read_text(encoding="utf-8") == \
        (ROOT / "ee" / "requirements.txt").read_text(encoding="utf-8")
    assert "openssh-clients [platform:rpm]" in (build / "bindep.txt").read_text(encoding="utf-8")
    assert (build / "scripts" / "introspect.py").is_file()
    # the builder's own check of the dependency files, as the image build runs it
    proc = run([tool("python"), str(build / "scripts" / "introspect.py"), "introspect", "--user-pip",
                str(build / "requirements.txt"), "--user-bindep", str(build / "bindep.txt"),
                str(tmp_path / "no-collections")])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "netmiko==4.8.0" in proc.stdout and "openssh-clients" in proc.stdout
