"""Issue 19: a command writing a user-named path never writes the workspace's own files
(notes database, index, articles, settings), however the path is spelled."""

from __future__ import annotations

import hashlib
import os
import random
from pathlib import Path

import pytest

from briefreader.cli import main
from tests.conftest import make_workspace

ARTICLE = "Port closes\n\nThe council voted to close the port at night after a long debate.\n"
PROTECTED = [
    "notes.db",
    "notes.db-wal",
    "notes.db-shm",
    "briefreader.toml",
    "entities.toml",
    "index/CURRENT",
    "index/new-file.md",
    "articles/port.txt",
    "articles/brand-new.md",
    "articles/sub/deeper.txt",
]


def _snapshot(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file() and not p.is_symlink()
    }


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = make_workspace(tmp_path_factory.mktemp("ws") / "ws", {"port.txt": ARTICLE})
    (root / "briefreader.toml").write_text("[entities]\nenabled = false\n")
    (root / "entities.toml").write_text("")
    assert main(["-w", str(root), "index", "-q"]) == 0
    assert main(["-w", str(root), "notes", "add", "port:p1", "--text", "keep #me"]) == 0
    return root


def _spellings(root: Path, relative: str, rng: random.Random) -> list[str]:
    """Several ways to name one path: absolute, relative to the cwd, with ./ and ../ detours,
    through a symbolic link to its folder and (for an existing file) a hard link."""
    target = root / relative
    names = [str(target), os.path.relpath(target), f"{root}/./{relative}"]
    names.append(f"{root}/../{root.name}/{relative}")
    link_dir = root.parent / f"link-{rng.randrange(10**9)}"
    link_dir.symlink_to(root)
    names.append(str(link_dir / relative))
    file_link = root.parent / f"file-link-{rng.randrange(10**9)}"
    file_link.symlink_to(target)
    names.append(str(file_link))
    if target.is_file():
        hard = root.parent / f"hard-{rng.randrange(10**9)}"
        os.link(target, hard)
        names.append(str(hard))
    return names


@pytest.mark.parametrize("relative", PROTECTED)
def test_export_refuses_the_workspace_files(
    root: Path, relative: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(root)
    (root / "notes.db-wal").touch()
    (root / "notes.db-shm").touch()
    rng = random.Random(relative)
    for name in _spellings(root, relative, rng):
        before = _snapshot(root)
        for fmt in ("md", "json"):
            code = main(["-w", str(root), "notes", "export", "--format", fmt, "-o", name])
            _out, err = capsys.readouterr()
            assert code == 2, (name, err)
            assert err.count("\n") == 1 and "will not write" in err, err
        assert _snapshot(root) == before, name
    assert main(["-w", str(root), "notes", "list"]) == 0
    assert "keep #me" in capsys.readouterr().out


def test_export_beside_the_workspace_still_works(root: Path, tmp_path: Path) -> None:
    for name in (tmp_path / "brief.md", root / "brief.md", root / "notes.db.md"):
        assert main(["-w", str(root), "notes", "export", "-o", str(name)]) == 0
        assert "keep" in name.read_text()


def test_a_garbage_index_current_is_rebuilt_not_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_workspace(tmp_path / "ws", {"port.txt": ARTICLE})
    assert main(["-w", str(root), "index", "-q"]) == 0
    (root / "index" / "CURRENT").write_text("# Notes\n\n" + "x" * 5000 + "\n")
    assert main(["-w", str(root), "index", "--rebuild", "-q"]) == 0
    assert main(["-w", str(root), "search", "council"]) == 0
    assert "port" in capsys.readouterr().out
