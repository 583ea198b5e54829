"""``briefreader entities`` on the sample corpus: identity across articles, corrections."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from briefreader.cli import main
from tests.conftest import make_workspace


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A sample workspace (no index: entities are computed and cached)."""
    return make_workspace(tmp_path_factory.mktemp("entities"), sample=True)


def entities_json(root: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> Any:
    assert main(["-w", str(root), "entities", "--json", *extra]) == 0
    return json.loads(capsys.readouterr().out)


def find(data: Any, name: str) -> dict[str, Any]:
    return next(e for e in data["entities"] if e["name"] == name or name in e["aliases"])


def test_sample_identity(workspace: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = entities_json(workspace, capsys)
    assert data["recogniser"].startswith(("spaCy", "rules"))
    sudani = [e for e in data["entities"] if "Sudani" in e["name"]]
    assert len(sudani) == 1 and sudani[0]["type"] == "PERSON"
    assert len(sudani[0]["articles"]) == 5
    pmf = find(data, "PMF")
    assert pmf["name"] == "Popular Mobilization Forces" and pmf["type"] == "ORG"
    for entity in data["entities"]:
        assert not any(ch in entity["name"] for ch in "[]/"), entity
        assert "http" not in entity["name"] and entity["name"].lower() != "short url"
    mention = pmf["mentions"][0]
    assert {"article_id", "start", "end", "text", "type", "name"} <= set(mention)


def test_article_and_type_filters(workspace: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = entities_json(workspace, capsys, "003", "--type", "org")
    assert data["entities"] and {e["type"] for e in data["entities"]} == {"ORG"}
    for entity in data["entities"]:
        assert {m["article_id"] for m in entity["mentions"]} == {"003_d982830aa2fa4bf9"}


def test_text_listing_names_the_recogniser(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["-w", str(workspace), "entities", "--type", "PERSON"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("recogniser: ") and "Antony Blinken" in out


def test_merge_then_unmerge(workspace: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = entities_json(workspace, capsys)
    assert main(["-w", str(workspace), "entities", "merge", "PMF", "Kataib Hezbollah"]) == 0
    assert "Popular Mobilization Forces" in capsys.readouterr().out
    assert (workspace / "entities.toml").is_file()
    merged = entities_json(workspace, capsys)
    assert find(merged, "Kataib Hezbollah") == find(merged, "PMF")
    assert main(["-w", str(workspace), "entities", "unmerge", "Kataib Hezbollah"]) == 0
    capsys.readouterr()
    after = entities_json(workspace, capsys)
    assert after["entities"] == before["entities"]


def test_unknown_name_is_a_clear_error(workspace: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["-w", str(workspace), "entities", "suppress", "No Such Entity"]) == 2
    assert "no entity named" in capsys.readouterr().err


def test_missing_model_setting_falls_back(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_workspace(tmp_path, {"a.txt": "Title\n\nGen. Qassim Suleimani visited Baghdad.\n"})
    (root / "briefreader.toml").write_text(
        '[entities]\nmodel = "en_core_web_missing"\n', encoding="utf-8"
    )
    assert main(["-w", str(root), "entities"]) == 0
    captured = capsys.readouterr()
    assert "recogniser: rules" in captured.out
    said = " ".join(captured.err.split())  # rich wraps the message at 80 columns
    assert "en_core_web_missing" in said and "rules recogniser" in said
